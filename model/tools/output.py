"""Write a run's tables and manifest to a folder, atomically and reproducibly.

A run folder holds::

    timeseries.csv / timeseries.parquet   daily series, one row per day (units in column names)
    agents.csv                            per-miner panel, every 30 days and at the end
    leases.csv, sites.csv, events.csv, sales.csv
    manifest.json                         what was run, with what, by whom, how long it took

Everything is first written to a hidden sibling folder and renamed into place at the end, so a
reader never sees half a run and a failed or interrupted write leaves the previous output (if
any) untouched. CSV floats are written with ``repr`` (the shortest text that reads back to the
same float), so the same run gives byte-identical files on every machine.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import platform
import shutil
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from hashpivot.model.config.paths import REPO_DIR
from hashpivot.model.config.scenarios import BUILTIN, LoadedScenario, data_file_sha256
from hashpivot.model.tools.portable import parameter_sources, portable_argv, portable_scenario, project_path
from hashpivot.model.tools.run import RunResult

MANIFEST = "manifest.json"
ENSEMBLE_FILE = "ensemble.json"  # marks an ensemble folder (hashpivot ensemble)
REPORT_FILE = "report.json"  # marks a report folder (hashpivot report / compare)
ROW_TABLES = ("agents", "leases", "sites", "events", "sales")
PACKAGES = ("hashpivot", "mesa", "numpy", "networkx", "pydantic", "pyarrow")
GIT_TIMEOUT_S = 10

# Header of a table when a run produced no rows of it, so a reader still finds the columns
# (a table with rows takes its columns from the rows; these must name the same ones).
EMPTY_COLUMNS: dict[str, tuple[str, ...]] = {
    "events": ("day", "date", "agent", "kind", "text"),
    "sales": ("day", "site", "winner", "price_usd", "mw", "convertible_mw", "region"),
    "leases": (
        "lease_id", "miner_id", "hyperscaler_id", "site", "kind", "mw", "rent_usd_per_kw_month",
        "term_years", "escalator_per_year", "prepayment_usd", "capex_usd", "sign_day",
        "promised_day", "start_day", "end_day", "miner_reservation_usd_per_kw_month",
        "hyperscaler_reservation_usd_per_kw_month", "total_contract_value_usd",
    ),
}  # fmt: skip


class OutputError(ValueError):
    """An output folder that cannot be used; the message is one line naming the path."""


# --------------------------------------------------------------------------------------------
# The output folder
# --------------------------------------------------------------------------------------------


def check_out_dir(out_dir: Path, marker: str = MANIFEST, kind: str = "run output") -> None:
    """Refuse an output path that is a file, or a folder that is not an earlier output of this kind.

    Replacing a folder deletes it, so only an empty folder or one holding ``marker`` (written by an
    earlier run, ensemble or report) may be replaced: ``--out ~`` must not delete a home folder.

    Args:
        out_dir: Where the output is to be written.
        marker: The file an earlier output of this kind left in its folder.
        kind: What the output is called in the message ("run output", "ensemble", "report").

    Raises:
        OutputError: ``out_dir`` (or a parent) is a file, or is a folder with other content.
    """
    out_dir = Path(out_dir)
    accepted = f"accepted: a new folder, an empty one or a previous {kind} folder"
    for parent in out_dir.absolute().parents:
        if parent.exists() and not parent.is_dir():
            raise OutputError(f"{out_dir}: {parent} is a file, not a folder ({accepted})")
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: is an existing file ({accepted})")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / marker).is_file():
        raise OutputError(
            f"{out_dir}: folder exists and is not a HashPivot {kind} (no {marker}); refusing to replace it ({accepted})"
        )


def write_run(result: RunResult, out_dir: Path, manifest: Mapping[str, Any]) -> None:
    """Write every table of ``result`` and the manifest to ``out_dir``, all or nothing.

    The files go to ``<parent>/.<name>.tmp-<pid>`` first, which is then renamed to ``out_dir``.
    An existing ``out_dir`` (a previous run) is renamed aside and deleted only once the new
    folder is in place. On any error the temporary folder, and any parent folders this call
    created, are removed.

    Args:
        result: The run's tables.
        out_dir: The folder to create or replace.
        manifest: JSON-serialisable provenance (see ``manifest``).

    Raises:
        OutputError: ``out_dir`` cannot be used (see ``check_out_dir``).
        OSError: The file system refused a write.
    """
    out_dir = Path(os.path.abspath(out_dir))
    check_out_dir(out_dir)
    write_atomically(out_dir, lambda tmp: _write_all(result, tmp, manifest))


def write_atomically(out_dir: Path, fill: Callable[[Path], None]) -> None:
    """Create or replace ``out_dir`` so that it only ever appears complete.

    ``fill`` writes into a hidden sibling folder, which is renamed into place when it returns; an existing
    ``out_dir`` is moved aside and deleted only once the new one is in place. On any error (or Ctrl-C) the
    temporary folder, and any parent folders this call created, are removed. Runs, ensembles and reports
    all write through here; callers check that ``out_dir`` may be replaced first.
    """
    out_dir = Path(os.path.abspath(out_dir))
    created = _make_parents(out_dir.parent)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}"
    try:
        if tmp.exists():  # left by a killed process that had our pid
            shutil.rmtree(tmp)
        tmp.mkdir()
        fill(tmp)
        _swap_into_place(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_empty(created)
        raise


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and missing ancestors; return those created, deepest first."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    return missing


def _remove_empty(folders: Iterable[Path]) -> None:
    """Remove folders this write created, if still empty (deepest first)."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def _swap_into_place(tmp: Path, out_dir: Path) -> None:
    """Rename ``tmp`` to ``out_dir``, replacing a previous output only after the rename."""
    if not out_dir.exists():
        os.replace(tmp, out_dir)
        return
    old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
    if old.exists():
        shutil.rmtree(old)
    os.replace(out_dir, old)
    try:
        os.replace(tmp, out_dir)
    except BaseException:
        os.replace(old, out_dir)  # put the previous run back
        raise
    if old.is_symlink():  # --out named a link to a previous run: drop the link, not its target
        old.unlink()
    else:
        shutil.rmtree(old, ignore_errors=True)


def _write_all(result: RunResult, folder: Path, manifest: Mapping[str, Any]) -> None:
    """Write the tables, then the manifest (its presence marks a complete folder)."""
    columns = list(result.timeseries)
    rows = zip(*(result.timeseries[c] for c in columns), strict=True)
    write_csv(folder / "timeseries.csv", columns, rows)
    write_parquet(folder / "timeseries.parquet", result.timeseries)
    for table in ROW_TABLES:
        records = getattr(result, table)
        header = _columns(records) or list(EMPTY_COLUMNS.get(table, ()))
        write_csv(folder / f"{table}.csv", header, ([r.get(c) for c in header] for r in records))
    text = json.dumps(manifest, indent=2, ensure_ascii=False, allow_nan=False, default=_json)
    (folder / MANIFEST).write_text(text + "\n", encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def _columns(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every key of the rows, in order of first appearance (rows may differ in keys)."""
    seen: dict[str, None] = {}
    for record in records:
        seen.update(dict.fromkeys(record))
    return list(seen)


def csv_cell(value: Any) -> str:
    """One CSV cell, exact for re-reading: floats by ``repr`` (``nan``, ``inf`` as such), None as empty.

    Args:
        value: A Python or numpy scalar, or text.

    Returns:
        The cell text; the same value always gives the same text.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write a CSV with Unix line ends and deterministic cell text (see ``csv_cell``).

    Args:
        path: The file to write.
        header: Column names; nothing is written for an empty header.
        rows: Cells in ``header`` order.
    """
    with path.open("w", encoding="utf-8", newline="") as handle:
        if not header:
            return
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([csv_cell(v) for v in row])


def write_parquet(path: Path, series: Mapping[str, np.ndarray]) -> None:
    """Write the daily series as Parquet, ``date`` as a date32 column and numbers as float64.

    Args:
        path: The file to write.
        series: Columns by name; ``date`` holds ISO date strings.
    """
    arrays = {}
    for name, values in series.items():
        if name == "date":
            arrays[name] = pa.array([dt.date.fromisoformat(str(d)) for d in values], pa.date32())
        else:
            arrays[name] = pa.array(np.asarray(values))
    pq.write_table(pa.table(arrays), path)


# --------------------------------------------------------------------------------------------
# Manifest
# --------------------------------------------------------------------------------------------


def manifest(
    loaded: LoadedScenario,
    seed: int,
    days: int,
    argv: Sequence[str],
    wall_time_s: float,
    horizon: str | None = None,
) -> dict[str, Any]:
    """Describe a run well enough to repeat it.

    Every path in it is relative to the project (``portable.project_path``), so the manifest reads
    the same on any machine.

    Args:
        loaded: The scenario and where it came from.
        seed: The model seed.
        days: The number of simulated days.
        argv: The command line (program name first).
        wall_time_s: Seconds the simulation took.
        horizon: The flag that set ``days`` when it differs from the scenario's ``run.days``
            (``--until 2027-12-31``), recorded as the source of ``run.days``.

    Returns:
        A JSON-serialisable dict: scenario (fully resolved) and its sha256, who set which key, seed,
        days, files, data paths, git state, Python and package versions, command line and timing.
    """
    sources = parameter_sources(loaded)
    if days != loaded.scenario.run.days:
        sources["run.days"] = horizon or f"--days {days}"
    return {
        "scenario_name": loaded.name,
        "scenario_source": loaded.source if loaded.source == BUILTIN else project_path(loaded.source),
        "scenario_sha256": loaded.sha256,
        "scenario_chain": [project_path(p) for p in loaded.chain],
        "overrides": list(loaded.overrides),
        "parameter_sources": dict(sorted(sources.items())),
        "data_files": {
            key: {"path": project_path(path), "sha256": data_file_sha256(path)}
            for key, path in loaded.data_paths.items()
        },
        "seed": seed,
        "days": days,
        "start_date": loaded.scenario.run.start_date.isoformat(),
        "git": git_state(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(),
        "command": portable_argv(argv),
        "wall_time_s": round(float(wall_time_s), 3),
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scenario": portable_scenario(loaded.scenario.model_dump(mode="json")),
    }


def git_state(repo: Path = REPO_DIR) -> dict[str, Any]:
    """The repository's commit and whether it has uncommitted changes.

    ``--no-optional-locks`` keeps ``git status`` from taking the index lock, so a run never
    gets in the way of a commit being made at the same time.

    Args:
        repo: The checkout to ask.

    Returns:
        ``{"commit": sha or "unknown", "dirty": bool or "unknown"}``.
    """
    commit = _git(repo, "rev-parse", "HEAD")
    status = _git(repo, "--no-optional-locks", "status", "--porcelain") if commit else None
    return {
        "commit": commit or "unknown",
        "dirty": "unknown" if status is None else bool(status.strip()),
    }


def _git(repo: Path, *args: str) -> str | None:
    """Run a read-only git command; None if git is missing or this is not a checkout."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str]:
    """Installed versions of ``names`` ("unknown" for one that is not installed)."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "unknown"
    return versions


def _json(value: Any) -> Any:
    """JSON for the few non-JSON values a manifest may hold."""
    if isinstance(value, np.generic):
        value = value.item()
        return None if isinstance(value, float) and not math.isfinite(value) else value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    raise TypeError(f"cannot write a {type(value).__name__} to {MANIFEST}")


__all__ = [
    "EMPTY_COLUMNS",
    "MANIFEST",
    "OutputError",
    "check_out_dir",
    "csv_cell",
    "git_state",
    "manifest",
    "package_versions",
    "write_csv",
    "write_parquet",
    "write_run",
]
