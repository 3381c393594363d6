"""Small array helpers shared by the struct-of-arrays stores (sites, fleet)."""

from __future__ import annotations

import numpy as np


def grown(arr: np.ndarray, n: int) -> np.ndarray:
    """A copy of ``arr`` extended with zeros to length ``n`` (stores grow by doubling)."""
    out = np.zeros(n, dtype=arr.dtype)
    out[: arr.size] = arr
    return out


def row_sums_by_group(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """``out[g] = sum of values[i] over rows i in group g``, for 2-D ``values``: ``np.add.at`` bit for bit.

    ``np.bincount`` over the flattened cells adds each output cell's terms in row order from +0.0, as
    ``np.add.at(zeros, group, values)`` does, about four times faster at the dispatch's (rows x 24 hours).
    """
    width = values.shape[1]
    cells = (group[:, None] * width + np.arange(width)).ravel()
    return np.bincount(cells, weights=values.ravel(), minlength=n_groups * width).reshape(n_groups, width)


def weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    """``np.average(values, weights=weights)`` of float arrays, bit for bit, without its argument checks.

    numpy computes it as ``(values * weights).sum() / weights.sum()``; asked twice at every decision, the
    checks cost more than the sums. The caller makes sure the weights do not sum to zero.
    """
    return float((values * weights).sum() / weights.sum())
