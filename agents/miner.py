"""Miner: a Bitcoin mining firm with sites, an ASIC fleet by vintage, cash, debt and a BTC treasury.

Its *daily* life -- running or curtailing each batch against the hour's power price, earning mining revenue
and demand-response payments, paying power, opex and debt service -- is computed for all miners at once over
arrays (model/world/fleet.py, model/world/accounts.py). What lives here is what a firm *decides*, at its
decision points (monthly, staggered by firm):

* its pivot strategy (hold / hybrid / exit), by the rule the scenario names (agents/rules.py);
* its fleet (agents/fleet_decisions.py): hibernate and restart machines, sell them second-hand, upgrade,
  expand, buy used machines, seek new sites;
* its treasury: sell BTC when cash falls below its reserve;
* whether to bid into hyperscalers' RFPs, and at what reservation rent (model/markets/leasing.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from hashpivot.agents.fleet_decisions import FleetDecisions
from hashpivot.agents.rules import STRATEGY_RULES, StrategyChoice, StrategyView
from hashpivot.model.markets.auction import SiteBid
from hashpivot.model.markets.leasing import (
    Bid,
    ContractKind,
    effective_capex_usd_per_mw,
    lease_npv_usd_per_mw,
    miner_reservation_rent,
)
from hashpivot.model.world.arrays import weighted_mean
from hashpivot.model.world.finance import annuity_pv
from hashpivot.model.world.liquidity import reserve_usd
from hashpivot.model.world.payouts import excess_cash_usd, payout_usd
from hashpivot.model.world.sites import Owner
from hashpivot.model.world.solvency import liquidate

if TYPE_CHECKING:
    from hashpivot.model.simulation import HashpivotModel


class Miner(FleetDecisions, mesa.Agent):
    """A mining firm.

    Attributes:
        idx: dense index into the model's account and site-owner arrays.
        archetype: name of the archetype it was created from (SF-5 / seed: The deals).
        strategy: "hold", "hybrid" or "exit".
        hodl_share: share of mined BTC kept in the treasury.
        decision_offset: day of the month on which it re-decides (staggers decisions).
        listed: whether its shares trade (the peer group of the valuation measures, SF-4).
        initial_j_per_th: MW-weighted efficiency of the fleet it started with (the SF-3 pivot's yardstick).
        last_choice: the rule's last answer, with the values it compared.
        last_view: the numbers that answer was computed from.
        exit_day, first_lease_day, first_move_day: when it exited, signed its first lease, first left hold
            (-1: not yet).
        equity_issued: ``(day, USD)`` of every share sale (issuance is capped per trailing year).
    """

    def __init__(
        self,
        model: HashpivotModel,
        idx: int,
        archetype: str,
        strategy: str,
        hodl_share: float,
        decision_offset: int,
        listed: bool = True,
        initial_j_per_th: float = float("nan"),
    ):
        super().__init__(model)
        self.idx = idx
        self.archetype = archetype
        self.strategy = strategy
        self.hodl_share = hodl_share
        self.decision_offset = decision_offset
        self.listed = listed
        self.initial_j_per_th = initial_j_per_th
        self.last_choice: StrategyChoice | None = None
        self.last_view: StrategyView | None = None
        self.exit_day = -1
        self.status = "active"  # active, exited (wound down, paid out), defaulted or acquired
        self.gone = False  # removed from the model's agent set (its history stays in the tables)
        self.first_lease_day = -1
        self.first_move_day = -1  # first day it left "hold" (for hybrid or exit)
        self.equity_issued: list[tuple[int, float]] = []
        self._issues_in_year = 0  # equity_issued[:this] are more than a year old (see ``issued_last_year_usd``)

    # --- what it holds ----------------------------------------------------------------------------------------
    @property
    def sites(self) -> np.ndarray:
        """Indices of the sites it owns."""
        return self.model.sites.owned_by(Owner.MINER, self.idx)

    @property
    def cash_usd(self) -> float:
        """Cash on hand."""
        return float(self.model.accounts.cash_usd[self.idx])

    @property
    def converting(self) -> bool:
        """True while any of its MW are being converted to AI (the transition state)."""
        return bool(self.model.sites.converting_mw[self.sites].sum() > 0)

    # --- decision point ---------------------------------------------------------------------------------------
    def decide(self) -> None:
        """Re-decide: treasury first (liquidity), then its lenders' test, strategy, fleet and payouts.

        A firm in default is its creditors' estate: it only sells what it holds. A firm that is gone (wound
        down, liquidated or acquired) is no longer in the model's agent set and never decides again.
        """
        if self.gone:
            return
        if self.status == "defaulted":
            self.settle_estate()
            return
        if self.has_left():
            self.wind_down()
            return
        self.manage_treasury()
        if self.model.creditors.review(self):
            return
        view = self.strategy_view()
        choice = STRATEGY_RULES[self.model.config.rules.strategy](view)
        self.last_choice, self.last_view = choice, view
        if choice.strategy != self.strategy:
            values = ", ".join(f"{k} {v / 1e6:,.1f} M$" for k, v in choice.values_usd.items() if np.isfinite(v))
            self.model.log_event(self, "strategy", f"{self.strategy} -> {choice.strategy}: {choice.reason} ({values})")
            self.strategy = choice.strategy
            if self.first_move_day < 0:
                self.first_move_day = self.model.day
            if self.strategy == "exit":
                self.exit_day = self.model.day
        if self.strategy == "exit":
            self.leave_mining()
        else:
            self.manage_fleet()
            self._exit_if_no_longer_mining()
            if self.strategy != "exit":
                self.pay_out()

    def wind_down(self) -> None:
        """It holds nothing any more: liquidate (model/world/solvency.py), record how it ended, leave the model."""
        self._close(defaulted_before=False)

    def _close(self, defaulted_before: bool) -> None:
        """Liquidate what is left (model/world/solvency.py), record how it ended, leave the model.

        A going concern that holds nothing is wound down, or defaults if its cash falls short of its debt; a
        firm already in default (``defaulted_before``) is closed by its creditors.
        """
        m = self.model
        result = liquidate(m.accounts, self.idx, m.btc_price_usd)
        m.solvency.record(self.idx, result, defaulted_before=defaulted_before)
        if defaulted_before:
            kind = "liquidation"
        else:
            self.status = "defaulted" if result.defaulted else "exited"
            kind = "default" if result.defaulted else "wind_down"
        m.log_event(self, kind, result.describe())
        m.retire_miner(self)

    # --- default and its estate -------------------------------------------------------------------------------
    def enter_default(self) -> None:
        """Its creditors take over: it stops mining for itself and its estate is sold."""
        self.status = "defaulted"
        if self.strategy != "exit":
            self.strategy = "exit"
            self.exit_day = self.model.day
            if self.first_move_day < 0:
                self.first_move_day = self.model.day

    def sell_estate(self) -> None:
        """Offer the estate whole (contracts move with their sites); else auction its sites and machines."""
        m = self.model
        if not m.mergers.sell_estate(self):
            self.leave_mining()

    def settle_estate(self) -> None:
        """Monthly while in default: once it holds nothing, pay the creditors and close; else keep selling.

        What is left after the piecemeal sale is what binds a contract (a site under lease): it is offered
        whole again each month, to whichever miner will take the landlord's place.
        """
        m = self.model
        if self.has_left():
            self._close(defaulted_before=True)
        elif m.lease_market.has_contracts(self.unique_id):
            m.mergers.sell_estate(self, piecemeal_done=True)

    def liquidation_value_usd(self, view: StrategyView) -> float:
        """What creditors would get selling it piecemeal: sites and machines (the exit value) and its contracts."""
        return view.v_exit_usd + self.contracts_value_usd()

    def pay_out(self) -> None:
        """Return cash it does not need to its shareholders (model/world/payouts.py), within its covenant."""
        m, fc = self.model, self.model.config.firms
        if fc.payout_share_per_year <= 0 or not m.creditors.within_covenant(self):
            return
        excess = excess_cash_usd(
            self.cash_usd,
            self.cash_reserve_usd(),
            m.construction.equity_committed_usd(self.idx, m.day),
            m.creditors.books.investment_usd_per_year(self.idx),
        )
        usd = payout_usd(excess, fc.payout_share_per_year, m.config.run.decision_interval_days)
        if usd > 0:
            m.accounts.post(self.idx, "payouts", -usd)
            m.solvency.record_payout(usd)

    def has_left(self) -> bool:
        """An exited firm with no sites, no machines and no contracts: it is out of the industry.

        Machines it gave up (off their site, on the used market) do not hold it back: they are its estate's,
        sold or recycled later (``MachineMarket._pay_seller``). Waiting for them kept a firm with no revenue
        and negative cash on the books for the months of the used market's listing period.
        """
        m = self.model
        return (
            self.strategy == "exit"
            and self.sites.size == 0
            and not self._holds_machines()
            and not m.lease_market.has_contracts(self.unique_id)
        )

    def _holds_machines(self) -> bool:
        """Machines of its own, installed or on order (those it gave up to the used market do not count)."""
        f = self.model.fleet
        return bool(np.any((f.owner[: f.n] == self.idx) & (f.mw[: f.n] > 0) & ~f.removed[: f.n]))

    def _exit_if_no_longer_mining(self) -> None:
        """Record an exit when the firm has in fact left mining.

        A firm whose machines have all been retired for losses, with nothing on order and no contracts, has
        left mining (the Bitfarms path: wind mining down): it is an exit, and it sells what it holds.
        """
        m = self.model
        if self._holds_machines() or m.lease_market.has_contracts(self.unique_id) or self.sites.size == 0:
            return
        m.log_event(self, "strategy", f"{self.strategy} -> exit: all machines retired for losses, no contracts")
        self.strategy, self.exit_day = "exit", m.day
        if self.first_move_day < 0:
            self.first_move_day = m.day
        self.leave_mining()

    def manage_treasury(self) -> None:
        """Restore the cash reserve: sell BTC first, then issue equity within this year's capacity.

        The treasury is kept otherwise (the hodl habit is the archetype's). A firm that can do neither and
        still has negative cash is distressed (``StrategyView.distressed``).
        """
        acc = self.model.accounts
        shortfall = self.cash_reserve_usd() - acc.cash_usd[self.idx]
        price = self.model.btc_price_usd
        if shortfall > 0 and acc.btc[self.idx] > 0:
            sell_btc = min(acc.btc[self.idx], shortfall / price)
            acc.sell_btc(self.idx, sell_btc, price)
            shortfall -= sell_btc * price
        if shortfall > 0:
            self.issue_equity(shortfall)

    def cash_reserve_usd(self) -> float:
        """Liquidity buffer: months of running cost at today's machine MW and of debt service (liquidity.py)."""
        m = self.model
        machine_mw = float(m.assets.machine_mw_by_miner()[self.idx])
        return reserve_usd(machine_mw, float(m.accounts.debt_usd[self.idx]), m.config.finance, m.config.mining)

    def strategy_view(self) -> StrategyView:
        """Assemble the numbers the strategy rule compares (see ``StrategyView``)."""
        m, sc = self.model, self.model.config
        b = self.batches()
        npv_per_mw = m.valuations.batch_npv_per_mw(b)
        mw = m.fleet.mw[b]
        # A holder sells a batch the market values above its own NPV (``_sell_unwanted``) without exiting, so
        # holding is worth at least each batch's resale. Counted at its own NPV only, a fleet priced at the
        # used market's last trades looked worth more sold than kept, and whole firms exited into a bull market
        # (seed 3, 2031-32: mining capacity 9 -> 2.6 GW at a hashprice of 75-90 USD/PH/day).
        resale = m.fleet.mw[b] * 1e6 / m.fleet.j_per_th[b] * self.resale_usd_per_th()
        v_hold = float(np.maximum(npv_per_mw * mw, resale).sum())
        conv_mw, conv_sites = self.convertible_mw()
        is_conv = np.zeros(m.sites.n, bool)  # a lookup table: np.isin costs more for these few sites
        is_conv[conv_sites] = True
        on_conv = is_conv[m.fleet.site[b]]
        conv_machine_mw = max(float(mw[on_conv].sum()), 1e-9)
        v_conv_mining = float((npv_per_mw * mw)[on_conv].sum()) * min(1.0, conv_mw / conv_machine_mw)
        terms = sc.ai.colocation
        capex = terms.conversion_capex_usd_per_mw * self.mean_capex_multiplier(conv_sites)
        lease_npv = lease_npv_usd_per_mw(
            m.lease_market.market_rent_usd_per_kw_month(ContractKind.COLOCATION),
            terms.margin,
            sc.finance.rate_contracted,
            terms.term_years,
            terms.escalator_per_year,
            capex,
            terms.build_days / 365.0,
        )
        margin_day = float((m.valuations.batch_margin_per_mw_day(b) * m.fleet.mw[b]).sum())
        acc = m.accounts
        # Only sites without contracts can be sold (contracts bind); both hold and exit keep the rest.
        sellable = [s for s in self.sites if m.sites.converting_mw[s] + m.sites.ai_mw[s] <= 0]
        site_value = float(sum(m.site_market.sale_estimate_usd(s) for s in sellable))
        exit_cost = sc.finance.exit_cost_usd_per_mw * float(m.sites.capacity_mw[self.sites].sum())
        # Holding keeps the sites: their value comes back when the machines are spent (continuation value).
        life = sc.mining.machine_life_years
        terminal = site_value / (1.0 + sc.finance.rate_mining) ** life
        return StrategyView(
            current=self.strategy,
            v_hold_usd=v_hold + terminal,
            v_mining_convertible_usd=v_conv_mining,
            convertible_mw=conv_mw,
            lease_npv_usd_per_mw=lease_npv,
            lease_access=self.lease_access(conv_sites),
            can_finance=self.can_finance(sc.ai.min_block_mw * capex),
            v_exit_usd=site_value + self.salvage_value_usd(b) - exit_cost,
            mining_margin_usd_per_day=margin_day,
            distressed=bool(acc.cash_usd[self.idx] < 0 and acc.btc[self.idx] <= 1e-9),
            has_contracts=m.lease_market.has_contracts(self.unique_id),
            min_block_mw=sc.ai.min_block_mw,
            hysteresis=sc.finance.switch_hysteresis,
        )

    # --- AI pivot -------------------------------------------------------------------------------------------
    def convertible_mw(self) -> tuple[float, np.ndarray]:
        """MW it could still offer to AI (convertible, not already converting or leased) and those sites."""
        s = self.model.sites
        sites = self.sites
        free = np.maximum(s.convertible_mw[sites] - s.converting_mw[sites] - s.ai_mw[sites], 0.0)
        free = np.minimum(free, s.capacity_mw[sites] - s.unbuilt_mw[sites] - s.converting_mw[sites] - s.ai_mw[sites])
        keep = free > 1e-9
        return float(free[keep].sum()), sites[keep]

    def mean_capex_multiplier(self, sites: np.ndarray) -> float:
        """MW-weighted conversion-capex multiplier of the given sites (1.0 if none)."""
        s = self.model.sites
        w = s.convertible_mw[sites]
        return weighted_mean(s.capex_multiplier[sites], w) if w.sum() > 0 else 1.0

    def lease_access(self, sites: np.ndarray) -> float:
        """Chance of signing a tenant for these sites within a year.

        The regions' hyperscaler access (MW-weighted) times the chance of winning at least once in a year of
        rounds at the fill rate recent RFPs have shown (learned from the market, not assumed).
        """
        s, t = self.model.sites, self.model.regions
        w = s.convertible_mw[sites]
        if w.sum() <= 0:
            return 0.0
        access = weighted_mean(t.column("hyperscaler_access")[s.region[sites]], w)
        # A bidder re-bids every round: the chance of a tenant within a year of monthly rounds.
        rounds = 365.0 / self.model.config.ai.rfp_interval_days
        return access * (1.0 - (1.0 - self.model.lease_market.win_rate) ** rounds)

    def investable_usd(self) -> float:
        """What it can put into machines now: free cash plus the equity it could still issue this year.

        Capital markets fund miners whose investments pay (the NPV tests decide that); issuance is
        capped at a share of the firm's enterprise value per year.
        """
        m = self.model
        cap = m.config.finance.equity_issuance_share_per_year * max(float(m.ev_usd[self.idx]), 0.0)
        return self.free_equity_usd() + max(cap - self.issued_last_year_usd(), 0.0)

    def fund(self, amount_usd: float) -> None:
        """Issue equity for whatever part of ``amount_usd`` free cash does not cover."""
        shortfall = amount_usd - max(self.free_equity_usd(), 0.0)
        if shortfall > 0:
            self.issue_equity(shortfall)

    def issue_equity(self, amount_usd: float) -> float:
        """Sell shares for up to ``amount_usd``, within this year's issuance capacity; return what was raised."""
        m = self.model
        cap = m.config.finance.equity_issuance_share_per_year * max(float(m.ev_usd[self.idx]), 0.0)
        room = cap - self.issued_last_year_usd()
        raised = min(amount_usd, max(room, 0.0))
        if raised > 0:
            self.equity_issued.append((m.day, raised))
            m.accounts.post(self.idx, "equity_raised", raised)
        return raised

    def issued_last_year_usd(self) -> float:
        """Equity issued in the trailing year, summed in the order it was issued.

        Issues are appended in day order and days only advance, so one more than a year old never counts
        again: the sum starts after them (it was a scan of every issue ever, on every investment test).
        """
        day, issued = self.model.day, self.equity_issued
        while self._issues_in_year < len(issued) and day - issued[self._issues_in_year][0] >= 365:
            self._issues_in_year += 1
        return sum(x for _, x in issued[self._issues_in_year :])

    def free_equity_usd(self) -> float:
        """Cash above the reserve and above the equity already promised to signed conversions.

        ``free_equity_of`` computes the same for many firms at once, bit for bit (tests/test_liquidity.py).
        """
        m = self.model
        return self.cash_usd - self.cash_reserve_usd() - m.construction.equity_committed_usd(self.idx, m.day)

    def can_finance(self, capex_usd: float, prepayment_usd: float = 0.0) -> bool:
        """Whether free equity, backstopped debt capacity and the tenant's prepayment cover the capex.

        economics.md: financing limits put an option out of reach.
        """
        fin = self.model.config.finance
        equity_needed = capex_usd * (1.0 - fin.loan_to_cost_backstopped) - prepayment_usd
        return self.free_equity_usd() >= equity_needed

    def bid(self, rfp) -> list[Bid]:
        """Offer MW to an RFP at each convertible site, asking the reservation rent (only hybrids bid).

        Reservation rent (economics.md): annuitised conversion capex (plus GPUs for GPU cloud) plus the mining
        margin those MW give up, over the contract's operating margin.
        """
        if self.strategy != "hybrid":
            return []
        m, sc = self.model, self.model.config
        terms = sc.ai.terms(rfp.kind)
        rate = sc.finance.contract_rate(rfp.kind)
        bids = []
        s = m.sites
        equity = self.free_equity_usd()  # offers are limited by what it can finance, across all its bids
        for site in self.convertible_mw()[1]:
            if s.for_sale[site]:  # on the block: not offered to tenants
                continue
            free = min(
                s.convertible_mw[site] - s.converting_mw[site] - s.ai_mw[site],
                s.capacity_mw[site] - s.unbuilt_mw[site] - s.converting_mw[site] - s.ai_mw[site],
            )
            mw = min(free, rfp.mw)
            if mw < rfp.min_block_mw:
                continue
            capex = terms.conversion_capex_usd_per_mw * s.capex_multiplier[site] + terms.equipment_capex_usd_per_mw
            capex_net = effective_capex_usd_per_mw(terms, rate, float(s.capex_multiplier[site]))
            # Prepayment is a share of contract value, about (share x term) of a year's rent per MW: here
            # approximated by the share of capex, conservative for long terms.
            equity_per_mw = capex * (1.0 - sc.finance.loan_to_cost_backstopped - terms.prepayment_share)
            if equity_per_mw > 0:
                mw = min(mw, max(equity, 0.0) / equity_per_mw)
            if mw < rfp.min_block_mw:
                continue
            equity -= mw * max(equity_per_mw, 0.0)
            foregone = m.valuations.site_own_npv_per_mw(int(site))
            ask = miner_reservation_rent(capex_net, rate, terms.term_years, terms.margin, foregone)
            approval = m.grid.operator_at(site).expected_wait_days(mw * sc.grid.flexible_headroom_credit, firm=False)
            ready = m.day + int(max(terms.build_days, approval))
            keeps_flexible = s.machine_mw[site] - mw > 0.25 * mw  # mining left on site to shed at peak
            bids.append(Bid(rfp.id, self.unique_id, int(site), float(mw), ask, ready, bool(keeps_flexible)))
        return bids

    def renewal_ask(self, lease) -> float:
        """The least rent it accepts to renew ``lease`` at term end (model/markets/renewal.py).

        As in ``bid``, but for MW already converted: the capex is only what the new term needs (the GPUs of a
        GPU-cloud contract; nothing for colocation, whose shell stands), and the mining given up is what the
        site would earn with the MW back.
        """
        m, sc = self.model, self.model.config
        terms = sc.ai.terms(lease.kind)
        rate = sc.finance.contract_rate(lease.kind)
        capex_net = effective_capex_usd_per_mw(terms, rate, conversion=False)
        foregone = m.valuations.site_own_npv_per_mw(int(lease.site))
        return miner_reservation_rent(capex_net, rate, terms.term_years, terms.margin, foregone)

    def leave_mining(self) -> None:
        """Exit: put every site up for sale, as a going concern; give up every other machine.

        A site with contracts keeps them (the firm stays their landlord) and its uncontracted MW are carved
        out as a parcel of their own and sold with their machines: otherwise they would sit idle under an
        owner that no longer mines. Machines at a site for sale keep running until it is sold (a mining buyer
        takes them over); machines still on order go to the used market.
        """
        m = self.model
        f, s = m.fleet, m.sites
        for site in self.sites:
            if s.converting_mw[site] + s.ai_mw[site] > 0:
                parcel = s.carve_out(int(site))
                if parcel is None:
                    continue
                f.move_site(int(site), parcel)
                site = parcel
            m.site_market.list_for_sale(int(site))
        selling = s.for_sale[f.site[: f.n]] | m.site_market.handing_over(f.site[: f.n])
        mine = (f.owner[: f.n] == self.idx) & (f.mw[: f.n] > 0) & ~f.removed[: f.n]
        for i in np.flatnonzero(mine & ~(selling & f.installed(m.day))):
            m.machine_market.list_batch(int(i))

    # --- site market ----------------------------------------------------------------------------------------
    def value_site(self, site: int) -> SiteBid | None:
        """Bid for a site at its mining NPV with new machines, net of build and machine capex, within budget."""
        if not self.bids_for_site(site):
            return None
        return self.site_bid(self.value_site_for_mining(site), self.model.entry.takeover_equity_usd(site))

    def bids_for_site(self, site: int, allowed: bool | None = None) -> bool:
        """Whether it bids for a site at all: it still mines, and mining is allowed there (``allowed``, if known)."""
        return self.strategy != "exit" and (self.model.grid.mining_allowed(site) if allowed is None else allowed)

    def site_bid(
        self, mining_value_usd: float, takeover_equity_usd: float, free_equity_usd: float | None = None
    ) -> SiteBid | None:
        """Its bid for a site worth ``mining_value_usd`` to it, within what it can pay beyond the takeover.

        ``free_equity_usd``: its ``free_equity_usd()``, when an auction has computed it for all bidders at once.
        """
        # Cash promised to conversions is not there to spend, and the site must still be equipped: the bid
        # leaves the equity (and buffer) its machines need, or the firm would win a site it cannot run.
        free = self.free_equity_usd() if free_equity_usd is None else free_equity_usd
        value = min(mining_value_usd, free - takeover_equity_usd)
        return SiteBid(self.unique_id, value) if value > 0 else None

    def owns_site(self, site: int) -> bool:
        """True if it holds the site."""
        s = self.model.sites
        return s.owner_kind[site] == Owner.MINER and s.owner[site] == self.idx

    # --- contracts and value --------------------------------------------------------------------------------
    def on_lease_signed(self, day: int) -> None:
        """Remember its first lease (the SF-3 clock starts there)."""
        if self.first_lease_day < 0:
            self.first_lease_day = day

    def enterprise_value_usd(self, view: StrategyView | None = None) -> float:
        """Enterprise value (model/world/metrics.py): what its cash flows are worth at risk-adjusted rates.

        * mining: its machines' NPV plus the discounted value of its sites when the machines are spent
          (``StrategyView.v_hold_usd``);
        * contracts: net rent still to come at the contracted rate, less conversion capex still to spend;
        * the pivot option: free convertible MW x chance of a tenant x NPV of a lease at the going rent.

        ``view``: the numbers to value it from (its last decision's by default).
        """
        m = self.model
        view = self.last_view if view is None else view
        v = view.v_hold_usd if view is not None else 0.0
        if view is not None and view.lease_npv_usd_per_mw > 0:
            v += view.convertible_mw * view.lease_access * view.lease_npv_usd_per_mw
        v += self.contracts_value_usd()
        return v - m.construction.capex_remaining_usd(self.idx, m.day)

    def contracts_value_usd(self) -> float:
        """Net rent still to come on its contracts, at the contracted rate (plus construction risk before start)."""
        m = self.model
        fin = m.config.finance
        v = 0.0
        for x in m.leases.for_miner(self.unique_id):
            started = x.start_day >= 0
            rate = fin.rate_contracted + (0.0 if started else fin.construction_risk_premium)
            start = x.start_day if started else x.promised_day
            end = start + x.term_years * 365
            remaining = max(0.0, (end - max(start, m.day)) / 365.0)
            wait = max(0.0, (start - m.day) / 365.0)
            net = x.rent_usd_per_kw_month * 12_000.0 * x.mw * x.margin
            v += float(annuity_pv(net, rate, remaining, x.escalator_per_year)) / (1 + rate) ** wait
        return v
