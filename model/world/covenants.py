"""What lenders watch: each firm's trailing-year EBITDA and investment, and its covenant leverage.

The books (model/world/accounts.py) post every cash movement under a named flow. EBITDA is the operating part:
mining revenue (BTC kept in the treasury included), demand-response payments, AI revenue, less power and
operating cost. Investment is capex and
machine purchases. Both are summed into twelve 30-day buckets per firm, so a trailing year is twelve adds, not
365 (the books are read once a day, after the day closes).

The covenant (economics.md, "Firms that can fail"): net debt / EBITDA above a ceiling lets lenders force a
restructuring. Covenant EBITDA is pro forma: the trailing year's plus a year of every signed contract not yet
in service, the add-back lenders give a firm building to a signed lease (otherwise every conversion, funded
with debt and earning nothing while it is built, would breach).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hashpivot.model.world.accounts import FLOW_INDEX

if TYPE_CHECKING:
    from hashpivot.model.world.accounts import Accounts

BUCKET_DAYS = 30
BUCKETS = 12  # twelve 30-day buckets: a 360-day trailing year
EBITDA_FLOWS = ("mining_revenue", "dr_payments", "ai_revenue", "power", "opex")
INVESTMENT_FLOWS = ("capex", "machines")


class TrailingBooks:
    """Trailing-year EBITDA and investment per firm (``model.creditors.books``)."""

    def __init__(self, n: int):
        self.ebitda = np.zeros((BUCKETS, n))
        self.investment = np.zeros((BUCKETS, n))
        self.days_seen = 0
        self.first_day = np.zeros(n, dtype=np.int64)  # the books' day on which each firm's own books began
        self._ebitda_cols = [FLOW_INDEX[f] for f in EBITDA_FLOWS]
        self._invest_cols = [FLOW_INDEX[f] for f in INVESTMENT_FLOWS]

    def grow(self, k: int) -> None:
        """Columns for ``k`` firms entering (nothing earned yet)."""
        self.ebitda = np.hstack([self.ebitda, np.zeros((BUCKETS, k))])
        self.investment = np.hstack([self.investment, np.zeros((BUCKETS, k))])
        self.first_day = np.concatenate([self.first_day, np.full(k, self.days_seen, dtype=np.int64)])

    def close_day(self, acc: Accounts, mined_kept_usd: np.ndarray) -> None:
        """Add the day's flows to the current bucket; start a new bucket every 30 days.

        ``mined_kept_usd``: BTC mined today and kept in the treasury, at the day's price. It is revenue
        (earned, though not sold), and a lender counts it: without it a firm that holds what it mines would
        look as if it paid for power with nothing coming in.
        """
        slot = (self.days_seen // BUCKET_DAYS) % BUCKETS
        if self.days_seen % BUCKET_DAYS == 0 and self.days_seen >= BUCKET_DAYS * BUCKETS:
            self.ebitda[slot] = 0.0
            self.investment[slot] = 0.0
        flows = acc.flows_today
        self.ebitda[slot] += flows[:, self._ebitda_cols].sum(axis=1) + mined_kept_usd
        self.investment[slot] -= flows[:, self._invest_cols].sum(axis=1)  # spending is posted negative
        self.days_seen += 1

    def merge(self, old: int, new: int) -> None:
        """Firm ``old`` was taken over by ``new``: its trailing year becomes part of the buyer's (pro forma)."""
        for buckets in (self.ebitda, self.investment):
            buckets[:, new] += buckets[:, old]
            buckets[:, old] = 0.0
        self.first_day[new] = min(self.first_day[new], self.first_day[old])

    def history_days(self, firm: int) -> int:
        """Days of books the firm has in the trailing year (fewer for a young run or a new firm)."""
        # Once the ring is full it holds eleven whole buckets and the one being filled.
        held = BUCKET_DAYS * (BUCKETS - 1) + (self.days_seen - 1) % BUCKET_DAYS + 1
        return int(min(self.days_seen - self.first_day[firm], held))

    def _annual(self, buckets: np.ndarray, firm: int) -> float:
        """A year's worth: the trailing 360 days, scaled up while the firm's books are younger than that."""
        days = self.history_days(firm)
        return float(buckets[:, firm].sum()) * 365.0 / days if days > 0 else 0.0

    def ebitda_usd_per_year(self, firm: int) -> float:
        """Trailing-year EBITDA."""
        return self._annual(self.ebitda, firm)

    def investment_usd_per_year(self, firm: int) -> float:
        """Trailing-year capex and machine purchases."""
        return self._annual(self.investment, firm)


def net_debt_usd(debt_usd: float, cash_usd: float, btc_usd: float) -> float:
    """Debt less cash and the BTC treasury at market."""
    return debt_usd - cash_usd - btc_usd


def leverage(net_debt: float, covenant_ebitda_usd: float) -> float:
    """Net debt / covenant EBITDA; infinite when there is net debt and no positive EBITDA to carry it."""
    if net_debt <= 0:
        return 0.0
    return net_debt / covenant_ebitda_usd if covenant_ebitda_usd > 0 else float("inf")
