"""``hashpivot show``: print a scenario fully resolved, as a TOML file that loads back the same.

Paths in it are relative, never the machine's absolute paths: the header's files are relative to the
project, and data files (``price.csv_path``, ``grid.regions_file``) relative to where the file is read
from -- the folder of ``--out FILE``, or the working directory when printing (so save printed output
there, or use ``--out``)::

    hashpivot show mass_exit_2026 --out runs/out/resolved.toml   # runs/out/ is git-ignored
    hashpivot run runs/out/resolved.toml                         # the same scenario, the same sha256
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from hashpivot.model.cli.common import CommandError, add_scenario_argument, add_set_argument, load_from_args
from hashpivot.model.config.scenarios import BUILTIN, LoadedScenario
from hashpivot.model.config.toml_io import dump_toml
from hashpivot.model.tools.portable import DATA_KEYS, project_path

NAME = "show"
HELP = "print a scenario fully resolved (every default filled in) as TOML"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``show``'s arguments."""
    add_scenario_argument(parser)
    add_set_argument(parser)
    parser.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="write the TOML to FILE (data paths relative to its folder) instead of printing it",
    )


def main(args: argparse.Namespace) -> int:
    """Print (or write) the resolved scenario."""
    loaded = load_from_args(args.scenario, args.overrides)
    if args.out is None:
        print(render(loaded), end="")
        return 0
    out = Path(args.out)
    if out.is_dir():
        raise CommandError(f"--out {out}: is a folder (accepted: a file name, e.g. runs/out/resolved.toml)")
    folder = Path(os.path.abspath(out)).parent
    text = render(loaded, folder)
    tmp = folder / f".{out.name}.tmp-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CommandError(f"--out {out}: cannot write: {exc.strerror or exc}") from exc
    print(f"wrote {out}")
    return 0


def render(loaded: LoadedScenario, folder: Path | None = None) -> str:
    """The scenario as TOML with a provenance header.

    Python-mode dumping keeps dates and date-times as TOML dates rather than strings; both read
    back to the same scenario.

    Args:
        loaded: The scenario.
        folder: Where the file will be read from (data paths are written relative to it); default the
            working directory.

    Returns:
        A TOML document.
    """
    chain = " <- ".join(project_path(p) for p in loaded.chain) or "none (schema defaults)"
    source = loaded.source if loaded.source == BUILTIN else project_path(loaded.source)
    header = "\n".join(
        [
            f"HashPivot scenario {loaded.name!r}, fully resolved: every default filled in.",
            f"source: {source}",
            f"files: {chain} (relative to the project)",
            f"overrides: {' '.join(loaded.overrides) or 'none'}",
            f"sha256: {loaded.sha256}",
            "Written by `hashpivot show`; this file is itself a valid scenario. Data paths are relative to "
            + ("this file's folder." if folder is not None else "the working directory: save it there."),
        ]
    )
    data = loaded.scenario.model_dump(mode="python")
    where = Path.cwd() if folder is None else folder
    for dotted in DATA_KEYS:
        section, key = dotted.split(".")
        if data[section][key]:
            data[section][key] = Path(os.path.relpath(data[section][key], where)).as_posix()
    return dump_toml(data, header=header)
