"""Daily series of one or more runs, and the ensemble statistics reports show: mean and 90% band."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

BAND = (5.0, 95.0)
"""Percentiles of the ensemble band: a 90% interval across seeds."""


@dataclass
class Series:
    """Daily series of one or more runs on a common calendar.

    Attributes:
        dates: ``datetime64[D]``, one per day.
        values: Per column, an array (runs, days).
        label: What the runs are ("seeds", "sweep runs").
    """

    dates: np.ndarray
    values: dict[str, np.ndarray]
    label: str = "seeds"

    @property
    def runs(self) -> int:
        """Number of runs."""
        return next(iter(self.values.values())).shape[0] if self.values else 0

    def has(self, column: str) -> bool:
        """True if the column was recorded."""
        return column in self.values

    def band(self, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean across runs and the 5th and 95th percentiles, per day (NaN-aware)."""
        data = self.values[column]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # days where every run is NaN
            mean = np.nanmean(data, axis=0)
            low, high = np.nanpercentile(data, BAND, axis=0)
        return mean, low, high

    def at(self, column: str, index: int) -> np.ndarray:
        """Every run's value of a column on one day (index into ``dates``)."""
        return self.values[column][:, index]


def stats(values: Iterable[float]) -> tuple[float, float, float, int]:
    """Mean, 5th and 95th percentile and count of the finite values (NaN if there are none)."""
    v = np.asarray(list(values), dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return math.nan, math.nan, math.nan, 0
    low, high = np.percentile(v, BAND)
    return float(v.mean()), float(low), float(high), int(v.size)
