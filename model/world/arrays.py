"""Small array helpers shared by the struct-of-arrays stores (sites, fleet)."""

from __future__ import annotations

import numpy as np


def grown(arr: np.ndarray, n: int) -> np.ndarray:
    """A copy of ``arr`` extended with zeros to length ``n`` (stores grow by doubling)."""
    out = np.zeros(n, dtype=arr.dtype)
    out[: arr.size] = arr
    return out
