"""What lenders do with a firm that breaks its covenant or stops paying: nothing, restructure, or enforce.

Pure: every number comes in a frozen ``CreditView``; the answer is a ``Resolution``. The role that assembles
the view and carries the answer out is ``model.creditors`` (model/world/creditors.py).

The rule (economics.md, "Firms that can fail"; Merton 1974 for equity as an option on the assets):

* a firm that has not paid for ``grace_days`` (negative cash after selling its BTC and issuing what equity it
  could) **defaults**;
* a firm whose net debt / covenant EBITDA is above the ceiling has breached its covenant, and its lenders
  may accelerate. They restructure when the firm is worth more alive than sold piecemeal (the "best interests
  of creditors" test, 11 U.S.C. s. 1129(a)(7): no creditor gets less than in a liquidation): the BTC
  treasury is sold against the debt, and debt is swapped for equity until net debt is ``target_share`` of
  the ceiling; the covenant is then reset for a year (a covenant holiday: only a missed payment counts).
  When the assets are worth more sold, they enforce: it **defaults**.
"""

from __future__ import annotations

from dataclasses import dataclass

from hashpivot.model.world.covenants import leverage

COVENANT_HOLIDAY_DAYS = 365  # a restructured firm's covenant is reset for a year (a covenant holiday)
MIN_HISTORY_DAYS = 90  # a covenant is tested on a quarter's books at least (quarterly tests on trailing EBITDA)


@dataclass(frozen=True)
class CreditView:
    """A firm's position as its corporate lenders see it (USD; EBITDA per year; lease-backed debt excluded)."""

    debt_usd: float
    cash_usd: float
    btc_usd: float
    covenant_ebitda_usd: float
    going_concern_usd: float  # enterprise value: what its assets earn as a going concern
    liquidation_usd: float  # what its sites, machines and contracts fetch sold, less exit costs
    days_unpaid: int
    days_since_restructuring: int
    history_days: int  # days of books behind the trailing EBITDA
    covenant_max: float
    target_share: float
    grace_days: int

    @property
    def net_debt_usd(self) -> float:
        """Debt less cash and the BTC treasury."""
        return self.debt_usd - self.cash_usd - self.btc_usd

    @property
    def leverage(self) -> float:
        """Net debt / covenant EBITDA (infinite with net debt and no EBITDA)."""
        return leverage(self.net_debt_usd, self.covenant_ebitda_usd)


@dataclass(frozen=True)
class Resolution:
    """``action``: "none", "restructure" or "default"; ``debt_to_equity_usd``: debt swapped for shares."""

    action: str
    reason: str
    debt_to_equity_usd: float = 0.0


NONE = Resolution("none", "")


def resolve(v: CreditView) -> Resolution:
    """The lenders' answer to a firm's position."""
    if v.days_unpaid >= v.grace_days:
        return Resolution("default", f"unpaid for {v.days_unpaid} days")
    if v.debt_usd <= 0 or v.history_days < MIN_HISTORY_DAYS or v.leverage <= v.covenant_max:
        return NONE
    if v.days_since_restructuring < COVENANT_HOLIDAY_DAYS:
        return NONE  # reset in the restructuring: only a missed payment counts until the holiday ends
    breach = f"net debt / EBITDA {_fmt(v.leverage)} above the covenant's {v.covenant_max:g}x"
    if v.going_concern_usd < v.liquidation_usd:
        return Resolution(
            "default",
            f"{breach}; worth more sold ({v.liquidation_usd / 1e6:,.1f} M$) than run "
            f"({v.going_concern_usd / 1e6:,.1f} M$)",
        )
    # After the treasury is sold against it, the debt is cut until net debt is the target multiple.
    target_net_debt = v.target_share * v.covenant_max * max(v.covenant_ebitda_usd, 0.0)
    debt_after_btc = max(v.debt_usd - v.btc_usd, 0.0)
    swap = min(debt_after_btc, max(v.net_debt_usd - target_net_debt, 0.0))
    return Resolution("restructure", breach, swap)


def _fmt(x: float) -> str:
    return "n/a (no EBITDA)" if x == float("inf") else f"{x:.1f}x"
