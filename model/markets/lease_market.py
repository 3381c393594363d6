"""The lease market, as a service: contracts signed, the going rent, and what bidders learn from RFP rounds.

Hyperscalers run the rounds (agents/hyperscaler.py) through the pure clearing and bargaining mechanisms of
model/markets/leasing.py; this service books what they sign. A signed lease reserves the MW, pays any
prepayment, schedules and finances the conversion capex (model/world/construction.py), and asks the grid for
firm service: the MW turn AI only once built *and* approved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hashpivot.model.markets.leasing import RFP, Award, ContractKind, Lease
from hashpivot.model.markets.renewal import RenewalOffer, renewal_rent
from hashpivot.model.world.interconnection import Purpose

if TYPE_CHECKING:
    from hashpivot.agents.hyperscaler import Hyperscaler
    from hashpivot.agents.miner import Miner
    from hashpivot.model.simulation import HashpivotModel

LEASE_WIN_RATE_PRIOR = 0.5  # before any RFP has cleared, a bidder expects to win half of what it offers
LEASE_WIN_RATE_MEMORY = 0.3  # weight of the latest RFP round in the learned win rate
RENT_MEMORY_DAYS = 365  # the going rent is the mean of the last year's contracts


class LeaseMarket:
    """Signing, pricing and learning in the AI lease market (``model.lease_market``)."""

    def __init__(self, model: HashpivotModel):
        self.model = model
        self.win_rate = LEASE_WIN_RATE_PRIOR
        """Awarded over bid MW, learned from RFP rounds (and from procurement days with none)."""
        self.rounds = 0
        """RFP rounds run so far."""
        # Asked by every deciding firm; keyed on (day, number of leases): a lease's kind, rent, sign day and
        # miner are fixed at signing, and leases are only ever appended.
        self._rents: dict[tuple, float] = {}
        self._with_contracts: tuple[tuple | None, frozenset] = (None, frozenset())

    def market_rent_usd_per_kw_month(self, kind: ContractKind) -> float:
        """The going rent: mean of the last year's signed contracts of this kind, else hyperscalers' quotes."""
        key = (self.model.day, len(self.model.leases.leases), kind)
        if key not in self._rents:
            if next(iter(self._rents), key)[:2] != key[:2]:
                self._rents.clear()
            self._rents[key] = self._market_rent(kind)
        return self._rents[key]

    def _market_rent(self, kind: ContractKind) -> float:
        m = self.model
        recent = [
            x.rent_usd_per_kw_month
            for x in m.leases.leases
            if x.kind == kind and m.day - x.sign_day <= RENT_MEMORY_DAYS
        ]
        if recent:
            return float(np.mean(recent))
        # No contract for a year: the rent is what hyperscalers would pay now. A constant reference rent here
        # kept a phantom tenant in every miner's hybrid value when AI demand was absent (issue "AI demand and
        # grid prices", item 4); with no hyperscaler short of capacity nobody pays anything.
        quotes = [q for hs in m.hyperscalers if (q := hs.quote_rent_usd_per_kw_month(kind)) is not None]
        return float(np.mean(quotes)) if quotes else 0.0

    def observe_rfp(self, bid_mw: float, awarded_mw: float) -> None:
        """Bidders learn their chance of winning a lease from each round's fill ratio (market evidence)."""
        self.rounds += 1
        if bid_mw > 0:
            self._learn(min(1.0, awarded_mw / bid_mw))

    def observe_no_rfp(self) -> None:
        """A procurement day without any RFP is a round nobody could win: the learned win rate decays towards 0.

        Without this a bidder would keep its prior (0.5) forever in a world with no AI demand, and firms would
        turn hybrid for tenants who never come (issue "AI demand and grid prices", item 4).
        """
        self._learn(0.0)

    def _learn(self, fill: float) -> None:
        """Exponential smoothing of the win rate towards one round's fill ratio."""
        self.win_rate += LEASE_WIN_RATE_MEMORY * (fill - self.win_rate)

    def contracts_changed(self) -> None:
        """Contracts changed landlord today: who has contracts is asked again."""
        self._with_contracts = (None, frozenset())

    def has_contracts(self, miner_uid: int) -> bool:
        """True if the miner has signed any AI contract that has not ended."""
        return miner_uid in self._miners_with_contracts()

    def _miners_with_contracts(self) -> frozenset:
        """Miners with a contract that has not ended, once a day and per signing.

        A contract's end day is set only when it starts (``ConstructionBook.advance``, before the firms
        decide, the only ones who ask): within a day, the answer changes only with a new signing.
        """
        m = self.model
        key = (m.day, len(m.leases.leases), m.leases.version)
        if self._with_contracts[0] != key:
            live = frozenset(x.miner for x in m.leases.leases if x.end_day < 0 or x.end_day > m.day)
            self._with_contracts = (key, live)
        return self._with_contracts[1]

    def renew(self, ended: list[Lease]) -> None:
        """At term end tenant and landlord bargain a renewal (model/markets/renewal.py), or the MW stay returned.

        A renewal is a new contract on the same site and kind, live from today: the MW go straight back to AI,
        a GPU-cloud landlord buys the new term's GPUs today, and no prepayment is paid.
        """
        m = self.model
        sc, ai = m.config, m.config.ai
        for old in ended:
            landlord, hs = m.agent_by_uid(old.miner), m.agent_by_uid(old.hyperscaler)
            offer = hs.renewal_offer(old) if landlord.owns_site(old.site) else None
            ask = landlord.renewal_ask(old)
            rent = renewal_rent(
                ask,
                offer,
                ai.min_block_mw,
                ai.negotiation,
                sc.finance.contract_rate(old.kind),
                hs.impatience_rate(old.kind),
                ai.bargaining_power_base,
            )
            if rent is None:
                m.log_event(landlord, "lease_end", f"{old.kind} {old.mw:.0f} MW back from {hs.name}, not renewed")
                continue
            self._book_renewal(old, offer, ask, rent, landlord, hs)

    def _book_renewal(
        self, old: Lease, offer: RenewalOffer, ask: float, rent: float, landlord: Miner, hs: Hyperscaler
    ) -> None:
        m, terms = self.model, self.model.config.ai.terms(old.kind)
        mw, day = offer.mw, self.model.day
        m.sites.ai_mw[old.site] += mw
        equipment_usd = mw * terms.equipment_capex_usd_per_mw
        if equipment_usd > 0:
            loan_share = m.config.finance.loan_to_cost_backstopped
            m.construction.schedule_capex(landlord.idx, equipment_usd, day, 1, loan_share)
        lease = Lease(
            id=m.new_id("lease"),
            miner=old.miner,
            hyperscaler=old.hyperscaler,
            site=old.site,
            kind=old.kind,
            mw=mw,
            rent_usd_per_kw_month=rent,
            term_years=terms.term_years,
            escalator_per_year=terms.escalator_per_year,
            prepayment_usd=0.0,
            margin=terms.margin,
            capex_usd=equipment_usd,
            sign_day=day,
            promised_day=day,
            late_penalty_usd_per_day=0.0,
            miner_reservation_usd_per_kw_month=ask,
            hyperscaler_reservation_usd_per_kw_month=offer.reservation_usd_per_kw_month,
            start_day=day,
            end_day=day + int(round(terms.term_years * 365)),
        )
        m.leases.add(lease)
        m.log_event(
            landlord,
            "renew",
            f"{old.kind} {mw:.0f} of {old.mw:.0f} MW renewed at {rent:.1f} $/kW-mo (was "
            f"{old.rent_usd_per_kw_month:.1f}) with {hs.name}",
        )

    def sign(self, award: Award, rfp: RFP, hs: Hyperscaler) -> Lease:
        """Sign a contract: reserve the MW, take the prepayment, schedule the capex, ask for firm service."""
        m = self.model
        sc, s, bid = m.config, m.sites, award.bid
        terms = sc.ai.terms(rfp.kind)
        miner = m.agent_by_uid(bid.miner)
        site, mw = bid.site, bid.mw
        m.assets.make_room(site, mw)
        s.converting_mw[site] += mw
        shell_usd = mw * terms.conversion_capex_usd_per_mw * s.capex_multiplier[site]
        equipment_usd = mw * terms.equipment_capex_usd_per_mw
        capex = shell_usd + equipment_usd
        lease = Lease(
            id=m.new_id("lease"),
            miner=bid.miner,
            hyperscaler=hs.unique_id,
            site=site,
            kind=rfp.kind,
            mw=mw,
            rent_usd_per_kw_month=award.rent_usd_per_kw_month,
            term_years=terms.term_years,
            escalator_per_year=terms.escalator_per_year,
            prepayment_usd=0.0,
            margin=terms.margin,
            capex_usd=capex,
            sign_day=m.day,
            promised_day=bid.ready_day,
            late_penalty_usd_per_day=terms.late_penalty_share_per_day * award.rent_usd_per_kw_month * 12_000.0 * mw,
            miner_reservation_usd_per_kw_month=bid.ask_usd_per_kw_month,
            hyperscaler_reservation_usd_per_kw_month=award.hyperscaler_reservation,
        )
        lease.prepayment_usd = terms.prepayment_share * lease.total_contract_value_usd()
        m.accounts.post(miner.idx, "prepayments", lease.prepayment_usd)
        loan_share = sc.finance.loan_to_cost_backstopped
        m.construction.schedule_capex(miner.idx, shell_usd, m.day, max(terms.build_days, 1), loan_share)
        go = m.grid.operator_at(site)
        m.accounts.post(miner.idx, "capex", -go.study_fee_usd(mw))
        req = go.request(
            bid.miner,
            site,
            mw,
            firm=True,
            purpose=Purpose.AI_CONVERSION,
            headroom_mw=mw * sc.grid.flexible_headroom_credit,
        )
        equipment = (miner.idx, equipment_usd, loan_share) if equipment_usd > 0 else None
        m.construction.add_conversion(lease.id, req.id, built_day=m.day + terms.build_days, equipment=equipment)
        m.leases.add(lease)
        miner.on_lease_signed(m.day)
        m.log_event(
            miner, "lease", f"{rfp.kind} {mw:.0f} MW at {lease.rent_usd_per_kw_month:.1f} $/kW-mo with {hs.name}"
        )
        return lease
