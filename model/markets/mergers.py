"""Takeovers, as a service (``model.mergers``): bidders screen targets monthly, estates are sold at default.

The mechanism (model/markets/acquisitions.py) is pure; this service assembles the offers and books the deal.

What a target is worth to a bidder (economics.md, "Consolidation"): its market value, plus what its machines
earn discounted at the *bidder's* cost of capital rather than its own (model/world/beliefs.py: hurdle rates
differ by firm). The cash flows are the target's own expectations: a bidder that merely forecasts more BTC
growth does not see a gain (disagreement is not a synergy, and with the stated spread of beliefs it bought
a third of the industry in the first year). Sites, contracts and the pivot option are valued alike by all.
A bidder pays from what it can invest (free cash and this year's issuance room), and only if it stays
within its covenant afterwards.

A **takeover** moves the whole firm to the buyer: sites, machines (those on the used market too), contracts,
construction, queue requests, cash, BTC and debt; the target's shareholders are paid the price and the target
leaves the model (status ``acquired``). An **estate sale** (a defaulted firm, ``sell_estate``) moves the
operating assets and contracts, free of debt: the buyer pays the estate, whose creditors are paid from it.

Outside capital bids too (the entrants' pool, as in the site market): it values a target's machines at the
consensus's hurdle rate plus ``entry.hurdle_premium``, pays from the month's new-capacity capital
(``Entry.capital_left_usd``), and a new firm is created if it wins (cal: defaults -- Celsius's mining estate
became a new firm, Ionic Digital). Hyperscalers do not bid for whole firms: they would have to run mining
fleets and carry miners' books, which the model's hyperscalers do not have (CoreWeave's bid for Core
Scientific, voted down in Oct 2025, is the case left out). They buy sites in the site market.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from hashpivot.model.markets.acquisitions import Deal, Offer, clear
from hashpivot.model.markets.restructuring import COVENANT_HOLIDAY_DAYS
from hashpivot.model.world import finance
from hashpivot.model.world.metrics import market_cap_usd
from hashpivot.model.world.sites import Owner

if TYPE_CHECKING:
    from hashpivot.agents.miner import Miner
    from hashpivot.model.simulation import HashpivotModel

SCREEN_DAY = 15  # day of the decision interval on which bidders screen targets (mid-month)
ENTRANTS = -2  # bidder id of outside capital: a new firm is created if it wins (as in the site market)
MIN_LIFE_YEARS = 0.5  # as in the weekly valuation (model/world/valuation.py)


class MergerMarket:
    """Monthly takeover screening and estate sales (``model.mergers``)."""

    def __init__(self, model: HashpivotModel):
        self.model = model

    # --- monthly screening ------------------------------------------------------------------------------------
    def run(self) -> None:
        """On the screening day, each target goes to its best bidder if an offer beats the board's price."""
        m = self.model
        fc = m.config.firms
        if not fc.acquisitions or m.day % m.config.run.decision_interval_days != SCREEN_DAY:
            return
        bidders, budgets = self._bidders(exclude=None)
        entrants = self._entrants_bid()
        if not bidders and not entrants:
            return
        available = {b.idx for b in bidders} | ({ENTRANTS} if entrants else set())
        targets = [x for x in m.all_miners() if x.idx not in available and self._is_target(x)]
        if not targets:
            return
        gains = self._fleet_gains(targets, self._valuers(bidders, entrants))
        acc, price = m.accounts, m.btc_price_usd
        for k, target in enumerate(targets):
            i = target.idx
            equity = float(m.ev_usd[i] + acc.cash_usd[i] + acc.btc[i] * price - acc.debt_usd[i])
            offers = [
                Offer(b.idx, equity + float(gains[k, j]), budgets[j])
                for j, b in enumerate(bidders)
                if b.idx in available
            ]
            if ENTRANTS in available:
                offers.append(Offer(ENTRANTS, equity + float(gains[k, -1]), m.entry.capital_left_usd()))
            mcap = float(market_cap_usd(m.ev_usd[i], acc.cash_usd[i], acc.btc[i] * price, acc.debt_usd[i]))
            deal = clear(mcap, fc.acquisition_premium, offers)
            if deal is None or not self._fits_covenant(deal.bidder, target, deal.price_usd):
                continue
            available.discard(deal.bidder)  # one deal per bidder (and for the entrants' pool) a month
            self._take_over(target, self._buyer(deal, target), deal, mcap)

    def _entrants_bid(self) -> bool:
        """Whether outside capital bids for whole firms (a new firm is created if it wins): free entry is on."""
        return self.model.config.entry.enabled and self.model.entry.capital_left_usd() > 0

    def _valuers(self, bidders: list[Miner], entrants: bool) -> list[tuple[int, float]]:
        """(belief row, extra rate) of each bidder, then of the entrants' pool (consensus, entry hurdle premium)."""
        m = self.model
        rows = [(b.idx, 0.0) for b in bidders]
        return rows + ([(m.beliefs.n_firms, m.config.entry.hurdle_premium)] if entrants else [])

    def _buyer(self, deal: Deal, target: Miner) -> Miner:
        """The winning miner, or a new firm the entrants' capital creates to take the target over."""
        m = self.model
        if deal.bidder != ENTRANTS:
            return m.miner_at(deal.bidder)
        buyer = m.entry.create_entrant(deal.price_usd, 0.0, commit=True)  # equity raised: the price
        m.log_event(buyer, "entry", f"entered by taking over firm {target.unique_id} ({target.archetype})")
        return buyer

    def _bidders(self, exclude: Miner | None) -> tuple[list[Miner], list[float]]:
        """The ``firms.acquisition_bidders`` going concerns with the most to invest (ties by index), and that."""
        m = self.model
        k = m.config.firms.acquisition_bidders
        if k <= 0:
            return [], []
        able = []
        for x in m.all_miners():
            if x is exclude or x.status != "active" or x.strategy == "exit":
                continue
            if m.day - m.creditors.restructured_day[x.idx] < COVENANT_HOLIDAY_DAYS:  # still mending
                continue
            budget = x.investable_usd()
            if budget > 0:
                able.append((budget, x))
        able.sort(key=lambda t: (-t[0], t[1].idx))
        return [x for _, x in able[:k]], [budget for budget, _ in able[:k]]

    def _is_target(self, x: Miner) -> bool:
        """A going concern that has been valued and has nothing half-sold (sites on the block or being vacated)."""
        m = self.model
        if x.status != "active" or x.strategy == "exit" or x.last_view is None:
            return False
        sites = x.sites
        if sites.size == 0:
            return False
        return not (m.sites.for_sale[sites].any() or m.site_market.handing_over(sites).any())

    def _fleet_gains(self, targets: list[Miner], valuers: list[tuple[int, float]]) -> np.ndarray:
        """(targets x valuers): how much more each target's installed machines are worth to each bidder.

        Each batch is worth the larger of its NPV and its resale, as in the strategy view's hold value; the
        NPVs are today's, of the target's expected cash flows, at the target's rate and at each valuer's
        (its belief row's hurdle rate plus an extra: the entry hurdle premium for the entrants' pool).
        """
        m = self.model
        f, s = m.fleet, m.sites
        per = [t.batches() for t in targets]
        b = np.concatenate(per) if per else np.zeros(0, dtype=np.int64)
        out = np.zeros((len(targets), len(valuers)))
        if b.size == 0:
            return out
        which = np.repeat(np.arange(len(targets)), [p.size for p in per])
        life = np.maximum(m.config.mining.machine_life_years - f.age_years(b, m.day), MIN_LIFE_YEARS)
        sites, j, mw = f.site[b], f.j_per_th[b], f.mw[b]
        regions, adders = s.region[sites], s.power_adder_usd_per_mwh[sites]
        resale = mw * 1e6 / j * targets[0].resale_usd_per_th()

        paths = f.owner[b]  # the target's expectations, whoever discounts them
        # A batch's running margin depends on its site, J/TH and expectations, not on who discounts it: one
        # per cohort, the same bits (``finance.mining_npv_terms``'s ``margin_groups``).
        groups = finance.same_rows(sites, paths, j)

        def worth(owners, rate_extra: float = 0.0) -> np.ndarray:
            terms = m.valuations.npv_terms(
                regions, adders, j, owners, life, rate_extra, margin_groups=groups, path_owners=paths
            )
            return np.maximum(terms.sum(axis=0) * mw, resale)

        own = worth(paths)
        for k, (row, extra) in enumerate(valuers):
            out[:, k] = np.bincount(which, worth(np.full(b.size, row), extra) - own, minlength=len(targets))
        return out

    def _fits_covenant(self, bidder: int, target: Miner, price_usd: float) -> bool:
        """Whether the buyer, carrying the target's net debt and the price, stays within its covenant.

        A new firm pays with the equity it raises: it carries only the target's own debt and EBITDA.
        """
        creditors = self.model.creditors
        if bidder == ENTRANTS:
            return creditors.within_covenant(target)
        v = creditors.view(target, 0.0, 0.0)
        return creditors.within_covenant(self.model.miner_at(bidder), v.net_debt_usd + price_usd, v.covenant_ebitda_usd)

    def _take_over(self, target: Miner, buyer: Miner, deal: Deal, mcap_usd: float) -> None:
        m = self.model
        acc = m.accounts
        mw = float(m.sites.capacity_mw[target.sites].sum())
        debt = float(acc.debt_usd[target.idx])
        buyer.fund(deal.price_usd)
        acc.post(buyer.idx, "acquisitions", -deal.price_usd)  # to the target's shareholders
        self.transfer(target, buyer, whole_firm=True)
        target.status = "acquired"
        m.solvency.record_acquisition(deal.price_usd)
        premium = f"premium {deal.price_usd / mcap_usd - 1.0:.0%}" if mcap_usd > 0 else "no premium on nothing"
        text = (
            f"bought firm {target.unique_id} ({target.archetype}, {mw:,.0f} MW, debt {debt / 1e6:,.1f} M$) for "
            f"{deal.price_usd / 1e6:,.1f} M$: market cap {mcap_usd / 1e6:,.1f} M$, {premium}, "
            f"worth {deal.value_usd / 1e6:,.1f} M$ to it"
        )
        m.log_event(buyer, "acquisition", text)
        m.log_event(target, "acquired", f"taken over by firm {buyer.unique_id} for {deal.price_usd / 1e6:,.1f} M$")
        m.retire_miner(target)

    # --- estates ----------------------------------------------------------------------------------------------
    def sell_estate(self, estate: Miner, piecemeal_done: bool = False) -> bool:
        """Offer a defaulted firm's operating assets and contracts whole; True if sold.

        The creditors' floor is what a piecemeal sale would fetch (the liquidation value); once the piecemeal
        sale has run, what is left (sites bound by contracts) goes to the best offer above nothing.
        """
        m = self.model
        if not m.config.firms.acquisitions:
            return False
        sites = estate.sites
        if sites.size == 0 or m.site_market.handing_over(sites).any():
            return False
        if piecemeal_done and m.sites.for_sale[sites].any():  # the auctions go first; what binds a contract after
            return False
        bidders, budgets = self._bidders(exclude=estate)
        entrants = self._entrants_bid()
        if not bidders and not entrants:
            return False
        view = estate.strategy_view()
        ev = estate.enterprise_value_usd(view)
        floor = 0.0 if piecemeal_done else estate.liquidation_value_usd(view)
        gains = self._fleet_gains([estate], self._valuers(bidders, entrants))[0]
        offers = [
            Offer(b.idx, ev + float(g), budget)
            for b, g, budget in zip(bidders, gains[: len(bidders)], budgets, strict=True)
        ]
        if entrants:  # cal: Celsius's mining estate went to a new firm, Ionic Digital
            offers.append(Offer(ENTRANTS, ev + float(gains[-1]), m.entry.capital_left_usd()))
        deal = clear(floor, 0.0, offers)
        if deal is None:
            return False
        buyer = self._buyer(deal, estate)
        mw = float(m.sites.capacity_mw[sites].sum())
        buyer.fund(deal.price_usd)
        m.accounts.post(buyer.idx, "acquisitions", -deal.price_usd)
        m.accounts.post(estate.idx, "acquisitions", deal.price_usd)
        self.transfer(estate, buyer, whole_firm=False)
        m.solvency.record_acquisition(deal.price_usd)
        m.log_event(
            buyer,
            "acquisition",
            f"bought the estate of defaulted firm {estate.unique_id} ({mw:,.0f} MW, its contracts) for "
            f"{deal.price_usd / 1e6:,.1f} M$: creditors' floor {floor / 1e6:,.1f} M$, "
            f"worth {deal.value_usd / 1e6:,.1f} M$ to it",
        )
        return True

    # --- the transfer -----------------------------------------------------------------------------------------
    def transfer(self, seller: Miner, buyer: Miner, whole_firm: bool) -> None:
        """Move the seller's sites, their machines, contracts and construction to the buyer.

        ``whole_firm``: also every other machine it owns (on order, on the used market), its queue requests
        and its balance sheet (cash, BTC, debt). Otherwise (an estate sale) machines already given up stay the
        estate's and its books stay with its creditors.
        """
        m = self.model
        s, f, acc = m.sites, m.fleet, m.accounts
        old, new = seller.idx, buyer.idx
        sites = seller.sites
        for site in sites:
            s.for_sale[site] = False
            s.set_owner(int(site), Owner.MINER, new)
        mine = f.owner[: f.n] == old
        if not whole_firm:  # what is installed or on order at the sites; what was given up stays the estate's
            mine &= np.isin(f.site[: f.n], sites) & ~f.removed[: f.n]
            listed = np.flatnonzero(mine & f.on_market[: f.n])  # offered with a reserve: the buyer decides anew
            f.on_market[listed], f.listed_day[listed] = False, -1
        f.owner[: f.n][mine] = new
        f.touch()
        m.leases.transfer(seller.unique_id, buyer.unique_id)
        m.construction.reassign(old, new)
        m.lease_market.contracts_changed()
        if seller.first_lease_day >= 0 and (
            buyer.first_lease_day < 0 or seller.first_lease_day < buyer.first_lease_day
        ):
            buyer.first_lease_day = seller.first_lease_day
        if whole_firm:
            m.creditors.books.merge(old, new)  # the buyer's trailing year includes the target's (pro forma)
            for rid, req in list(m.entry.pending.items()):
                if req.requester == seller.unique_id:
                    m.entry.pending[rid] = dataclasses.replace(req, requester=buyer.unique_id)
            cash = float(acc.cash_usd[old])
            acc.post(old, "acquisitions", -cash)
            acc.post(new, "acquisitions", cash)
            acc.btc[new] += acc.btc[old]
            acc.btc[old] = 0.0
            acc.debt_usd[new] += acc.debt_usd[old]
            acc.debt_usd[old] = 0.0
        m.valuations.invalidate()
