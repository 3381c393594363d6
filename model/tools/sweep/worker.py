"""What runs on a worker: one simulation, reduced to a plain dict of metrics.

``run_task`` is a top-level function of a module that imports only what a run needs, so it
pickles by reference for a process pool or a Dask cluster, and a worker process starts fast.
It never raises for a bad run: the error is returned as text and recorded in the results, so
one failing design point cannot stop a sweep.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hashpivot.model.config.schema import Scenario
from hashpivot.model.config.validation import validate
from hashpivot.model.tools.run import simulate
from hashpivot.model.tools.sweep.reducers import DATE_REDUCERS, reduce_series

OK = "ok"
ERROR = "error"
MAX_ERROR_CHARS = 500


def run_task(
    scenario: Mapping[str, Any],
    seed: int,
    days: int | None,
    reducers: Sequence[Mapping[str, Any]],
    keep_series: Sequence[str] = (),
) -> dict[str, Any]:
    """Simulate one scenario and reduce its daily series.

    Args:
        scenario: Fully resolved scenario settings (``Scenario.model_dump(mode="json")`` with
            the design point's values set).
        seed: The model seed.
        days: Horizon in days, overriding ``run.days`` (None: keep the scenario's).
        reducers: One mapping per output: ``name``, ``column``, ``reducer`` and ``missing``
            (value for a metric the run leaves undefined, or None).
        keep_series: Daily columns to return whole.

    Returns:
        ``{"status": "ok" | "error", "error": text, "metrics": {name: value},
        "series": {column: list} or None, "wall_time_s": float}``.
    """
    started = time.perf_counter()
    try:
        metrics, series = _simulate_and_reduce(scenario, seed, days, reducers, keep_series)
    except Exception as exc:  # any failure of a run is data, not a crash
        return {
            "status": ERROR,
            "error": error_text(exc),
            "metrics": {},
            "series": None,
            "wall_time_s": time.perf_counter() - started,
        }
    return {
        "status": OK,
        "error": "",
        "metrics": metrics,
        "series": series,
        "wall_time_s": time.perf_counter() - started,
    }


def _simulate_and_reduce(
    scenario: Mapping[str, Any],
    seed: int,
    days: int | None,
    reducers: Sequence[Mapping[str, Any]],
    keep_series: Sequence[str],
) -> tuple[dict[str, Any], dict[str, list] | None]:
    data = copy.deepcopy(dict(scenario))
    if days is not None:
        # The price path and the recorder are sized from run.days, so the horizon goes there.
        data.setdefault("run", {})["days"] = days
    result = simulate(validate(Scenario, data, "scenario"), seed=int(seed))
    ts = result.timeseries
    metrics = {r["name"]: _metric(r, ts) for r in reducers}
    series = None
    if keep_series:
        series = {"day": np.asarray(ts["day"]).astype(np.int64).tolist()}
        series.update({c: _floats(ts[c]) for c in keep_series})
    return metrics, series


def _metric(reducer: Mapping[str, Any], ts: Mapping[str, np.ndarray]) -> float | str | None:
    rows = window_rows(ts["date"], reducer.get("start"), reducer.get("end"))
    value = reduce_series(reducer["reducer"], ts[reducer["column"]][rows], ts["day"][rows], ts["date"][rows])
    if reducer["reducer"] in DATE_REDUCERS:
        return value
    if not math.isfinite(value):
        # Parquet null rather than NaN: SQL aggregates skip nulls but propagate NaN.
        return reducer.get("missing")
    return value


def window_rows(dates: np.ndarray, start: str | None, end: str | None) -> slice | np.ndarray:
    """The rows of a run whose ISO date lies in ``[start, end]`` (all rows without a window)."""
    if start is None and end is None:
        return slice(None)
    dates = np.asarray(dates).astype(str)
    keep = np.ones(dates.shape, dtype=bool)  # ISO dates order as text
    if start is not None:
        keep &= dates >= str(start)
    if end is not None:
        keep &= dates <= str(end)
    return keep


def _floats(values: np.ndarray) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in np.asarray(values, dtype=float)]


def error_text(exc: BaseException) -> str:
    """One line naming the exception type and message, shortened for a table cell."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."
