"""A stateful test of the lease negotiation and the site auction: random but valid action sequences.

A hypothesis ``RuleBasedStateMachine`` builds a small world and then interleaves, in any order:

* stepping the model a few days;
* a hyperscaler issuing an RFP of random MW (``Hyperscaler.issue_rfp``) outside its own schedule;
* a miner switching to the hybrid strategy (it then bids in the next RFP);
* a miner putting one of its sites without contracts up for sale;
* a site auction (``SiteMarket.run_auctions`` on the next day divisible by 7).

After every rule the invariants run: ``invariants.check(model)`` (MW states, cash moved only by booked flows,
no MW leased twice), the chain and prices finite and positive, every contract individually
rational (the rent between the two reservation rents) and still on a site its landlord owns. The
RFP and auction rules also check their own outcome: an RFP never signs more MW than it asked for
nor blocks below the minimum, and an auction sells at or above the reserve to the winner it names.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from hashpivot.agents.miner import Miner
from hashpivot.model.config.schema import Scenario
from hashpivot.model.markets.site_market import AUCTION_INTERVAL_DAYS, DEVELOPER, ENTRANTS
from hashpivot.model.simulation import HashpivotModel
from hashpivot.model.world import invariants
from hashpivot.model.world.sites import Owner

TOL = 1e-6


def small_world(negotiation: str, auction: str, gpu_cloud_share: float) -> Scenario:
    """The baseline with a dozen miners and two hyperscalers, so a long sequence stays fast."""
    miners = []
    for a in Scenario().miners:
        miners.append({**a.model_dump(), "count": 1 if a.spread == "none" else 3})
    return Scenario.model_validate(
        {
            "name": "stateful",
            "run": {"days": 400},
            "miners": miners,
            "ai": {"hyperscalers": 2, "negotiation": negotiation, "gpu_cloud_share": gpu_cloud_share},
            "rules": {"auction": auction},
        }
    )


class MarketMachine(RuleBasedStateMachine):
    """Drives RFPs, strategy switches, site sales and auctions between daily steps.

    Actions that touch the books run *inside* a day, right after the hyperscalers' own procurement
    (where the model runs its RFPs): between two steps ``model.day`` already names the next day
    while the sites' machine MW still describe the last one, so acting there would test a state
    the model never is in. A rule queues its action and steps one day; the step runs it.
    """

    model: HashpivotModel

    @initialize(
        seed=st.integers(0, 2**32 - 1),
        negotiation=st.sampled_from(("nash", "rubinstein")),
        auction=st.sampled_from(("second_price", "first_price")),
        gpu_cloud_share=st.sampled_from((0.0, 0.5, 1.0)),
    )
    def build(self, seed, negotiation, auction, gpu_cloud_share):
        self.model = HashpivotModel(
            small_world(negotiation, auction, gpu_cloud_share), seed=seed, check_invariants=True
        )
        self.actions: list = []
        procure = self.model.hyperscalers_procure

        def procure_then_act():
            procure()
            while self.actions:
                self.actions.pop(0)()

        self.model.hyperscalers_procure = procure_then_act
        self.model.step()  # the invariants read the first recorded day

    def act_today(self, action) -> None:
        """Run ``action`` within the next day, after the model's own RFPs and before its auctions."""
        self.actions.append(action)
        self.model.step()

    # -- rules ---------------------------------------------------------------------------------
    @rule(days=st.integers(1, 12))
    def step(self, days):
        for _ in range(days):
            self.model.step()

    @rule(which=st.integers(0, 1), mw=st.floats(1.0, 800.0))
    def issue_rfp(self, which, mw):
        m = self.model
        hs = m.hyperscalers[which % len(m.hyperscalers)]

        def rfp():
            before = len(m.leases.leases)
            hs.issue_rfp(mw)
            signed = m.leases.leases[before:]
            # An RFP fills at most what it asked for, in blocks no smaller than the minimum, for this buyer.
            assert sum(x.mw for x in signed) <= mw + TOL
            for lease in signed:
                assert lease.mw >= m.config.ai.min_block_mw - TOL
                assert lease.hyperscaler == hs.unique_id and lease.sign_day == m.day
            event("RFP signed a lease" if signed else "RFP signed nothing")  # coverage statistics

        self.act_today(rfp)

    @rule(pick=st.integers(0, 10**6))
    def switch_to_hybrid(self, pick):
        # Exit is absorbing, so only a miner still in the business may switch (as a rule would let it);
        # it bids in the next RFP, the model's own or one of ``issue_rfp``.
        candidates = [x for x in self.model.miners if x.strategy != "exit"]
        if candidates:
            candidates[pick % len(candidates)].strategy = "hybrid"

    @rule(pick=st.integers(0, 10**6))
    def put_site_up_for_sale(self, pick):
        m = self.model
        s, f = m.sites, m.fleet

        def sell():
            n = s.n
            # A miner's site without contracts, cleared of its machines (online and on order) as
            # ``Miner.leave_mining`` clears a site before it goes on the block: a site is sold empty.
            free = np.flatnonzero(
                (s.owner_kind[:n] == Owner.MINER) & (s.converting_mw[:n] + s.ai_mw[:n] <= 0) & ~s.for_sale[:n]
            )
            if free.size:
                site = int(free[pick % free.size])
                for batch in np.flatnonzero((f.site[: f.n] == site) & (f.mw[: f.n] > 0)):
                    m.machine_market.list_batch(int(batch))
                m.site_market.list_for_sale(site)

        self.act_today(sell)

    @precondition(lambda self: bool(self.model.sites.for_sale[: self.model.sites.n].any()))
    @rule()
    def run_auction(self):
        m, s = self.model, self.model.sites
        offered = {int(i) for i in np.flatnonzero(s.for_sale[: s.n])}
        sales_before = len(m.site_market.sales)
        while True:  # step through the next auction day (auctions clear weekly, inside the step)
            day = m.day
            m.step()
            if day % AUCTION_INTERVAL_DAYS == 0:
                break
        sales = m.site_market.sales[sales_before:]
        event(f"auction sold {'nothing' if not sales else 'to a ' + sales[0].buyer_kind}")
        for sale in sales:
            site, winner = sale.site, sale.winner
            # The reserve is the developer fringe's bid, which depends only on the site's region and
            # convertible MW, neither of which a sale changes.
            assert sale.price_usd >= m.site_market.developer_bid_usd(site) * (1 - 1e-12) - TOL, sale
            assert not s.for_sale[site]
            if site in m.site_market.handovers:  # sold to a non-miner, vacated first: the seller keeps it till then
                assert m.site_market.handovers[site][1].winner == winner and s.owner_kind[site] == Owner.MINER
            elif winner == DEVELOPER:  # the developer fringe: the site leaves the modelled market
                assert s.owner_kind[site] == Owner.NONE
            elif winner == ENTRANTS:  # a new mining firm, created for the site
                assert s.owner_kind[site] == Owner.MINER and m.miner_at(int(s.owner[site])).archetype == "entrant"
            else:
                buyer = m.agent_by_uid(winner)
                kind = Owner.MINER if isinstance(buyer, Miner) else Owner.HYPERSCALER
                assert (s.owner_kind[site], s.owner[site]) == (kind, buyer.idx)
        # A site either sold or, if no bid met the reserve (first price), stays on offer.
        sold = {x.site for x in sales}
        assert all(s.for_sale[i] for i in offered - sold)

    # -- invariants ------------------------------------------------------------------------------
    @invariant()
    def books_and_states_balance(self):
        invariants.check(self.model)

    @invariant()
    def chain_and_prices_are_finite_and_positive(self):
        m = self.model
        for name, value in (
            ("hashrate", m.recorder.last("network_hashrate_ehs")),
            ("difficulty", m.network.difficulty),
            ("BTC price", m.btc_price_usd),
            ("hashprice", m.hashprice_observed),
        ):
            assert math.isfinite(value) and value > 0, (name, value)

    @invariant()
    def contracts_are_rational_and_on_the_landlords_sites(self):
        m, s = self.model, self.model.sites
        for x in m.leases.leases:
            assert x.miner_reservation_usd_per_kw_month - TOL <= x.rent_usd_per_kw_month
            assert x.rent_usd_per_kw_month <= x.hyperscaler_reservation_usd_per_kw_month + TOL
            if x.end_day < 0 or x.end_day > m.day:  # contracts bind: the site stays with its landlord
                landlord = m.agent_by_uid(x.miner)
                assert (s.owner_kind[x.site], s.owner[x.site]) == (Owner.MINER, landlord.idx), x


MarketMachine.TestCase.settings = settings(
    max_examples=100,  # ~15 s on one core: each example is up to 40 rules on a dozen miners
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestMarket = MarketMachine.TestCase
