"""Small array helpers shared by the struct-of-arrays stores (sites, fleet)."""

from __future__ import annotations

import numpy as np


def grown(arr: np.ndarray, n: int) -> np.ndarray:
    """A copy of ``arr`` extended with zeros to length ``n`` (stores grow by doubling)."""
    out = np.zeros(n, dtype=arr.dtype)
    out[: arr.size] = arr
    return out


def group_rows_sum(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """``np.add.at(out, group, values)`` for 2-D ``values``, several times faster, and bit for bit equal.

    Each group's rows are summed along axis 0, which numpy accumulates row by row in their order -- the order
    ``np.add.at`` adds them in -- so every sum is the same float (the identity tests rely on it). ``np.add.at``
    starts from +0.0, so a group of negative zeros sums to +0.0: the ``+ 0`` keeps that too.
    """
    out = np.zeros((n_groups,) + values.shape[1:], dtype=values.dtype)
    for g in np.unique(group):
        out[g] = values[group == g].sum(axis=0) + 0
    return out
