#!/usr/bin/env bash
# Fill Solara's local front-end cache (<cdn>/<package>@<version>/...) from the npm registry, so
# the SolaraViz page renders with no internet at run time. Idempotent; see docs/ui.md.
# world-atlas is the map's base layer (Natural Earth country outlines as TopoJSON, ISC licence):
# the page reads <cdn>/world-atlas@2/countries-110m.json from this cache, never from the network.
set -euo pipefail
CDN="${1:?usage: fetch_ui_assets.sh CDN_DIR}"
PKGS=(
  "@widgetti/solara-vuetify-app@10.1.1"
  "@widgetti/vue-grid-layout@2.3.13-alpha.2"
  "requirejs@2.3.6"
  "font-awesome@4.5.0"
  "vega@5"
  "vega-lite@5"
  "vega-embed@6"
  "world-atlas@2"
)
mkdir -p "$CDN"
if ! command -v npm >/dev/null 2>&1; then
  echo "warning: npm not found; the UI will need internet to load its front-end assets" >&2
  exit 0
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for spec in "${PKGS[@]}"; do
  name="${spec%@*}"
  # npm lists versions in publish order, not semver order: sort them to take the newest match.
  ver=$(npm view "$spec" version --json 2>/dev/null | tr -d '"[] \n' | tr , '\n' | sort -V | tail -1)
  [ -n "$ver" ] || { echo "error: npm could not resolve $spec" >&2; exit 1; }
  dest="$CDN/$name@$ver"
  # Solara asks for the spec as written in its page (e.g. vega@5), so link that name too.
  [ -d "$dest" ] || {
    (cd "$tmp" && npm pack --silent "$name@$ver" >/dev/null)
    tarball=$(ls "$tmp"/*.tgz)
    mkdir -p "$dest" && tar -xzf "$tarball" -C "$dest" --strip-components=1 && rm -f "$tarball"
  }
  [ "$spec" = "$name@$ver" ] || ln -sfn "$name@$ver" "$CDN/$spec"
done
echo "UI assets ready in $CDN"
