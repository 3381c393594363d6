"""Hyperscaler: needs AI capacity, leases it from miners or builds greenfield, and bids for energised sites.

Demand follows the scenario's AI-spending path (default 47 B$ in 2024 -> 499 B$ in 2034, seed facts):
installed AI MW = spending / USD per MW-year, of which ``addressable_share`` is sourced from powered sites.
Each procurement round the hyperscaler looks a build-time ahead, issues an RFP for the gap, signs the bids
that beat its outside option, and takes the rest to the interconnection queue as greenfield requests. Its
outside option -- and so its reservation rent -- worsens as its own requests congest the queues: the
miners' bargaining power emerges from that congestion (economics.md: "Energised capacity is the scarce
asset").
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from hashpivot.model.markets.auction import SiteBid
from hashpivot.model.markets.contract_choice import gpu_cloud_probability, logit_scale_usd_per_mw_year, route_costs
from hashpivot.model.markets.leasing import (
    RFP,
    Bid,
    ContractKind,
    clear_rfp,
    effective_capex_usd_per_mw,
    hyperscaler_reservation_rent,
)
from hashpivot.model.markets.renewal import RenewalOffer
from hashpivot.model.markets.siting import HOURS_PER_YEAR, best_campus_region, campus_values_usd_per_mw_year
from hashpivot.model.world import finance
from hashpivot.model.world.interconnection import Purpose
from hashpivot.model.world.sites import Owner

if TYPE_CHECKING:
    from hashpivot.model.simulation import HashpivotModel

GREENFIELD_BLOCK_MW = 100.0  # assumption: greenfield campuses are requested in 100 MW phases
MAX_GREENFIELD_PHASES = 200  # requests per round at most (beyond 20 GW a round, phases grow instead)


@dataclass
class PipelineEntry:
    """A greenfield campus requested at the grid: its MW and the day it is expected live."""

    request_id: int
    mw: float
    ready_day: int
    region: int = -1
    approved: bool = False  # admitted by the grid: a site of its own is being built


class Hyperscaler(mesa.Agent):
    """A buyer of AI capacity (Microsoft, Google via Fluidstack, AWS, CoreWeave in the seed).

    Attributes:
        idx: dense index among hyperscalers.
        name: label.
        demand_share: its share of the addressable AI demand.
        pipeline: greenfield campuses requested and not yet live.
    """

    def __init__(self, model: HashpivotModel, idx: int, name: str, demand_share: float):
        super().__init__(model)
        self.idx = idx
        self.name = name
        self.demand_share = demand_share
        self.pipeline: list[PipelineEntry] = []
        self.planned_day = 0  # the live date its last greenfield plan aimed at (``plan_greenfield``)
        self.demand_factor = 1.0  # demand's response to the cost of capacity (``respond_to_cost``)
        self._reference_cost_usd_per_mw_year: float | None = None

    # --- demand -----------------------------------------------------------------------------------------------
    def demand_mw(self, day: int) -> float:
        """Addressable AI MW it needs by ``day``, beyond what existed at the start."""
        ai = self.model.config.ai
        years = day / 365.0
        spend = ai.spend_2024_usd * ((1.0 + ai.spend_growth_per_year) ** years - 1.0)
        return ai.addressable_share * spend / ai.usd_per_mw_year * self.demand_share * self.demand_factor

    def respond_to_cost(self) -> None:
        """Scale its demand by the cost of capacity now against the first day's, at ``ai.demand_price_elasticity``.

        The cost is its marginal route's: a greenfield campus MW where it would build now (capex and GPUs
        annuitised, the power there, the queue's delay; ``greenfield_cost_usd_per_mw_year``), so congested
        queues and prices raised by load feed back into how much it wants. Updated once a procurement round,
        before it plans; with the default elasticity 0 the scenario's demand path is taken as given.
        """
        elasticity = self.model.config.ai.demand_price_elasticity
        if elasticity == 0.0:
            return
        cost = self.greenfield_cost_usd_per_mw_year()
        if self._reference_cost_usd_per_mw_year is None:
            self._reference_cost_usd_per_mw_year = cost
        self.demand_factor = float((cost / self._reference_cost_usd_per_mw_year) ** elasticity)

    def greenfield_cost_usd_per_mw_year(self) -> float:
        """What a greenfield MW costs it a year where it would build now: capital, power and delay, USD/MW-yr."""
        m, ai = self.model, self.model.config.ai
        region, wait = self.best_greenfield(GREENFIELD_BLOCK_MW)
        crf = float(finance.crf(ai.rate_hyperscaler, ai.colocation.term_years))
        capital = self.own_capex_usd_per_mw(ContractKind.GPU_CLOUD) * crf  # a campus with its own GPUs
        power = HOURS_PER_YEAR * float(m.grid.expected_firm_price_usd_per_mwh()[region])
        delay = wait / 365.0 * ai.value_of_time_usd_per_mw_year * crf
        return capital + power + delay

    def committed_mw(self, by_day: int | None = None) -> float:
        """MW it has secured: signed leases, sites it owns or has bought, live campuses, greenfield in the pipeline.

        Greenfield in the pipeline (queued or building) counts only if expected to be live by ``by_day`` (all of
        it when ``by_day`` is None). The same MW as its ledger's stages (model/world/ai_ledger.py): a campus
        counts in the pipeline until it goes live, then as a live campus.

        Capacity is planned by delivery date: a campus still in the interconnection queue does not meet next
        year's demand, so near-term needs keep going to RFPs while the queue serves the long run.
        """
        m, s = self.model, self.model.sites
        leased = m.leases.mw_for_hyperscaler(self.unique_id, m.day)
        owned = s.owned_by(Owner.HYPERSCALER, self.idx)
        campus = s.greenfield[owned]
        bought = owned[~campus]
        own = float(s.converting_mw[bought].sum() + s.ai_mw[bought].sum())
        live_campus = float(s.ai_mw[owned[campus]].sum())
        greenfield = sum(p.mw for p in self.pipeline if by_day is None or p.ready_day <= by_day)
        return leased + own + live_campus + greenfield + m.site_market.convertible_mw_bought_by(self.unique_id)

    # --- procurement ------------------------------------------------------------------------------------------
    def procure(self) -> None:
        """Issue an RFP for the capacity gap a build-time ahead; sign what beats greenfield; build the rest."""
        self.respond_to_cost()
        gap = self.near_gap_mw()
        if gap >= self.model.config.ai.min_block_mw:
            self.issue_rfp(gap)
        self.plan_greenfield()

    def near_gap_mw(self) -> float:
        """Demand a conversion build-time ahead less what it has secured by then: what leasing must fill."""
        near_day = self.model.day + self.model.config.ai.colocation.build_days
        return self.demand_mw(near_day) - self.committed_mw(by_day=near_day)

    def issue_rfp(self, gap: float) -> None:
        """Run one RFP round for ``gap`` MW: collect bids, score, bargain, sign."""
        m, ai = self.model, self.model.config.ai
        kind = (
            ContractKind.GPU_CLOUD if m.choice_rng.random() < self.gpu_cloud_probability() else ContractKind.COLOCATION
        )
        rfp = RFP(m.new_id("rfp"), self.unique_id, kind, float(gap), ai.min_block_mw, m.day)
        bids = [b for miner in m.miners for b in miner.bid(rfp)]
        rate = m.config.finance.contract_rate(kind)
        awards = clear_rfp(
            rfp,
            bids,
            lambda b: self.reservation_rent(b, kind),
            ai.negotiation,
            rate,
            self.impatience_rate(kind),
            ai.bargaining_power_base,
        )
        for award in awards:
            m.lease_market.sign(award, rfp, self)
        m.lease_market.observe_rfp(sum(b.mw for b in bids), sum(a.bid.mw for a in awards))

    def gpu_cloud_probability(self) -> float:
        """The chance its next RFP asks for GPU cloud: a logit choice on the two routes' costs (contract_choice.py)."""
        sc = self.model.config
        ai, fin = sc.ai, sc.finance
        costs = route_costs(ai.colocation, ai.gpu_cloud, fin.rate_contracted, fin.rate_gpu_cloud, ai.rate_hyperscaler)
        scale = _reference_logit_scale(ai.gpu_cloud_share)
        return gpu_cloud_probability(costs.gpu_cloud_premium_usd_per_mw_year, scale, ai.gpu_cloud_share)

    def plan_greenfield(self) -> None:
        """Keep a greenfield pipeline for demand beyond what leasing can deliver in time.

        The target is demand at the date a campus requested today would go live (capped by the planning
        horizon), less everything already secured.
        """
        self.planned_day = self.planning_day()
        gap = self.demand_mw(self.planned_day) - self.committed_mw()
        if gap >= self.model.config.ai.min_block_mw:
            self.go_greenfield(gap)
        elif -gap > self.model.config.ai.min_block_mw:
            self.withdraw_greenfield(-gap)

    def withdraw_greenfield(self, surplus_mw: float) -> None:
        """Withdraw queued campuses it no longer needs, the latest requested first, up to ``surplus_mw``.

        Leases signed for a near-term gap while campuses wait in the queue, or a shorter wait that brings its
        planning date (and so the demand it plans for) forward, leave more secured than planned. Campuses
        already admitted are being built and stay.
        """
        m = self.model
        left = surplus_mw
        for p in reversed(self.pipeline):
            if left <= 1e-9:
                break
            if p.approved:
                continue
            cut = m.grid.operators[p.region].queue.withdraw(p.request_id, left)
            p.mw -= cut
            left -= cut
        self.pipeline = [p for p in self.pipeline if p.mw > 1e-9]
        if surplus_mw - left > 0:
            m.log_event(self, "withdraw", f"{surplus_mw - left:.0f} MW of queued greenfield withdrawn")

    def planning_day(self) -> int:
        """The day a campus requested today would go live (capped by the planning horizon): what it plans for."""
        m, ai = self.model, self.model.config.ai
        _, wait = self.best_greenfield(GREENFIELD_BLOCK_MW)
        return m.day + min(int(wait) + ai.greenfield_build_days, ai.planning_horizon_days)

    def impatience_rate(self, kind: ContractKind) -> float:
        """Annual discount rate plus the share of value it loses per year of delay (Rubinstein's patience)."""
        ai = self.model.config.ai
        price = (
            ai.reference_gpu_price_usd_per_kw_month
            if kind == ContractKind.GPU_CLOUD
            else ai.reference_rent_usd_per_kw_month
        )
        return ai.rate_hyperscaler + ai.value_of_time_usd_per_mw_year / (price * 12_000.0)

    def best_greenfield(self, mw: float) -> tuple[int, float]:
        """The region where a campus MW is worth most to it (model/markets/siting.py), and the wait there."""
        m, ai = self.model, self.model.config.ai
        access = m.regions.column("hyperscaler_access")
        waits = m.grid.expected_waits_days(mw, firm=True)
        values = campus_values_usd_per_mw_year(
            ai.usd_per_mw_year,
            self.region_preference(),
            m.grid.expected_firm_price_usd_per_mwh(),
            waits,
            ai.value_of_time_usd_per_mw_year,
            ai.rate_hyperscaler,
            ai.colocation.term_years,
        )
        r = best_campus_region(values, access)
        return r, float(waits[r])

    def quote_rent_usd_per_kw_month(self, kind: ContractKind) -> float | None:
        """What it would pay now for a standard block, or None if it has no gap to fill a build-time ahead.

        The reservation rent for ``min_block_mw`` at a site with full access, firm and with a sound landlord,
        ready after the conversion build: the going rent when no contract has been signed for a year
        (``LeaseMarket``). With no gap it would sign nothing at any rent, so it quotes nothing.
        """
        ai = self.model.config.ai
        if self.near_gap_mw() < ai.min_block_mw:
            return None
        return self._reservation_rent(kind, ai.min_block_mw, ai.terms(kind).build_days, preference=1.0)

    def reservation_rent(self, bid, kind: ContractKind) -> float:
        """Its most acceptable rent at ``bid``'s site: greenfield cost and saved queue time, times preference.

        Preference combines region (non-US sites discounted by ``us_preference`` times missing access,
        SF-8), firmness (large-load rules, unless mining on site can be shed) and counterparty credit
        (leverage of the landlord).
        """
        preference = self.site_preference(bid.site, bid.mw, bid.keeps_flexible_load, bid.miner)
        return self._reservation_rent(kind, bid.mw, bid.ready_day - self.model.day, preference)

    def renewal_offer(self, lease) -> RenewalOffer | None:
        """At ``lease``'s term end: the MW it still needs there and the most it would pay (renewal.py).

        It needs the MW if its demand a conversion build-time ahead still exceeds what it has secured without
        them; the site is live, so renewing saves the whole greenfield wait and build.
        """
        m, ai = self.model, self.model.config.ai
        mw = min(lease.mw, self.near_gap_mw())
        if mw < ai.min_block_mw:
            return None
        s = m.sites
        keeps_flexible = bool(s.machine_mw[lease.site] > 0.25 * mw)
        preference = self.site_preference(lease.site, mw, keeps_flexible, lease.miner)
        return RenewalOffer(float(mw), self._reservation_rent(lease.kind, mw, 0.0, preference))

    def site_preference(self, site: int, mw: float, keeps_flexible_load: bool, miner_uid: int) -> float:
        """Region (non-US discounted by missing access, SF-8) x firmness x the landlord's credit, in [0, 1]."""
        m = self.model
        region = m.sites.region[site]
        firm = 1.0 - m.grid.operators[region].firmness_discount(mw, keeps_flexible_load)
        return self.region_preference()[region] * firm * self.counterparty_factor(miner_uid)

    def region_preference(self) -> np.ndarray:
        """Each region's preference factor: non-US regions discounted by ``us_preference`` x missing access (SF-8)."""
        access = self.model.regions.column("hyperscaler_access")
        return 1.0 - self.model.config.ai.us_preference * (1.0 - access)

    def own_capex_usd_per_mw(self, kind: ContractKind) -> float:
        """What building a MW itself costs: a greenfield campus plus the kind's equipment, net of residual."""
        ai = self.model.config.ai
        return ai.greenfield_capex_usd_per_mw + effective_capex_usd_per_mw(
            ai.terms(kind), ai.rate_hyperscaler, conversion=False
        )

    def _reservation_rent(self, kind: ContractKind, mw: float, ready_in_days: float, preference: float) -> float:
        """Greenfield cost plus the value of the queue and build time a site ready in ``ready_in_days`` saves."""
        ai = self.model.config.ai
        terms = ai.terms(kind)
        _, wait = self.best_greenfield(mw)
        days_saved = min(wait + ai.greenfield_build_days, ai.planning_horizon_days) - ready_in_days
        return hyperscaler_reservation_rent(
            self.own_capex_usd_per_mw(kind),
            ai.rate_hyperscaler,
            terms.term_years,
            terms.margin,
            days_saved,
            ai.value_of_time_usd_per_mw_year,
            preference,
        )

    def go_greenfield(self, mw: float) -> None:
        """Ask the grid for firm service for new campuses in its preferred region, in 100 MW phases."""
        m = self.model
        remaining = mw
        # A 10-year baseline asks for ~11 phases a round at most; extreme demand (fast AI growth over decades)
        # would otherwise loop over billions of 100 MW phases.
        phase = max(GREENFIELD_BLOCK_MW, mw / MAX_GREENFIELD_PHASES)
        while remaining >= m.config.ai.min_block_mw:
            block = min(phase, remaining)
            region, wait = self.best_greenfield(block)
            req = m.grid.operators[region].request(self.unique_id, -1, block, firm=True, purpose=Purpose.GREENFIELD)
            ready = m.day + int(wait) + m.config.ai.greenfield_build_days
            self.pipeline.append(PipelineEntry(request_id=req.id, mw=block, ready_day=ready, region=region))
            remaining -= block

    def on_greenfield_approved(self, request_id: int, ready_day: int) -> None:
        """The grid admitted a campus: its expected live date is now the build's end."""
        for p in self.pipeline:
            if p.request_id == request_id:
                p.ready_day = ready_day
                p.approved = True

    def on_greenfield_live(self, request_id: int) -> None:
        """A campus is live: it leaves the pipeline (its MW now count as owned AI capacity)."""
        self.pipeline = [p for p in self.pipeline if p.request_id != request_id]

    # --- site market ----------------------------------------------------------------------------------------
    def value_site(self, site: int) -> SiteBid | None:
        """Value an energised site by the rent and queue time its convertible MW save over greenfield."""
        m, ai = self.model, self.model.config.ai
        s = m.sites
        conv = float(s.convertible_mw[site])
        gap = self.demand_mw(m.day + ai.colocation.build_days) - self.committed_mw()
        if conv < ai.min_block_mw or gap < ai.min_block_mw:
            return None
        return SiteBid(self.unique_id, self.site_value_usd(site))

    def site_value_usd(self, site: int) -> float:
        """What an energised site's convertible MW are worth to it over building greenfield."""
        m = self.model
        ai, s = m.config.ai, m.sites
        mw = float(s.convertible_mw[site])
        probe = Bid(-1, -1, site, mw, 0.0, m.day + ai.colocation.build_days, False)
        r_h = self.reservation_rent(probe, ContractKind.COLOCATION)
        own = (
            finance.usd_per_mw_to_usd_per_kw_month(
                ai.colocation.conversion_capex_usd_per_mw * s.capex_multiplier[site],
                ai.rate_hyperscaler,
                ai.colocation.term_years,
            )
            / ai.colocation.margin
        )
        saving = max(float(r_h - own), 0.0) * 12_000.0 * mw
        return float(finance.annuity_pv(saving, ai.rate_hyperscaler, ai.colocation.term_years))

    def owns_site(self, site: int) -> bool:
        """True if it holds the site."""
        s = self.model.sites
        return s.owner_kind[site] == Owner.HYPERSCALER and s.owner[site] == self.idx

    # --- counterparties -------------------------------------------------------------------------------------
    def counterparty_factor(self, miner_uid: int) -> float:
        """Its discount for a landlord's credit risk: up to 20% for debt of 1 M$ per MW or more."""
        if miner_uid < 0:  # a probe valuation, no landlord yet
            return 1.0
        m = self.model
        miner = m.agent_by_uid(miner_uid)
        mw = max(float(m.sites.capacity_mw[miner.sites].sum()), 1.0)
        leverage = m.accounts.debt_usd[miner.idx] / (mw * 1e6)
        return 1.0 - 0.2 * min(1.0, leverage)


@functools.cache
def _reference_logit_scale(reference_share: float) -> float:
    """The logit scale that gives ``reference_share`` at the default terms and rates (the 2024-25 deals).

    The share was observed at those terms, so the scale is fixed there; a scenario's own terms then move the
    cost gap, and with it the share, instead of re-fitting the scale to them.
    """
    from hashpivot.model.config.schema import AiMarketSection, FinanceSection  # the defaults, not the scenario

    ai, fin = AiMarketSection(), FinanceSection()
    costs = route_costs(ai.colocation, ai.gpu_cloud, fin.rate_contracted, fin.rate_gpu_cloud, ai.rate_hyperscaler)
    return logit_scale_usd_per_mw_year(costs.gpu_cloud_premium_usd_per_mw_year, reference_share)
