"""Entry: new mining capacity where it pays -- entrant firms, and incumbents' new sites -- through the grid.

economics.md ("Free entry"): mining is open to anyone with power and machines, so capacity grows until the
marginal entrant's NPV is about zero. Each ``entry.interval_days`` a pool of developers values a new site in
every region: the newest machines at the region's power prices, demand-response payments and regulatory risk,
at a hurdle rate above incumbents' (``entry.hurdle_premium``), less machine and build capex, discounted over
the expected wait for flexible service in the region's interconnection queue and the build. Where that NPV
is positive it files requests for sites (``Purpose.MINING``, flexible service), best regions first, within a
capital-market limit on the capex it can raise in a year (``entry.capital_share_of_revenue`` of what mining
earned; calibration.md: miners raised 2.7 B$ in 2023 and 12.3 B$ in 2024). A site approved by the grid
becomes a new Miner agent with the equity to build and equip it; an incumbent that asked for a site
(``request_site``) gets the site itself. Entrants also bid in site auctions (model/markets/site_market.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hashpivot.model.world.interconnection import Purpose, Request
from hashpivot.model.world.liquidity import DAYS_PER_MONTH, reserve_usd
from hashpivot.model.world.sites import Cooling, Owner
from hashpivot.model.world.valuation import product_margin_groups

if TYPE_CHECKING:
    from hashpivot.model.simulation import HashpivotModel

DEVELOPERS = -2  # requester id of the developer pool (no agent yet: the entrant is created on approval)
SITE_POWER_ADDER_USD_PER_MWH = 5.0  # a new site's delivery cost over the regional price (as released parcels)
ENTRANT_ARCHETYPE = "entrant"
CAPITAL_TRANCHE_DAYS = 30  # new-capacity capital arrives monthly (``Entry.capital_left_usd``)


@dataclass(frozen=True)
class SiteRequest:
    """A new mining site waiting in a queue: for the developer pool or an incumbent (unique_id)."""

    request_id: int
    requester: int
    region: int
    mw: float
    capex_usd: float
    day: int


class Entry:
    """New mining sites and entrant firms (``model.entry``)."""

    def __init__(self, model: HashpivotModel):
        self.model = model
        self.pending: dict[int, SiteRequest] = {}  # by request id
        self.committed: list[tuple[int, float]] = []  # (day, capex USD) raised for new capacity
        self.entered_total = 0
        self.mw_entered_total = 0.0

    # --- valuation --------------------------------------------------------------------------------------------
    def site_npv_per_mw(self, owner_row: int, rate_extra: float) -> np.ndarray:
        """NPV per MW of a new site in every region, to ``owner_row``'s beliefs, net of capex, after the wait."""
        m = self.model
        regions = np.arange(len(m.regions.ids))
        gen = m.technology.newest(m.date)
        adders = np.full(regions.size, SITE_POWER_ADDER_USD_PER_MWH)
        life = m.config.mining.machine_life_years
        npv = m.valuations.npv_in_regions(regions, adders, gen.j_per_th, owner_row, life, rate_extra)
        capex = m.technology.cost_usd_per_mw(gen.j_per_th) + m.config.mining.build_capex_usd_per_mw
        waits = m.grid.expected_waits_days(m.config.entry.site_mw, firm=False)
        rate = m.beliefs.rate_mining[owner_row] + m.regions.column("regulatory_risk_premium") + rate_extra
        delay_years = (waits + m.config.mining.delivery_days) / 365.0
        return (npv - capex) / (1.0 + rate) ** delay_years

    def site_value_usd(self, site: int) -> float:
        """What an energised site is worth to mining entrants (``site_mining_value_usd`` at their hurdle).

        0 where mining is banned or the capital market has nothing left for new capacity this year.
        """
        m = self.model
        if not m.config.entry.enabled or not m.grid.mining_allowed(site):
            return 0.0
        if self.equip_capex_usd(site) > self.capital_left_usd():
            return 0.0
        return max(self.site_mining_value_usd(site, m.beliefs.n_firms, m.config.entry.hurdle_premium), 0.0)

    def site_mining_value_usd(self, site: int, owner_row: int, rate_extra: float = 0.0) -> float:
        """What a site is worth for mining to ``owner_row``'s beliefs: a going concern plus new machines.

        Machines installed there pass to a mining buyer at their second-hand price (``_transfer``), so they
        count at their NPV to the buyer (remaining life, the site's power) less that price: a site whose
        machines still earn is worth more to a miner than to a land developer, and it is not sold off the
        network (before, a buyer valued every MW with new machines, so an exiting firm's running fleet went
        to developers and left the network at once: -27% hashrate in a day, seed 2, 2028-04-02). Its other
        MW are valued with the newest machines net of their price, and unbuilt MW net of the build.
        """
        return float(self.site_mining_values_usd(site, np.array([owner_row]), rate_extra)[0])

    def site_mining_values_usd(self, site: int, owner_rows: np.ndarray, rate_extra: float = 0.0) -> np.ndarray:
        """``site_mining_value_usd`` to each of ``owner_rows`` (an auction's bidders), in one vectorised valuation."""
        m = self.model
        s, f = m.sites, m.fleet
        gen, life_new = m.technology.newest(m.date), m.config.mining.machine_life_years
        region, adder = s.region[site], s.power_adder_usd_per_mwh[site]
        rows = f.installed_at(site, m.day)
        life = np.maximum(life_new - f.age_years(rows, m.day), 0.5)
        # One call per bidder for new machines (one MW each) and one for the installed batches, joined: the
        # new machines' calls first, then the batches' (``Valuations.npv_in_regions_joined``).
        k, n = owner_rows.size, rows.size
        calls = (
            np.full(k + k * n, region),
            np.full(k + k * n, adder),
            np.concatenate([np.full(k, gen.j_per_th), np.tile(f.j_per_th[rows], k)]),
            np.concatenate([owner_rows, np.repeat(owner_rows, n)]),
            np.concatenate([np.full(k, life_new), np.tile(life, k)]),
            np.full(k + k * n, rate_extra),
        )
        groups = product_margin_groups(k, f.j_per_th[rows], before=k)  # a site's batches of one J/TH share a margin
        npvs = m.valuations.npv_in_regions_joined(calls, [1] * k + [n] * k, margin_groups=groups)
        new_cost = m.technology.cost_usd_per_mw(gen.j_per_th)
        installed_mw, going = float(f.mw[rows].sum()), [0.0] * owner_rows.size
        if rows.size:
            rigs_usd = m.machine_market.installed_value_usd(site)
            going = [float((npv * f.mw[rows]).sum()) - rigs_usd for npv in npvs[owner_rows.size :]]
        free_mw = float(s.capacity_mw[site] - s.converting_mw[site] - s.ai_mw[site]) - installed_mw
        build_usd = m.config.mining.build_capex_usd_per_mw * float(s.unbuilt_mw[site])
        new_net = [float(npv[0]) - new_cost for npv in npvs[: owner_rows.size]]
        return np.array([g + net * free_mw - build_usd for g, net in zip(going, new_net, strict=True)])

    def equip_capex_usd(self, site: int) -> float:
        """Capex to take a site over and fill it (what an entrant must raise, beyond the site's price).

        The machines installed there at their second-hand price (they pass with the site), the newest
        machines on its other MW, and the build of its unbuilt MW.
        """
        m = self.model
        gen = m.technology.newest(m.date)
        s = m.sites
        free_mw = float(s.capacity_mw[site] - s.converting_mw[site] - s.ai_mw[site] - s.machine_mw[site])
        machines = m.technology.cost_usd_per_mw(gen.j_per_th) * max(free_mw, 0.0)
        rigs = m.machine_market.installed_value_usd(site)
        return rigs + machines + m.config.mining.build_capex_usd_per_mw * float(s.unbuilt_mw[site])

    def takeover_equity_usd(self, site: int) -> float:
        """Cash a buyer needs beyond the site's price.

        The installed machines (paid in cash at their second-hand price) and the equity and buffer for
        filling the rest (``entrant_equity_usd``).
        """
        rigs = self.model.machine_market.installed_value_usd(site)
        return rigs + self.entrant_equity_usd(self.equip_capex_usd(site) - rigs)

    def capital_left_usd(self) -> float:
        """Capex the capital market will still fund for new capacity: this month's tranche of the year's limit.

        The limit is ``entry.capital_share_of_revenue`` of the network's mining revenue over the last year
        (annualised while the run has less history): capital follows what mining earns. It is raised through
        the year, not at once (at-the-market equity programmes and converts are sold in tranches), so at most
        a twelfth of it in any ``CAPITAL_TRANCHE_DAYS``: when mining turns profitable everywhere at once, the
        year's capital does not all enter in one week. (With the fringe's energised land back on the market it
        did: +87% hashrate in a day, 60 days after one weekly auction, seed 0.)
        """
        m = self.model
        revenue = m.recorder.column("mining_revenue_usd")[-365:]
        annual = m.config.entry.capital_share_of_revenue * (float(revenue.mean()) * 365.0 if revenue.size else 0.0)
        used_year = sum(x for day, x in self.committed if m.day - day < 365)
        used_tranche = sum(x for day, x in self.committed if m.day - day < CAPITAL_TRANCHE_DAYS)
        tranche = annual * CAPITAL_TRANCHE_DAYS / 365.0
        return max(min(annual - used_year, tranche - used_tranche), 0.0)

    # --- requests ---------------------------------------------------------------------------------------------
    def run(self) -> None:
        """Every ``entry.interval_days``: developers file requests where a new site's NPV is positive."""
        m, e = self.model, self.model.config.entry
        if not e.enabled or m.day % e.interval_days:
            return
        npv = self.site_npv_per_mw(m.beliefs.n_firms, e.hurdle_premium)
        open_regions = [r for r in np.argsort(-npv) if npv[r] > 0 and not m.grid.operators[r].mining_banned]
        for r in open_regions:
            for _ in range(e.max_sites_per_round):
                if not self.request_site(DEVELOPERS, int(r), e.site_mw):
                    return

    def request_site(self, requester: int, region: int, mw: float) -> bool:
        """Ask region's grid for flexible service for a new mining site; False if capital is out."""
        m = self.model
        gen = m.technology.newest(m.date)
        capex = mw * (m.technology.cost_usd_per_mw(gen.j_per_th) + m.config.mining.build_capex_usd_per_mw)
        if not m.config.entry.enabled or capex > self.capital_left_usd():
            return False
        go = m.grid.operators[region]
        req = go.request(requester, -1, mw, firm=False, purpose=Purpose.MINING)
        self.pending[req.id] = SiteRequest(req.id, requester, region, mw, capex, m.day)
        self.committed.append((m.day, capex))
        return True

    def create_entrant(self, site_price_usd: float, capex_usd: float, commit: bool):
        """A new mining firm, funded with the site's price and the equity share of its build-out.

        The capital market funds ``1 - finance.loan_to_cost_mining`` of the capex as equity (the rest is
        ASIC-backed debt, drawn when machines are ordered), plus the liquidity buffer (``entrant_equity_usd``).
        """
        m = self.model
        equity = site_price_usd + self.entrant_equity_usd(capex_usd)
        miner = m.add_miner(ENTRANT_ARCHETYPE, j_per_th=m.technology.newest(m.date).j_per_th)
        m.accounts.post(miner.idx, "equity_raised", equity)
        if commit:
            self.committed.append((m.day, site_price_usd + capex_usd))
        self.entered_total += 1
        return miner

    def entrant_equity_usd(self, capex_usd: float) -> float:
        """Equity a new firm raises for ``capex_usd`` of build-out: the equity share and its liquidity buffer.

        The buffer (model/world/liquidity.py) covers the debt it will draw, through the machines' delivery
        (no revenue yet) and the reserve months after, and the running cost of the machines it buys.
        """
        m = self.model
        fin, mining = m.config.finance, m.config.mining
        debt = capex_usd * fin.loan_to_cost_mining
        machine_mw = capex_usd / (self._capex_per_mw())
        buffer = reserve_usd(machine_mw, debt, fin, mining, extra_months=mining.delivery_days / DAYS_PER_MONTH)
        return capex_usd * (1.0 - fin.loan_to_cost_mining) + buffer

    def _capex_per_mw(self) -> float:
        """Build and newest-machine capex per MW today."""
        m = self.model
        gen = m.technology.newest(m.date)
        return m.technology.cost_usd_per_mw(gen.j_per_th) + m.config.mining.build_capex_usd_per_mw

    def pending_mw(self) -> float:
        """MW of new mining sites waiting in queues."""
        return float(sum(x.mw for x in self.pending.values()))

    def pending_for(self, requester: int) -> float:
        """MW an incumbent has waiting in queues."""
        return float(sum(x.mw for x in self.pending.values() if x.requester == requester))

    # --- approvals --------------------------------------------------------------------------------------------
    def on_approved(self, req: Request) -> None:
        """The grid admitted a mining site: it is built for its incumbent, or a new firm enters with it."""
        m = self.model
        ask = self.pending.pop(req.id, None)
        if ask is None:
            return
        miner = None if ask.requester == DEVELOPERS else m.agent_by_uid(ask.requester)
        planned = miner is None or miner.strategy == "exit" or miner.status != "active"
        if planned:
            # A developer's project, or one whose incumbent has since left mining: its queue position is
            # sold with the project, and a new firm builds it. (An exited firm used to build the site itself,
            # borrowing after it had been wound down.)
            if self.site_npv_per_mw(m.beliefs.n_firms, m.config.entry.hurdle_premium)[ask.region] <= 0:
                # It no longer pays on the beliefs it was filed on: abandoned, the energised MW are offered
                # as a parcel to the site auction.
                m.site_market.offer_parcel(ask.region, ask.mw)
                return
            # Funded at today's machine prices (ASIC prices move while the request waits); the capital
            # limit was charged when it was requested.
            miner = self.create_entrant(0.0, ask.mw * self._capex_per_mw(), commit=False)
        conv = float(m.regions.column("convertible_share")[ask.region]) * ask.mw
        site = m.sites.add(
            region=ask.region,
            capacity_mw=ask.mw,
            owner_kind=Owner.MINER,
            owner=miner.idx,
            energised=True,
            power_adder_usd_per_mwh=m.site_power_adder(SITE_POWER_ADDER_USD_PER_MWH),
            cooling=Cooling.AIR,
            convertible_mw=conv,
            capex_multiplier=1.0,
        )
        self.mw_entered_total += ask.mw
        m.log_event(miner, "entry", f"new {ask.mw:.0f} MW mining site {site} in {m.regions.ids[ask.region]}")
        miner.equip_new_site(site, planned=planned)
