"""Reading what a source folder holds: run tables, daily series, and a sweep's kept series."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import numpy as np

from hashpivot.model.tools.errors import CommandError
from hashpivot.model.tools.report.series import Series
from hashpivot.model.tools.report.source import SWEEP, Source

_INT = re.compile(r"-?\d+")


def parse_cell(text: str) -> Any:
    """A CSV cell as written by ``hashpivot.model.tools.output.csv_cell``: bool, int, float or text."""
    if text in ("true", "false"):
        return text == "true"
    if _INT.fullmatch(text):
        return int(text)
    try:
        return float(text)  # also nan and inf, which csv_cell writes as such
    except ValueError:
        return text


def read_rows(path: Path) -> list[dict[str, Any]]:
    """A run table (``agents.csv``, ...) as typed rows; a missing file has none."""
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: parse_cell(v) for k, v in row.items()} for row in csv.DictReader(handle)]


def read_timeseries(folder: Path) -> dict[str, np.ndarray]:
    """A run's daily series: ``date`` as ``datetime64[D]``, the rest as float arrays."""
    parquet = folder / "timeseries.parquet"
    if parquet.is_file():
        import pyarrow.parquet as pq

        table = pq.read_table(parquet)
        out = {}
        for name in table.column_names:
            values = table.column(name).to_numpy(zero_copy_only=False)
            out[name] = values.astype("datetime64[D]") if name == "date" else values.astype(float)
        return out
    rows = read_rows(folder / "timeseries.csv")
    columns = list(rows[0]) if rows else ["date"]
    out = {c: np.array([r[c] for r in rows], dtype=float) for c in columns if c != "date"}
    return {"date": np.array([r["date"] for r in rows], dtype="datetime64[D]"), **out}


def load_run_result(folder: Path):
    """A run folder back as a ``RunResult`` (dates as ISO text), for the calibration measures."""
    from hashpivot.model.tools.run import RunResult

    series = read_timeseries(folder)
    timeseries = {k: (v.astype(str) if k == "date" else v) for k, v in series.items()}
    tables = {t: read_rows(folder / f"{t}.csv") for t in ("agents", "leases", "sites", "events", "sales")}
    return RunResult(timeseries=timeseries, **tables)


def load_series(source: Source) -> Series | None:
    """The daily series of a run or ensemble, or the kept series of a sweep (None if none)."""
    if source.kind == SWEEP:
        return _sweep_series(source)
    loaded = [read_timeseries(folder) for folder in source.run_dirs]
    dates = loaded[0]["date"]
    for folder, series in zip(source.run_dirs, loaded, strict=True):
        if series["date"].shape != dates.shape or not np.array_equal(series["date"], dates):
            raise CommandError(
                f"{folder}: its dates differ from {source.run_dirs[0]}'s (accepted: runs of one "
                "horizon, as hashpivot ensemble writes them)"
            )
    columns = [c for c in loaded[0] if c != "date"]
    return Series(dates, {c: np.vstack([s[c] for s in loaded]) for c in columns}, "seeds")


def _sweep_series(source: Source) -> Series | None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from hashpivot.model.tools.sweep.store import SERIES, part_files, read_results

    parts = part_files(source.path / SERIES)
    if not parts:
        return None
    table = pa.concat_tables([pq.read_table(p) for p in parts])
    results = read_results(source.path, ["run_id", "status"]).to_pydict()
    ok = {r for r, s in zip(results["run_id"], results["status"], strict=True) if s == "ok"}
    run_ids = np.asarray(table.column("run_id").to_numpy(), dtype=np.int64)
    keep = np.isin(run_ids, sorted(ok))
    days = np.asarray(table.column("day").to_numpy(), dtype=np.int64)[keep]
    runs = np.unique(run_ids[keep])
    if runs.size == 0:
        return None
    all_days = np.unique(days)
    row, col = np.searchsorted(runs, run_ids[keep]), np.searchsorted(all_days, days)
    values = {}
    for name in table.column_names:
        if name in ("run_id", "day"):
            continue
        grid = np.full((runs.size, all_days.size), np.nan)
        grid[row, col] = np.asarray(table.column(name).to_numpy(zero_copy_only=False), float)[keep]
        values[name] = grid
    start = np.datetime64(source.scenario["run"]["start_date"], "D")
    return Series(start + all_days.astype("timedelta64[D]"), values, "sweep runs")
