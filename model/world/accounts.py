"""Miners' books: cash, debt and BTC treasury as arrays, every cash movement posted to a named flow.

Cash never changes except through ``post``/``post_all``, which book the amount under a category for the
day. So "cash flows balance" is checkable every step: the change in cash since the day opened equals the
sum of the day's flows (``check``). Amounts are USD; positive is money in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

FLOWS = (
    "mining_revenue",  # BTC mined and sold at the day's price
    "dr_payments",  # demand-response capacity and event payments
    "ai_revenue",  # lease rent or GPU-cloud revenue received
    "prepayments",  # tenant prepayments received at signing
    "power",
    "opex",  # mining and AI operating cost other than power
    "interest",
    "principal",
    "debt_drawn",
    "equity_raised",  # shares sold (at-the-market programmes, converts)
    "capex",  # mining builds, conversions, GPUs
    "machines",  # ASIC purchases
    "salvage",  # machines sold
    "site_sales",
    "site_purchases",
    "btc_sales",
    "penalties",  # late-delivery penalties paid
    "payouts",  # cash returned to shareholders: buybacks (model/world/payouts.py) and at wind-down (solvency.py)
    "write_offs",  # payables a defaulted firm's creditors absorb (model/world/solvency.py)
    "acquisitions",  # takeovers: the price paid, the target's cash taken over (model/markets/mergers.py)
)
FLOW_INDEX = {name: i for i, name in enumerate(FLOWS)}


@dataclass
class Accounts:
    """Struct-of-arrays books for ``n`` miners."""

    n: int
    cash_usd: np.ndarray = field(init=False)
    debt_usd: np.ndarray = field(init=False)
    btc: np.ndarray = field(init=False)
    flows_today: np.ndarray = field(init=False)  # (n, len(FLOWS))
    cash_at_open: np.ndarray = field(init=False)
    stayed: np.ndarray = field(init=False)  # in default: debt service stopped (model/world/creditors.py)

    def __post_init__(self):
        self.cash_usd = np.zeros(self.n)
        self.debt_usd = np.zeros(self.n)
        self.btc = np.zeros(self.n)
        self.flows_today = np.zeros((self.n, len(FLOWS)))
        self.cash_at_open = np.zeros(self.n)
        self.stayed = np.zeros(self.n, dtype=bool)

    def grow(self, k: int) -> None:
        """Open books for ``k`` new miners (firms entering), with nothing in them."""
        for name in ("cash_usd", "debt_usd", "btc", "cash_at_open"):
            setattr(self, name, np.concatenate([getattr(self, name), np.zeros(k)]))
        self.stayed = np.concatenate([self.stayed, np.zeros(k, dtype=bool)])
        self.flows_today = np.vstack([self.flows_today, np.zeros((k, len(FLOWS)))])
        self.n += k

    def open_day(self) -> None:
        """Start a new day's books."""
        self.flows_today[:] = 0.0
        self.cash_at_open[:] = self.cash_usd

    def post(self, miner: int, flow: str, amount_usd: float) -> None:
        """Book one amount for one miner."""
        self.flows_today[miner, FLOW_INDEX[flow]] += amount_usd
        self.cash_usd[miner] += amount_usd

    def post_all(self, flow: str, amounts_usd: np.ndarray) -> None:
        """Book an array of amounts, one per miner (vectorised daily accounting)."""
        self.flows_today[:, FLOW_INDEX[flow]] += amounts_usd
        self.cash_usd += amounts_usd

    def add_btc(self, btc: np.ndarray) -> None:
        """Put mined BTC into the treasuries (one amount per miner)."""
        self.btc += btc

    def sell_btc(self, miner: int, btc: float, price_usd: float) -> None:
        """Sell ``btc`` from a miner's treasury at ``price_usd`` per BTC."""
        self.btc[miner] -= btc
        self.post(miner, "btc_sales", btc * price_usd)

    def borrow(self, miner: int, amount_usd: float) -> None:
        """Draw debt: cash in, debt up."""
        if amount_usd > 0:
            self.debt_usd[miner] += amount_usd
            self.post(miner, "debt_drawn", amount_usd)

    def service_debt(self, rate_per_year: float, amortization_years: float) -> None:
        """Daily interest and straight-line-by-balance amortisation, for every miner at once.

        A firm in default pays neither: its debt is a claim on the estate (the automatic stay).
        """
        interest = self.debt_usd * rate_per_year / 365.0
        principal = self.debt_usd / (amortization_years * 365.0)
        if self.stayed.any():
            interest = np.where(self.stayed, 0.0, interest)
            principal = np.where(self.stayed, 0.0, principal)
        self.debt_usd -= principal
        self.post_all("interest", -interest)
        self.post_all("principal", -principal)

    def check(self, tol_usd: float = 1e-3) -> None:
        """Raise AssertionError if any miner's cash moved by other than its booked flows."""
        drift = self.cash_usd - self.cash_at_open - self.flows_today.sum(axis=1)
        bad = np.flatnonzero(np.abs(drift) > tol_usd * np.maximum(1.0, np.abs(self.cash_usd) * 1e-9))
        if bad.size:
            i = int(bad[0])
            raise AssertionError(f"miner {i}: cash moved {drift[i]:.6f} USD without a booked flow")
