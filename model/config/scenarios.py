"""Find, load and check a scenario: the step every command takes before it runs anything.

``load_scenario`` turns what a user typed (a path, a scenario name, or nothing) plus ``--set``
overrides into a validated ``Scenario`` and records where every part came from::

    loaded = load_scenario(Path("runs/btc_bear.toml"), ["price.drift_per_year=-0.4"])
    loaded.scenario   # the frozen Scenario
    loaded.chain      # [runs/btc_bear.toml, runs/baseline.toml]
    loaded.sha256     # fingerprint of the fully resolved scenario

Beyond what the schema checks, loading also

* makes ``price.csv_path`` and ``grid.regions_file`` absolute, relative to the file that wrote
  them (or to the working directory for a ``--set`` override), so a run does not depend on where
  it was started from;
* reads the price CSV (when ``price.kind = "csv"``) and the regions file, so a bad data file is
  reported before a run starts rather than in the middle of one;
* checks that every region id a miner archetype or a shock names exists in that regions file;
* lets ``--set`` index into an array the files leave at its default (``miners.0.count=3``).

Every failure is a one-line ``ConfigError``, ``PriceInputError`` or ``RegionDataError``.
"""

from __future__ import annotations

import copy
import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from hashpivot.model.config.dotted import is_index
from hashpivot.model.config.errors import ConfigError
from hashpivot.model.config.inherit import BASE_KEY
from hashpivot.model.config.loader import load_config
from hashpivot.model.config.overrides import apply_overrides, parse_override
from hashpivot.model.config.paths import RUNS_DIR
from hashpivot.model.config.schema import Scenario
from hashpivot.model.config.toml_io import file_sha256, find_config, load_toml
from hashpivot.model.config.validation import validate
from hashpivot.model.world.price import read_price_csv
from hashpivot.model.world.regions import DATA_PACKAGE, PACKAGED_FILE, load_regions

DEFAULT_SCENARIO = RUNS_DIR / "baseline.toml"
BUILTIN = "built-in"
"""``LoadedScenario.source`` when no file was used (the schema defaults)."""

# Keys holding file paths that are resolved relative to the file that set them.
PATH_KEYS: tuple[tuple[str, ...], ...] = (("price", "csv_path"), ("grid", "regions_file"))


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario and its provenance.

    Attributes:
        scenario: The validated, frozen scenario (data paths absolute).
        data: The resolved settings it was validated from: the chain merged, overrides applied,
            data paths made absolute. Only what was written, plus any default array an
            override indexes into (``--set miners.0.count=3``), not the other defaults.
        chain: The scenario files used, absolute, the named file first and its root base last;
            empty for the built-in scenario.
        sha256: Fingerprint of the fully resolved scenario (every default filled in).
        source: The scenario file as the user named it, or ``"built-in"``.
        overrides: The ``--set`` overrides applied, in order.
        data_paths: Absolute path of every data file the scenario reads, by dotted key
            (``grid.regions_file`` always; ``price.csv_path`` for CSV prices).
    """

    scenario: Scenario
    data: dict
    chain: list[Path]
    sha256: str
    source: str
    overrides: tuple[str, ...] = ()
    data_paths: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The scenario's ``name``."""
        return self.scenario.name


def builtin_names() -> list[str]:
    """Names of the scenarios shipped in ``runs/`` (file stems), sorted."""
    if not RUNS_DIR.is_dir():
        return []
    return sorted(p.stem for p in RUNS_DIR.glob("*.toml"))


def find_scenario(arg: str | os.PathLike[str]) -> Path:
    """Turn a command-line scenario argument into a file path.

    An existing path wins; otherwise a bare name (no folder, e.g. ``btc_bear``) is looked up as
    ``runs/<name>.toml`` in the repository. Anything else is returned unchanged, so that loading
    it reports the missing file.

    Args:
        arg: A path, or the name of a scenario in ``runs/``.

    Returns:
        The path to load.
    """
    return find_config(arg, RUNS_DIR)


def load_scenario(path: Path | None, overrides: Sequence[str] = ()) -> LoadedScenario:
    """Load, inherit, override, validate and check a scenario.

    Args:
        path: The scenario file (or a name in ``runs/``, see ``find_scenario``). ``None`` means
            ``runs/baseline.toml`` if the repository has one, else the schema defaults.
        overrides: ``section.key=value`` strings applied after inheritance, in order.

    Returns:
        The scenario with its provenance.

    Raises:
        ConfigError: The file, its bases, an override or a value is unusable, or a region id
            is unknown.
        PriceInputError: The price CSV is missing or malformed.
        RegionDataError: The regions file is missing or malformed.
    """
    overrides = tuple(overrides)
    if path is None and not DEFAULT_SCENARIO.is_file():
        return _load_builtin(overrides)
    path = DEFAULT_SCENARIO if path is None else find_scenario(path)
    _check_exists(path)
    seeds = _default_arrays(overrides)
    try:
        _, data, chain = load_config(Scenario, path, overrides, builtin_dir=RUNS_DIR, loader=_seeding_loader(seeds))
    except ConfigError as exc:
        raise _blame_override(exc, overrides) from exc
    # Re-read the chain's files (small, already parsed once) to know who wrote which key.
    layers = [(str(path) if i == 0 else str(file), load_toml(file)) for i, file in enumerate(chain)]
    return _finish(data, chain, layers, overrides, str(path))


def _load_builtin(overrides: tuple[str, ...]) -> LoadedScenario:
    """The schema defaults, with overrides (there is no file to blame or resolve against)."""
    data = apply_overrides(_seed({}, _default_arrays(overrides)), overrides)
    origins = {parse_override(o)[0]: f"--set {o}" for o in overrides}
    validate(Scenario, data, BUILTIN, origins=origins)
    return _finish(data, [], [], overrides, BUILTIN)


def _default_arrays(overrides: Iterable[str]) -> dict[tuple[str, ...], list]:
    """Default arrays that overrides index into, by key path (``miners.0.count`` -> ``miners``).

    Files only hold what they set, so ``--set miners.0.count=3`` on a scenario relying on the
    default miners would find no array to index. The arrays found here are put under the root
    file's settings as if it had written the schema defaults (a file that sets the array
    replaces it whole, as it would replace a base's array).
    """
    seeds: dict[tuple[str, ...], list] = {}
    defaults = Scenario()
    for override in overrides:
        keys, _ = parse_override(override)  # a malformed one is reported by load_config
        node: Any = defaults
        for depth, key in enumerate(keys[:-1]):
            value = getattr(node, key, None) if isinstance(node, BaseModel) else None
            if isinstance(value, tuple) and is_index(keys[depth + 1]):
                seeds.setdefault(keys[: depth + 1], _dump_items(value))
                break
            if not isinstance(value, BaseModel):
                break
            node = value
    return seeds


def _dump_items(items: tuple) -> list:
    """A default array as TOML-like data (models as tables)."""
    return [i.model_dump(mode="python") if isinstance(i, BaseModel) else i for i in items]


def _seed(data: dict, seeds: dict[tuple[str, ...], list]) -> dict:
    """Add each seeded array where ``data`` does not set it; return ``data``."""
    for keys, items in seeds.items():
        node = data
        for key in keys[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                break  # the file wrote a non-table here: validation reports it
        else:
            node.setdefault(keys[-1], copy.deepcopy(items))
    return data


def _seeding_loader(seeds: dict[tuple[str, ...], list]):
    """A file loader that seeds default arrays into the root of the chain (no ``base``)."""

    def load(path: Path) -> dict:
        data = load_toml(path)
        return data if not seeds or BASE_KEY in data else _seed(data, seeds)

    return load


def _blame_override(exc: ConfigError, overrides: tuple[str, ...]) -> ConfigError:
    """Blame the override that created an unknown key rather than the scenario file.

    ``load_config`` blames the writer of the error's exact key or a parent of it; an override
    that adds ``nosuch.key`` is reported at ``nosuch``, which no one "wrote", so it would name
    the file. Here the last override writing at or below the error's key takes the blame.
    """
    if exc.field is None or exc.source.startswith("--set"):
        return exc
    for override in reversed(overrides):
        try:
            keys, _ = parse_override(override)
        except ConfigError:
            continue
        if _dotted_starts_with(keys, exc.field):
            return ConfigError(f"--set {override}", exc.problem, exc.field, exc.accepted)
    return exc


def _dotted_starts_with(keys: tuple[str, ...], dotted: str) -> bool:
    """Whether the key path ``keys`` lies at or below the dotted field ``dotted``."""
    parts = dotted.split(".")
    return list(keys[: len(parts)]) == parts


def _check_exists(path: Path) -> None:
    """A missing scenario file is reported with the names that would have worked."""
    if path.exists():
        return
    names = builtin_names()
    accepted = "an existing .toml file" + (f" or a scenario name: {', '.join(names)}" if names else "")
    raise ConfigError(path, "file not found", accepted=accepted)


def _finish(
    data: dict,
    chain: list[Path],
    layers: list[tuple[str, dict]],
    overrides: tuple[str, ...],
    source: str,
) -> LoadedScenario:
    """Resolve data paths, validate, check the data files and region ids, fingerprint."""
    for keys in PATH_KEYS:
        _absolutise(data, keys, layers, overrides)
    # Only path strings changed since load_config validated, so this cannot fail on values;
    # it gives the scenario its absolute paths.
    scenario = validate(Scenario, data, source)
    data_paths = _check_data_files(scenario, layers, overrides, source)
    return LoadedScenario(
        scenario=scenario,
        data=data,
        chain=list(chain),
        sha256=fingerprint(scenario, data_paths),
        source=source,
        overrides=overrides,
        data_paths=data_paths,
    )


def fingerprint(scenario: Scenario, data_paths: dict[str, str]) -> str:
    """SHA-256 of the fully resolved scenario, data files standing in by their content.

    Each data path is replaced by ``sha256:<hash of the file's bytes>`` before hashing (the
    packaged regions file too, when ``grid.regions_file`` is empty), so the fingerprint changes
    when a data file changes and not when the checkout moves.

    Args:
        scenario: The validated scenario.
        data_paths: Absolute data file paths by dotted key (see ``LoadedScenario.data_paths``).

    Returns:
        64 lowercase hex digits.
    """
    dumped = scenario.model_dump(mode="json")
    for dotted, path in data_paths.items():
        section, key = dotted.split(".")
        dumped[section][key] = f"sha256:{data_file_sha256(path)}"
    return file_sha256(dumped)


def data_file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a data file's bytes (for fingerprints and the run manifest)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------------
# Who wrote a key: a file of the chain or an override
# --------------------------------------------------------------------------------------------


def _writer(keys: tuple[str, ...], layers: list[tuple[str, dict]], overrides: Iterable[str]) -> tuple[str, Path] | None:
    """Find who set ``keys`` last: ``(label for messages, folder to resolve paths against)``.

    Overrides win over files, the child file over its bases. An override replaces the whole
    value at its key; a file's tables merge into its base's, but its arrays and scalars replace
    the base's whole, so a file that wrote ``miners = [...]`` wrote ``miners.3.region`` too.
    """
    for override in reversed(list(overrides)):
        written, _ = parse_override(override)
        if keys[: len(written)] == written:
            return f"--set {override}", Path.cwd()
    for label, layer in layers:  # child first
        if _layer_writes(layer, keys):
            return label, Path(label).parent
    return None


def _layer_writes(layer: dict, keys: Sequence[str]) -> bool:
    """Whether a file's own settings write the value at ``keys`` (or a non-table above it)."""
    node: Any = layer
    for key in keys:
        if not isinstance(node, dict):
            return True  # an array or scalar here replaced everything below it
        if key not in node:
            return False
        node = node[key]
    return True


_MISSING = object()


def _lookup(node: Any, keys: Sequence[str]) -> Any:
    """Value at ``keys`` inside nested tables/arrays (array parts are indices), or ``_MISSING``."""
    for key in keys:
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and is_index(str(key)) and int(key) < len(node):
            node = node[int(key)]
        else:
            return _MISSING
    return node


def _absolutise(data: dict, keys: tuple[str, ...], layers: list[tuple[str, dict]], overrides: tuple[str, ...]) -> None:
    """Rewrite a relative path at ``keys`` against the folder of whoever wrote it."""
    value = _lookup(data, keys)
    if not isinstance(value, str) or not value.strip():
        return  # absent, empty (= packaged default) or not a string (validation reports it)
    path = Path(value).expanduser()
    if not path.is_absolute():
        writer = _writer(keys, layers, overrides)
        folder = writer[1] if writer else Path.cwd()
        path = folder / path
    _lookup(data, keys[:-1])[keys[-1]] = str(Path(os.path.normpath(path.absolute())))


# --------------------------------------------------------------------------------------------
# Data files and region ids
# --------------------------------------------------------------------------------------------


def _check_data_files(
    scenario: Scenario, layers: list[tuple[str, dict]], overrides: tuple[str, ...], source: str
) -> dict[str, str]:
    """Read the data files the run will read and check region ids against the regions file."""
    paths: dict[str, str] = {}
    if scenario.price.kind in ("csv", "csv_gbm"):
        _check_data_file(scenario.price.csv_path, ("price", "csv_path"), layers, overrides, source)
        read_price_csv(Path(scenario.price.csv_path))
        paths["price.csv_path"] = scenario.price.csv_path
    regions_file = scenario.grid.regions_file
    if regions_file:
        _check_data_file(regions_file, ("grid", "regions_file"), layers, overrides, source)
    regions = load_regions(Path(regions_file) if regions_file else None)
    paths["grid.regions_file"] = regions_file or _packaged_regions_file()
    _check_required_regions(list(regions), layers, overrides, source)
    _check_region_ids(scenario, list(regions), layers, overrides, source)
    return paths


_DATA_FORMS = {
    ("price", "csv_path"): "a CSV file 'date,price_usd', relative to the scenario file "
    "(to the working directory in --set)",
    ("grid", "regions_file"): "a regions TOML file like model/data/regions.toml, relative to "
    'the scenario file (to the working directory in --set), or "" for that packaged file',
}


def _check_data_file(
    path: str,
    keys: tuple[str, ...],
    layers: list[tuple[str, dict]],
    overrides: tuple[str, ...],
    source: str,
) -> None:
    """A data path must name an existing file: report it against the scenario key."""
    if Path(path).is_file():
        return
    problem = "is a directory, not a file" if Path(path).is_dir() else "file not found"
    raise ConfigError(
        _blame(keys, layers, overrides, source),
        f"{path}: {problem}",
        field=".".join(keys),
        accepted=_DATA_FORMS[keys],
    )


def _packaged_regions_file() -> str:
    """Where the packaged regions file is, for the manifest."""
    return str(resources.files(DATA_PACKAGE).joinpath(PACKAGED_FILE))


REQUIRED_REGIONS = ("ERCOT",)
"""Regions the model itself refers to by id (the Texas metrics and rules use ERCOT)."""


def _check_required_regions(
    known: list[str], layers: list[tuple[str, dict]], overrides: tuple[str, ...], source: str
) -> None:
    """A custom regions file must still hold the regions the model names."""
    for region in REQUIRED_REGIONS:
        if region not in known:
            raise ConfigError(
                _blame(("grid", "regions_file"), layers, overrides, source),
                f"the regions file has no region {region!r}, which the model's Texas metrics and rules need",
                field="grid.regions_file",
                accepted=f"a regions file with the regions {', '.join(REQUIRED_REGIONS)}",
            )


def _check_region_ids(
    scenario: Scenario,
    known: list[str],
    layers: list[tuple[str, dict]],
    overrides: tuple[str, ...],
    source: str,
) -> None:
    """Every ``miners[*].region`` and ``shocks[*].regions`` entry must be a region of the file."""
    accepted = f"a region id of {scenario.grid.regions_file or 'the packaged regions file'}: "
    accepted += ", ".join(known)
    for i, miner in enumerate(scenario.miners):
        if miner.region not in known:
            keys = ("miners", str(i), "region")
            raise ConfigError(
                _blame(keys, layers, overrides, source),
                f"unknown region {miner.region!r}",
                field=f"miners.{i}.region",
                accepted=accepted,
            )
    for i, shock in enumerate(scenario.shocks):
        for j, region in enumerate(shock.regions):
            if region not in known:
                keys = ("shocks", str(i), "regions", str(j))
                raise ConfigError(
                    _blame(keys, layers, overrides, source),
                    f"unknown region {region!r}",
                    field=f"shocks.{i}.regions.{j}",
                    accepted=accepted,
                )


def _blame(keys: tuple[str, ...], layers: list[tuple[str, dict]], overrides: tuple[str, ...], source: str) -> str:
    """The file or override that wrote ``keys``, else (a schema default) the scenario itself."""
    writer = _writer(keys, layers, overrides)
    return writer[0] if writer else source
