"""Reducers: how a daily series becomes one number (or date) per run.

Each reducer takes the series, the model's ``day`` numbers and the ISO dates of the same rows
and returns a float (``nan`` when undefined, e.g. the day of a first lease that never came) or,
for the ``date_*`` reducers, an ISO date string (``None`` when undefined).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal, get_args

import numpy as np

ReducerName = Literal[
    "final",
    "first",
    "min",
    "max",
    "mean",
    "sum",
    "std",
    "change",
    "ratio",
    "day_of_min",
    "day_of_max",
    "date_of_min",
    "date_of_max",
    "first_day_positive",
    "first_date_positive",
]
REDUCER_NAMES: tuple[str, ...] = get_args(ReducerName)
DATE_REDUCERS = frozenset(name for name in REDUCER_NAMES if "date" in name)
"""Reducers that give an ISO date (stored as text, not usable for sensitivity analysis)."""


def _finite(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values)]


def _stat(fn: Callable[[np.ndarray], float]) -> Callable:
    # nan-days (e.g. a share with a zero denominator) are skipped, not propagated: one undefined
    # day should not make a whole run's minimum undefined.
    def reduce(values: np.ndarray, days: np.ndarray, dates: np.ndarray) -> float:
        kept = _finite(values)
        return float(fn(kept)) if kept.size else math.nan

    return reduce


def _index_of(pick: Callable[[np.ndarray], int]) -> Callable[[np.ndarray], int | None]:
    def index(values: np.ndarray) -> int | None:
        if not np.isfinite(values).any():
            return None
        masked = np.where(np.isfinite(values), values, np.nan)
        return int(pick(masked))

    return index


def _first_positive(values: np.ndarray) -> int | None:
    hits = np.flatnonzero(values > 0)  # nan > 0 is False
    return int(hits[0]) if hits.size else None


def _day(index_fn: Callable[[np.ndarray], int | None]) -> Callable:
    def reduce(values: np.ndarray, days: np.ndarray, dates: np.ndarray) -> float:
        i = index_fn(values)
        return math.nan if i is None else float(days[i])

    return reduce


def _date(index_fn: Callable[[np.ndarray], int | None]) -> Callable:
    def reduce(values: np.ndarray, days: np.ndarray, dates: np.ndarray) -> str | None:
        i = index_fn(values)
        return None if i is None else str(dates[i])

    return reduce


def _change(values: np.ndarray, days: np.ndarray, dates: np.ndarray) -> float:
    """Last day minus first day (``final - first``): how far the series moved over the run."""
    return float(values[-1] - values[0])


def _ratio(values: np.ndarray, days: np.ndarray, dates: np.ndarray) -> float:
    """Last day over first day (``final / first``; nan when the first is 0): 0.7 = fell by 30%."""
    return float(values[-1] / values[0]) if values[0] != 0 and math.isfinite(values[0]) else math.nan


_ARGMIN = _index_of(np.nanargmin)
_ARGMAX = _index_of(np.nanargmax)

REDUCERS: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], float | str | None]] = {
    "final": lambda values, days, dates: float(values[-1]),
    "first": lambda values, days, dates: float(values[0]),
    "min": _stat(np.min),
    "max": _stat(np.max),
    "mean": _stat(np.mean),
    "sum": _stat(np.sum),
    "std": _stat(np.std),
    "change": _change,
    "ratio": _ratio,
    "day_of_min": _day(_ARGMIN),
    "day_of_max": _day(_ARGMAX),
    "date_of_min": _date(_ARGMIN),
    "date_of_max": _date(_ARGMAX),
    "first_day_positive": _day(_first_positive),
    "first_date_positive": _date(_first_positive),
}
assert tuple(REDUCERS) == REDUCER_NAMES  # the Literal and the table must agree


def reduce_series(reducer: str, values: np.ndarray, days: np.ndarray, dates: np.ndarray) -> float | str | None:
    """Apply the reducer named ``reducer``.

    Args:
        reducer: One of ``REDUCER_NAMES``.
        values: The daily series.
        days: The model day of each row.
        dates: The ISO date of each row.

    Returns:
        A float (``nan`` when undefined) or, for ``date_*`` reducers, an ISO date or None.
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return None if reducer in DATE_REDUCERS else math.nan
    return REDUCERS[reducer](values, np.asarray(days), np.asarray(dates))
