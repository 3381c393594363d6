"""The firms' lenders, as a service (``model.creditors``): they watch, test covenants, restructure, enforce.

Daily, after the books close, they add the day to each firm's trailing-year books (model/world/covenants.py)
and count the days a firm has not paid (negative cash). A firm unpaid for ``firms.default_grace_days`` is in
default at once, so no firm runs on negative cash for longer. At a firm's decision point, after it has sold
BTC and issued what equity it could, they test its covenant (model/markets/restructuring.py decides what
follows).

At a default the firm's creditors take over (status ``defaulted``): debt service stops (the automatic stay,
11 U.S.C. s. 362), the BTC treasury is sold, and the estate is offered whole to other miners
(``model.mergers.sell_estate``: contracts move with their sites) or, if no offer beats a piecemeal sale, its
sites are auctioned and its machines go to the used market (``Miner.leave_mining``). When it holds nothing,
``model/world/solvency.py`` pays its creditors by absolute priority and writes off the rest.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from hashpivot.model.markets.restructuring import CreditView, Resolution, resolve
from hashpivot.model.world.covenants import TrailingBooks, leverage

if TYPE_CHECKING:
    from hashpivot.agents.miner import Miner
    from hashpivot.model.simulation import HashpivotModel

NEVER = -(10**9)


class Creditors:
    """Lenders' watch over every firm (``model.creditors``)."""

    def __init__(self, model: HashpivotModel):
        self.model = model
        n = model.accounts.n
        self.books = TrailingBooks(n)
        self.unpaid_since = np.full(n, -1, dtype=np.int64)  # first day of the current negative-cash run
        self.restructured_day = np.full(n, NEVER, dtype=np.int64)

    def grow(self, k: int) -> None:
        """Watch ``k`` firms entering."""
        self.books.grow(k)
        self.unpaid_since = np.concatenate([self.unpaid_since, np.full(k, -1, dtype=np.int64)])
        self.restructured_day = np.concatenate([self.restructured_day, np.full(k, NEVER, dtype=np.int64)])

    # --- daily ------------------------------------------------------------------------------------------------
    def close_day(self) -> None:
        """Book the day; a firm unpaid for the grace period defaults now."""
        m = self.model
        acc = m.accounts
        mined = m.today.mined_usd
        kept = np.zeros(acc.n)
        kept[: mined.size] = mined * m.hodl_share[: mined.size]  # firms that entered today mined nothing yet
        self.books.close_day(acc, kept)
        unpaid = m.firms_active() & (acc.cash_usd < 0)
        self.unpaid_since = np.where(unpaid, np.where(self.unpaid_since < 0, m.day, self.unpaid_since), -1)
        days = self.days_unpaid_all()
        for i in np.flatnonzero(unpaid & (days >= m.config.firms.default_grace_days)):
            self.enforce(m.miner_at(int(i)), Resolution("default", f"unpaid for {int(days[i])} days"))

    def days_unpaid_all(self) -> np.ndarray:
        """Days each firm has gone without paying, today included (0 if it is paying)."""
        return self._days_since(self.unpaid_since)

    def days_unpaid(self, i: int) -> int:
        """``days_unpaid_all()[i]``: one firm's, without every firm's (asked at each decision)."""
        return int(self._days_since(self.unpaid_since[i]))

    def _days_since(self, since):
        return np.where(since >= 0, self.model.day - since + 1, 0)

    # --- at a decision point ----------------------------------------------------------------------------------
    def review(self, miner: Miner) -> bool:
        """Test a firm's position; restructure or enforce as the rule says. True if it is now in default."""
        quick = resolve(self.view(miner, going_concern_usd=np.inf, liquidation_usd=0.0))
        if quick.action == "none":
            return False
        view = miner.strategy_view()
        v = self.view(miner, miner.enterprise_value_usd(view), miner.liquidation_value_usd(view))
        res = resolve(v)
        if res.action == "restructure":
            self.restructure(miner, res, v)
        elif res.action == "default":
            self.enforce(miner, res, v)
        return res.action == "default"

    def view(self, miner: Miner, going_concern_usd: float, liquidation_usd: float) -> CreditView:
        """The lenders' view of one firm."""
        m, i = self.model, miner.idx
        acc, fc = m.accounts, m.config.firms
        project_debt = min(self._contracts(miner)[0], float(acc.debt_usd[i]))
        return CreditView(
            debt_usd=float(acc.debt_usd[i]) - project_debt,
            cash_usd=float(acc.cash_usd[i]),
            btc_usd=float(acc.btc[i]) * m.btc_price_usd,
            covenant_ebitda_usd=self.covenant_ebitda_usd(miner),
            going_concern_usd=float(going_concern_usd),
            liquidation_usd=float(liquidation_usd),
            days_unpaid=self.days_unpaid(i),
            days_since_restructuring=int(m.day - self.restructured_day[i]),
            history_days=self.books.history_days(i),
            covenant_max=fc.covenant_net_debt_to_ebitda_max,
            target_share=fc.restructured_leverage_share,
            grace_days=fc.default_grace_days,
        )

    def covenant_ebitda_usd(self, miner: Miner) -> float:
        """Corporate EBITDA: the trailing year's, less what its contracts earned (their lenders' cash flow)."""
        return self.books.ebitda_usd_per_year(miner.idx) - self._contracts(miner)[1]

    def _contracts(self, miner: Miner) -> tuple[float, float]:
        """(lease-backed debt outstanding, net rent its leases earned in the trailing year), USD.

        A conversion is financed at ``finance.loan_to_cost_backstopped`` against its tenant's contract: project
        debt, serviced by the rent and tested by its own lenders (the backstop), not by the corporate
        covenant. Its balance is the loan share of the contract's capex amortised since signing (the books'
        ``debt_amortization_years``). Tested as one, a colocation landlord financed on the model's own terms
        (85% of 9 M$/MW against ~1.4 M$/MW-yr of net rent, ~5.5x) was in breach on the day its lease began.
        """
        m = self.model
        fin = m.config.finance
        debt = earned = 0.0
        for x in m.leases.for_miner(miner.unique_id):
            if 0 <= x.end_day <= m.day:
                continue
            years = (m.day - x.sign_day) / 365.0
            debt += fin.loan_to_cost_backstopped * x.capex_usd * math.exp(-years / fin.debt_amortization_years)
            if 0 <= x.start_day <= m.day:
                days = min(m.day - x.start_day, 365)
                earned += x.rent_usd_per_kw_month * 12_000.0 * x.mw * x.margin * days / 365.0
        return debt, earned

    def within_covenant(self, miner: Miner, extra_net_debt_usd: float = 0.0, extra_ebitda_usd: float = 0.0) -> bool:
        """Whether the firm (with a deal's extra net debt and EBITDA) is within its covenant."""
        v = self.view(miner, 0.0, 0.0)
        lev = leverage(v.net_debt_usd + extra_net_debt_usd, v.covenant_ebitda_usd + extra_ebitda_usd)
        return lev <= v.covenant_max

    # --- what lenders do --------------------------------------------------------------------------------------
    def restructure(self, miner: Miner, res: Resolution, v: CreditView) -> None:
        """Sell the treasury against the debt, then swap debt for equity down to the target leverage."""
        m, i = self.model, miner.idx
        acc = m.accounts
        btc_usd = float(acc.btc[i]) * m.btc_price_usd
        if acc.btc[i] > 0:
            acc.sell_btc(i, float(acc.btc[i]), m.btc_price_usd)
        repaid = min(btc_usd, float(acc.debt_usd[i]))
        if repaid > 0:
            acc.debt_usd[i] -= repaid
            acc.post(i, "principal", -repaid)
        swap = min(res.debt_to_equity_usd, float(acc.debt_usd[i]))
        acc.debt_usd[i] -= swap
        self.restructured_day[i] = m.day
        m.solvency.record_restructuring(swap)
        m.log_event(
            miner,
            "restructuring",
            f"{res.reason}: BTC sold against debt {repaid / 1e6:,.1f} M$, debt swapped for equity "
            f"{swap / 1e6:,.1f} M$, debt now {acc.debt_usd[i] / 1e6:,.1f} M$ "
            f"(going concern {v.going_concern_usd / 1e6:,.1f} M$ >= liquidation {v.liquidation_usd / 1e6:,.1f} M$)",
        )

    def enforce(self, miner: Miner, res: Resolution, v: CreditView | None = None) -> None:
        """Default: creditors take the firm; its estate is sold whole or piecemeal."""
        m, i = self.model, miner.idx
        acc = m.accounts
        cash, debt, btc = float(acc.cash_usd[i]), float(acc.debt_usd[i]), float(acc.btc[i])
        miner.enter_default()
        acc.stayed[i] = True
        if acc.btc[i] > 0:
            acc.sell_btc(i, float(acc.btc[i]), m.btc_price_usd)
        self.unpaid_since[i] = -1
        m.solvency.defaulted_total += 1
        values = "" if v is None else f", going concern {v.going_concern_usd / 1e6:,.1f} M$, "
        values += "" if v is None else f"liquidation {v.liquidation_usd / 1e6:,.1f} M$"
        m.log_event(
            miner,
            "default",
            f"{res.reason}: cash {cash / 1e6:,.1f} M$, debt {debt / 1e6:,.1f} M$, BTC {btc:,.1f}{values}; "
            "debt service stayed, assets to creditors",
        )
        miner.sell_estate()
