"""A sweep's results folder: Parquet parts written atomically, a manifest, and resume.

Layout::

    <out>/manifest.json        sweep definition, base scenario and its sha256, design summary,
                               seeds, versions, sessions (timings) and counts
    <out>/design.parquet       point_id, each parameter's value, and its unit-cube coordinate
                               (column "unit:<parameter>"), in design order
    <out>/results/part-NNNNN.parquet   one row per finished run
    <out>/series/part-NNNNN.parquet    optional daily series, long format (run_id, day, columns)

A part is written to a hidden temporary file, flushed to disk and renamed into place, so a part
is either complete or absent: readers (pandas, DuckDB, pyarrow) skip hidden files, and a sweep
killed at any moment leaves only whole parts. A run is done once its row is in a results part;
the series part of the same number is written just before, and a series part without its results
part (a kill between the two renames) is deleted when the folder is next opened, as are leftover
temporary files. Resuming skips the run ids found in the results parts, so no row is ever written
twice. A lock file keeps two sweeps from writing into one folder at the same time.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import re
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from hashpivot.model.config.errors import ConfigError
from hashpivot.model.tools.sweep.design import point_values
from hashpivot.model.tools.sweep.reducers import DATE_REDUCERS
from hashpivot.model.tools.sweep.spec import Parameter, SweepPlan, SweepSpec, spec_dump

try:  # POSIX only; elsewhere two sweeps into one folder are the user's responsibility
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

FORMAT = "hashpivot-sweep/1"
MANIFEST = "manifest.json"
DESIGN = "design.parquet"
RESULTS = "results"
SERIES = "series"
LOCK = ".lock"
UNIT_PREFIX = "unit:"
_PART = re.compile(r"part-(\d+)\.parquet")
VERSION_PACKAGES = (
    "hashpivot",
    "mesa",
    "numpy",
    "scipy",
    "pydantic",
    "pyarrow",
    "SALib",
    "dask",
    "distributed",
)


# --------------------------------------------------------------------------------------------
# Column types
# --------------------------------------------------------------------------------------------


def parameter_type(param: Parameter) -> pa.DataType:
    """Arrow type of a parameter's column: float64, int64, bool, or the levels' common type."""
    if param.kind == "float":
        return pa.float64()
    if param.kind == "int":
        return pa.int64()
    levels = param.choices()
    if all(isinstance(v, bool) for v in levels):
        return pa.bool_()
    if all(isinstance(v, int) and not isinstance(v, bool) for v in levels):
        return pa.int64()
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in levels):
        return pa.float64()
    return pa.string()  # text levels, or a mix of types (each stored as its text)


def _cell(kind: pa.DataType, value: Any) -> Any:
    if value is None:
        return None
    if kind == pa.string() and not isinstance(value, str):
        return json.dumps(value)
    if kind == pa.float64():
        return float(value)
    return value


def results_schema(spec: SweepSpec) -> pa.Schema:
    """Columns of a results part, in order."""
    fields = [
        pa.field("run_id", pa.int64()),
        pa.field("point_id", pa.int64()),
        pa.field("replication", pa.int64()),
        pa.field("seed", pa.int64()),
    ]
    fields += [pa.field(p.name, parameter_type(p)) for p in spec.parameters]
    fields += [
        pa.field(m.name, pa.string() if m.reducer in DATE_REDUCERS else pa.float64()) for m in spec.outputs.metrics
    ]
    fields += [
        pa.field("status", pa.string()),
        pa.field("error", pa.string()),
        pa.field("wall_time_s", pa.float64()),
    ]
    return pa.schema(fields)


def series_schema(spec: SweepSpec) -> pa.Schema | None:
    """Columns of a series part, or None when the sweep keeps no series."""
    if not spec.outputs.keep_series:
        return None
    fields = [pa.field("run_id", pa.int64()), pa.field("day", pa.int64())]
    return pa.schema(fields + [pa.field(c, pa.float64()) for c in spec.outputs.keep_series])


def design_table(spec: SweepSpec, unit: np.ndarray) -> pa.Table:
    """The design as a table: point_id, parameter values, unit coordinates."""
    values = [point_values(spec, row) for row in unit]
    columns: dict[str, pa.Array] = {"point_id": pa.array(np.arange(len(unit)), pa.int64())}
    for param in spec.parameters:
        kind = parameter_type(param)
        columns[param.name] = pa.array([_cell(kind, v[param.name]) for v in values], kind)
    for j, param in enumerate(spec.parameters):
        columns[UNIT_PREFIX + param.name] = pa.array(unit[:, j], pa.float64())
    return pa.table(columns)


def read_design_unit(folder: Path, spec: SweepSpec) -> np.ndarray:
    """The unit-cube design stored in a folder, in design order.

    Raises:
        ConfigError: The file is missing or lacks a parameter's column.
    """
    path = Path(folder) / DESIGN
    names = [UNIT_PREFIX + n for n in spec.names]
    try:
        table = pq.read_table(path, columns=["point_id", *names])
    except (OSError, pa.ArrowException) as exc:
        raise ConfigError(path, f"cannot read the design: {_one_line(exc)}") from None
    order = np.argsort(table.column("point_id").to_numpy())
    return np.column_stack([table.column(n).to_numpy()[order] for n in names]).reshape(len(order), len(names))


# --------------------------------------------------------------------------------------------
# Reading parts
# --------------------------------------------------------------------------------------------


def part_files(folder: Path) -> list[Path]:
    """Complete part files of a ``results`` or ``series`` folder, by part number."""
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _PART.fullmatch(p.name))]
    return [p for _, p in sorted(found)]


def read_results(folder: Path, columns: Iterable[str] | None = None) -> pa.Table | None:
    """All results rows of a sweep folder (in part order), or None if there are none yet.

    Args:
        folder: The sweep folder.
        columns: Columns to read (default all).

    Raises:
        ConfigError: A part cannot be read or lacks a column.
    """
    tables = []
    for part in part_files(Path(folder) / RESULTS):
        try:
            tables.append(pq.read_table(part, columns=list(columns) if columns else None))
        except (OSError, pa.ArrowException) as exc:
            raise ConfigError(part, f"cannot read results part: {_one_line(exc)}") from None
    return pa.concat_tables(tables) if tables else None


CSV_FILES = {RESULTS: "results.csv", SERIES: "series.csv"}
"""Where ``export_csv`` writes the results (and kept series) for spreadsheet users."""


def export_csv(folder: Path) -> list[Path]:
    """Write the results (and the kept series) of a sweep folder as CSV, sorted by run (and day).

    ``results.csv`` has one row per finished run, the columns of the Parquet parts; ``series.csv`` (when
    the sweep keeps series) is long, ``run_id, day, <columns>``. Floats are written exactly (``repr``), so
    the same results give the same bytes; each file appears atomically.

    Returns:
        The files written.
    """
    from hashpivot.model.tools.output import write_csv

    folder = Path(folder)
    written = []
    for sub, name in CSV_FILES.items():
        parts = part_files(folder / sub)
        if not parts:
            continue
        try:
            table = pa.concat_tables([pq.read_table(p) for p in parts])
        except (OSError, pa.ArrowException) as exc:
            raise ConfigError(folder / sub, f"cannot read the parts: {_one_line(exc)}") from None
        keys = [("run_id", "ascending")] + ([("day", "ascending")] if sub == SERIES else [])
        table = table.sort_by(keys)
        columns = table.column_names
        path = folder / name
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        try:
            write_csv(tmp, columns, zip(*(table.column(c).to_pylist() for c in columns), strict=True))
            _commit(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        written.append(path)
    return written


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


# --------------------------------------------------------------------------------------------
# The folder
# --------------------------------------------------------------------------------------------


def read_manifest(folder: Path) -> dict:
    """The parsed ``manifest.json`` of a sweep folder.

    Raises:
        ConfigError: Missing, unreadable, not JSON, or not a sweep manifest.
    """
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise ConfigError(
            folder,
            f"not a sweep folder: no {MANIFEST}",
            accepted="a folder written by hashpivot sweep",
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(path, f"cannot read the manifest: {_one_line(exc)}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ConfigError(
            path,
            "not a sweep manifest",
            field="format",
            accepted=f"a manifest written by hashpivot sweep (format {FORMAT!r})",
        )
    return manifest


class SweepFolder:
    """An open, locked results folder of one sweep definition.

    Use ``SweepFolder.open``; call ``close`` (or use it as a context manager) to release the lock.
    """

    def __init__(self, path: Path, plan: SweepPlan, unit: np.ndarray, lock: Any):
        self.path = Path(path)
        self.plan = plan
        self.unit = unit
        self._lock = lock
        self.manifest = read_manifest(self.path)

    # -- opening ------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, plan: SweepPlan, unit: np.ndarray, *, must_exist: bool = False) -> SweepFolder:
        """Open (creating or resuming) the results folder of ``plan`` at ``path``.

        Args:
            path: The ``--out`` folder.
            plan: The sweep.
            unit: Its design.
            must_exist: Refuse a folder without a manifest (``--resume``).

        Returns:
            The open folder, locked against other sweeps.

        Raises:
            ConfigError: ``path`` is a file, a non-empty folder that is not a sweep's, another
                sweep's folder, in use by another process, or (``must_exist``) has nothing to
                resume.
        """
        path = Path(path)
        resuming = check_folder(path, plan, must_exist)
        created = not path.exists()
        try:
            path.mkdir(parents=True, exist_ok=True)
            lock = _lock(path)
        except OSError as exc:
            raise ConfigError(path, f"cannot create the output folder: {exc.strerror or exc}") from None
        try:
            if resuming:
                check_folder(path, plan, must_exist)  # again, now that we hold the lock
                _check_design(path, plan, unit)
            else:
                _write_new(path, plan, unit)
            _tidy(path)
        except BaseException:
            _unlock(lock)
            if created:
                _remove_tree(path)
            raise
        return cls(path, plan, unit, lock)

    def close(self) -> None:
        """Release the lock."""
        _unlock(self._lock)
        self._lock = None

    def __enter__(self) -> SweepFolder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- contents -----------------------------------------------------------------------------

    def done_run_ids(self) -> set[int]:
        """Run ids that have a row in a results part."""
        table = read_results(self.path, ["run_id"])
        return set() if table is None else set(table.column("run_id").to_pylist())

    def counts(self) -> dict[str, int]:
        """Runs in the design, and done / ok / failed so far."""
        table = read_results(self.path, ["status"])
        statuses = [] if table is None else table.column("status").to_pylist()
        ok = sum(1 for s in statuses if s == "ok")
        return {
            "runs": len(self.unit) * self.plan.spec.design.replications,
            "done": len(statuses),
            "ok": ok,
            "failed": len(statuses) - ok,
        }

    def writer(self, flush_rows: int = 100, flush_seconds: float = 5.0) -> PartWriter:
        """A writer appending new parts to this folder."""
        return PartWriter(self, flush_rows, flush_seconds)

    def next_part_number(self) -> int:
        """One more than the highest part number in use."""
        numbers = [
            int(_PART.fullmatch(p.name).group(1)) for sub in (RESULTS, SERIES) for p in part_files(self.path / sub)
        ]
        return max(numbers, default=-1) + 1

    def update_manifest(self, **changes: Any) -> None:
        """Set top-level manifest keys and rewrite it atomically."""
        self.manifest.update(changes)
        write_json_atomic(self.path / MANIFEST, self.manifest)


def check_folder(path: Path, plan: SweepPlan, must_exist: bool = False) -> bool:
    """Whether ``path`` holds this sweep's earlier results (resume) or is free to use.

    Args:
        path: The ``--out`` folder.
        plan: The sweep.
        must_exist: Refuse a folder without a manifest.

    Returns:
        True to resume, False for a new (or empty) folder.

    Raises:
        ConfigError: See ``SweepFolder.open``.
    """
    if path.exists() and not path.is_dir():
        raise ConfigError(path, "is a file", accepted="a new folder, an empty one or this sweep's results folder")
    if (path / MANIFEST).exists():
        manifest = read_manifest(path)
        if manifest.get("definition_sha256") != plan.definition_sha256:
            raise ConfigError(
                path / MANIFEST,
                "the folder holds results of a different sweep definition "
                "(the sweep file or its base scenario changed)",
                field="definition_sha256",
                accepted="the same sweep file and base scenario, or a new --out folder",
            )
        return True
    if must_exist:
        raise ConfigError(
            path,
            f"nothing to resume: no {MANIFEST}",
            accepted="a folder written by hashpivot sweep",
        )
    if path.is_dir() and not _only_an_unfinished_start(path):
        raise ConfigError(
            path,
            f"folder exists and is not a sweep's results folder (no {MANIFEST})",
            accepted="a new folder, an empty one or this sweep's results folder",
        )
    return False


def _only_an_unfinished_start(path: Path) -> bool:
    """Whether a folder without a manifest is empty or holds only a sweep's unfinished start.

    A sweep killed between creating its folder and writing the manifest leaves the lock, the
    design and empty part folders: it is safe to start over in such a folder.
    """
    allowed = {LOCK, DESIGN, RESULTS, SERIES}
    for item in path.iterdir():
        if item.name in (RESULTS, SERIES):
            if not item.is_dir() or any(not p.name.startswith(".") for p in item.iterdir()):
                return False
        elif item.name not in allowed and not (item.name.startswith(".") and ".tmp-" in item.name):
            return False
    return True


def _check_design(path: Path, plan: SweepPlan, unit: np.ndarray) -> None:
    stored = read_design_unit(path, plan.spec)
    if stored.shape != unit.shape or not np.array_equal(stored, unit):
        raise ConfigError(
            path / DESIGN,
            "the design drawn now differs from the stored one (SALib or numpy version changed?)",
            accepted="resuming with the versions in manifest.json, or a new --out folder",
        )


def _write_new(path: Path, plan: SweepPlan, unit: np.ndarray) -> None:
    """Design first, manifest last: a folder with a manifest is a complete, resumable start."""
    (path / RESULTS).mkdir(exist_ok=True)
    if plan.spec.outputs.keep_series:
        (path / SERIES).mkdir(exist_ok=True)
    write_parquet_atomic(path / DESIGN, design_table(plan.spec, unit))
    write_json_atomic(path / MANIFEST, new_manifest(plan, unit))


def new_manifest(plan: SweepPlan, unit: np.ndarray) -> dict[str, Any]:
    """The manifest of a new sweep folder (sessions and counts are added as it runs)."""
    from hashpivot.model.tools.output import git_state
    from hashpivot.model.tools.portable import portable_scenario, project_path

    spec = plan.spec
    runs = len(unit) * spec.design.replications
    return {
        "format": FORMAT,
        "name": spec.name,
        "sweep_file": project_path(plan.source),
        "definition_sha256": plan.definition_sha256,
        "sweep": spec_dump(spec),
        "base": {
            "source": project_path(plan.base_source) if plan.base_source else "",
            "name": plan.base_scenario.get("name"),
            "sha256": plan.base_sha256,
            "parameter_sources": plan.base_sources,
        },
        "base_scenario": portable_scenario(plan.base_scenario),
        "design": {
            "method": spec.design.method,
            "parameters": list(spec.names),
            "points": len(unit),
            "replications": spec.design.replications,
            "runs": runs,
            "file": DESIGN,
        },
        "root_seed": spec.design.root_seed,
        "seeds": "SeedSequence(root_seed, spawn_key=(key,)) -> 63-bit int; key = "
        + ("replication" if spec.design.common_random_numbers else "run_id"),
        "columns": {
            "results": results_schema(spec).names,
            "series": (series_schema(spec).names if spec.outputs.keep_series else []),
        },
        "created_utc": utc_now(),
        "git": git_state(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions(),
        "status": "created",
        "counts": {"runs": runs, "done": 0, "ok": 0, "failed": 0},
        "sessions": [],
    }


def versions() -> dict[str, str]:
    """Installed versions of the packages a sweep's results depend on."""
    from hashpivot.model.tools.output import package_versions

    return package_versions(VERSION_PACKAGES)


def utc_now() -> str:
    """The current UTC time, ISO format, to the second (provenance only, never results)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _tidy(path: Path) -> None:
    """Delete leftover temporary files and series parts whose results part never landed."""
    for folder in (path, path / RESULTS, path / SERIES):
        if folder.is_dir():
            for item in folder.iterdir():
                if item.name.startswith(".") and ".tmp-" in item.name:
                    item.unlink(missing_ok=True)
    committed = {p.name for p in part_files(path / RESULTS)}
    for orphan in part_files(path / SERIES):
        if orphan.name not in committed:
            orphan.unlink(missing_ok=True)


def _lock(path: Path) -> Any:
    handle = open(path / LOCK, "a+")  # noqa: SIM115 - held open for the folder's lifetime
    if fcntl is None:
        return handle
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise ConfigError(
            path,
            "another sweep is writing to this folder",
            accepted="one sweep per --out folder at a time; wait for it or use another --out",
        ) from None
    return handle


def _unlock(handle: Any) -> None:
    if handle is not None:
        handle.close()  # closing the file releases the flock


def _remove_tree(path: Path) -> None:
    """Remove a folder this process created and filled only partly."""
    import shutil

    shutil.rmtree(path, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# Writing parts
# --------------------------------------------------------------------------------------------


class PartWriter:
    """Buffers finished runs and writes them out as numbered parts.

    A part is written when ``flush_rows`` runs are buffered or ``flush_seconds`` have passed since
    the last part (checked by ``flush_if_due``), and by ``flush``.
    """

    def __init__(self, folder: SweepFolder, flush_rows: int, flush_seconds: float):
        spec = folder.plan.spec
        self.folder = folder
        self.flush_rows = max(1, int(flush_rows))
        self.flush_seconds = float(flush_seconds)
        self.schema = results_schema(spec)
        self.series_schema = series_schema(spec)
        self._types = {f.name: f.type for f in self.schema}
        self._rows: list[dict] = []
        self._series: dict[str, list] = {n: [] for n in (self.series_schema or pa.schema([])).names}
        self._next = folder.next_part_number()
        self._last = time.monotonic()
        self.parts_written = 0

    def add(self, row: Mapping[str, Any], series: Mapping[str, list] | None = None) -> None:
        """Buffer one finished run: its results row and (optionally) its daily series."""
        self._rows.append({name: _cell(self._types[name], row.get(name)) for name in self.schema.names})
        if self.series_schema is not None and series:
            days = series["day"]
            self._series["run_id"].extend([row["run_id"]] * len(days))
            self._series["day"].extend(days)
            for name in self.series_schema.names[2:]:
                self._series[name].extend(_finite_or_none(series[name]))

    def flush_if_due(self) -> bool:
        """Write a part if enough rows or time have accumulated; whether one was written."""
        if not self._rows:
            return False
        if len(self._rows) >= self.flush_rows or time.monotonic() - self._last >= self.flush_seconds:
            self.flush()
            return True
        return False

    def flush(self) -> None:
        """Write the buffered runs as one part (series part first, results part last)."""
        if not self._rows:
            return
        name = f"part-{self._next:05d}.parquet"
        if self.series_schema is not None:
            table = pa.table(self._series, schema=self.series_schema)
            write_parquet_atomic(self.folder.path / SERIES / name, table)
        table = pa.Table.from_pylist(self._rows, schema=self.schema)
        write_parquet_atomic(self.folder.path / RESULTS / name, table)  # commits the runs
        self._rows = []
        self._series = {n: [] for n in self._series}
        self._next += 1
        self._last = time.monotonic()
        self.parts_written += 1


def _finite_or_none(values: Iterable[Any]) -> list[float | None]:
    out = []
    for v in values:
        out.append(None if v is None or not math.isfinite(v) else float(v))
    return out


def write_parquet_atomic(path: Path, table: pa.Table) -> None:
    """Write a Parquet file so that it appears complete or not at all."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        pq.write_table(table, tmp)
        _commit(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON (indented, no NaN) so that it appears complete or not at all."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n", "utf-8")
        _commit(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _commit(tmp: Path, path: Path) -> None:
    """Flush ``tmp`` to disk and rename it over ``path`` (then flush the folder entry too)."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(dir_fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(dir_fd)
