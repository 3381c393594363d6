"""Numbers and seeds as text for people (tables, captions); CSV cells keep the raw values."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def fmt_num(x: Any, digits: int = 4) -> str:
    """A number for people: about ``digits`` significant digits, thousands separated, NaN n/a."""
    if x is None or isinstance(x, str):
        return "" if x is None else x
    if isinstance(x, bool | np.bool_):
        return "true" if x else "false"
    if isinstance(x, int | np.integer):
        return f"{int(x):,}"
    x = float(x)
    if not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    mag = math.floor(math.log10(abs(x)))
    if mag < -3:
        return f"{x:.{digits - 1}e}"
    if mag >= digits - 1:
        return f"{x:,.0f}"
    return f"{x:,.{digits - 1 - mag}f}"


def fmt_band(mean: float, low: float, high: float, runs: int) -> str:
    """``mean [p05, p95]`` for an ensemble, the value alone for a single run."""
    if runs <= 1 or not math.isfinite(mean):
        return fmt_num(mean)
    return f"{fmt_num(mean)} [{fmt_num(low)}, {fmt_num(high)}]"


def seeds_text(seeds: Sequence[int]) -> str:
    """Seeds compactly: ``0-3``, ``0, 2, 5``."""
    seeds = sorted(int(s) for s in seeds)
    if not seeds:
        return "none"
    if seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2:
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(str(s) for s in seeds)


ROUGH_BELOW = 10
"""Ensembles of fewer runs than this say their intervals are rough."""


def rough_note(runs: int, label: str = "seeds") -> str:
    """A warning for intervals across few runs ("" for one run or ``ROUGH_BELOW`` runs and more).

    With n runs the 5th and 95th percentiles are interpolated between the few smallest and largest values
    (with 4 seeds they are close to the minimum and maximum), so they move a lot from one ensemble to the
    next.
    """
    if runs <= 1 or runs >= ROUGH_BELOW:
        return ""
    return (
        f"With {runs} {label} the 90% intervals are rough: the 5th and 95th percentiles of so few values lie "
        f"close to their minimum and maximum; use {ROUGH_BELOW} or more {label} for intervals to quote."
    )
