"""Measures of concentration and value, and the preallocated daily recorder.

Concentration (economics.md): HHI over regions = sum of squared shares (0..1); the Nakamoto coefficient over
regions = the fewest regions whose combined share exceeds 50%.

Valuation per MW (SF-4): a firm's enterprise value is the NPV of its expected cash flows at risk-adjusted
rates -- its machines' mining margin at the mining rate plus its contracts' net rent at the contracted rate,
less the conversion capex still to be spent, plus the option to pivot its free convertible MW -- divided by
its MW. Its *market capitalisation* -- what its shares trade at -- is that enterprise value less the debt its
lenders hold, plus its cash and BTC treasury (never below zero: shareholders are not liable for more). The two
differ most for AI-focused firms, whose conversions and GPUs are financed mostly with debt.

Both are measured over a *peer group*: firms that are listed (SF-4 compares miners that trade) and still
running machines (a firm that has left mining is a data-centre landlord, not a miner). A miner is
*AI-focused* when at least ``AI_FOCUS_SHARE`` of its MW are converting or leased to AI, *BTC-focused*
otherwise. The gap between the two groups is measured, not set: it comes out of the cash flows, the rates and
the firms' financing.
"""

from __future__ import annotations

import numpy as np

AI_FOCUS_SHARE = 0.10


def shares(weights: np.ndarray) -> np.ndarray:
    """Normalise non-negative weights to shares (zeros if they sum to zero)."""
    total = float(weights.sum())
    return weights / total if total > 0 else np.zeros_like(weights, dtype=float)


def hhi(weights: np.ndarray) -> float:
    """Herfindahl-Hirschman index of the weights' shares, 0..1 (NaN when nothing is there)."""
    s = shares(weights)
    return float((s**2).sum()) if s.sum() > 0 else float("nan")


def nakamoto_coefficient(weights: np.ndarray) -> int:
    """Fewest holders whose combined share exceeds 50% (0 when nothing is there)."""
    s = np.sort(shares(weights))[::-1]
    if s.sum() <= 0:
        return 0
    return int(np.searchsorted(np.cumsum(s), 0.5, side="right") + 1)


def market_cap_usd(ev_usd: np.ndarray, cash_usd: np.ndarray, btc_usd: np.ndarray, debt_usd: np.ndarray) -> np.ndarray:
    """Equity value: enterprise value less debt plus cash and the BTC treasury at market, floored at zero."""
    return np.maximum(ev_usd + cash_usd + btc_usd - debt_usd, 0.0)


def valuation_per_mw(
    value_usd: np.ndarray, mw: np.ndarray, ai_mw: np.ndarray, mining_mw: np.ndarray, peers: np.ndarray
) -> tuple[float, float]:
    """MW-weighted value per MW of AI-focused and of BTC-focused peers (NaN for an empty group).

    Args:
        value_usd: each firm's value (enterprise value or market capitalisation).
        mw: each firm's MW (all its capacity: mining, AI, converting, unbuilt).
        ai_mw: its MW converting or leased to AI.
        mining_mw: its MW of machines (a firm with none is not a miner).
        peers: which firms belong to the peer group (listed ones).
    """
    live = peers & (mw > 0) & (mining_mw > 0)
    ai_focused = live & (ai_mw >= AI_FOCUS_SHARE * mw)
    btc_focused = live & ~ai_focused

    def per_mw(mask):
        return float(value_usd[mask].sum() / mw[mask].sum()) if mask.any() else float("nan")

    return per_mw(ai_focused), per_mw(btc_focused)


class Recorder:
    """Daily series in preallocated float64 columns; grows by doubling if a run is extended."""

    def __init__(self, columns: tuple[str, ...], capacity: int):
        self.columns = columns
        self._data = np.full((max(capacity, 1), len(columns)), np.nan)
        self._col = {c: i for i, c in enumerate(columns)}
        self.n = 0

    def append(self, row: dict[str, float]) -> None:
        """Store one day's values (missing columns stay NaN)."""
        if self.n == self._data.shape[0]:
            grown = np.full((2 * self.n, len(self.columns)), np.nan)
            grown[: self.n] = self._data
            self._data = grown
        target = self._data[self.n]
        for key, value in row.items():
            target[self._col[key]] = value
        self.n += 1

    def column(self, name: str) -> np.ndarray:
        """A recorded series (a view of the first ``n`` days)."""
        return self._data[: self.n, self._col[name]]

    def last(self, name: str, default: float = float("nan")) -> float:
        """The latest value of a series."""
        return float(self._data[self.n - 1, self._col[name]]) if self.n else default

    def as_dict(self) -> dict[str, np.ndarray]:
        """All series as named arrays."""
        return {c: self.column(c) for c in self.columns}
