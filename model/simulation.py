"""HashpivotModel: the world, composed. One ``step()`` is one day.

Every random draw comes from the model's rng (``Model(rng=seed)``), split into independent streams for the
price path, the grid's hourly prices, the initial population, block arrivals and agents' choices. Streams make
two scenarios run with the same seed face the same price and weather shocks (common random numbers), so a
behavioural comparison measures the scenario difference, not noise.
"""

from __future__ import annotations

import datetime as dt

import mesa
import numpy as np
from mesa.agentset import AgentSet

from hashpivot.agents.grid_operator import GridOperator
from hashpivot.agents.hyperscaler import Hyperscaler
from hashpivot.agents.miner import Miner
from hashpivot.model.config.schema import Scenario
from hashpivot.model.markets.auction import AUCTIONS, SiteBid
from hashpivot.model.markets.leasing import Bid, ContractKind, Lease
from hashpivot.model.world import finance
from hashpivot.model.world.accounts import Accounts
from hashpivot.model.world.bitcoin import NetworkState
from hashpivot.model.world.fleet import Fleet, mine_day
from hashpivot.model.world.interconnection import Purpose
from hashpivot.model.world.leasebook import LeaseBook
from hashpivot.model.world.metrics import Recorder
from hashpivot.model.world.population import miner_specs, place_sites
from hashpivot.model.world.price import build_price_path
from hashpivot.model.world.recording import PANEL_INTERVAL_DAYS, agent_rows, daily_row
from hashpivot.model.world.regions import RegionTable, load_regions
from hashpivot.model.world.sites import Cooling, Owner, SiteBook
from hashpivot.model.world.valuation import PATH_YEARS, Valuations

HYPERSCALER_NAMES = ("Microsoft", "Google", "AWS", "CoreWeave", "Meta", "Oracle", "xAI", "OpenAI")
PRIOR_HASHRATE_GROWTH = 0.3  # per year, until the run has its own history (2023-24 growth ~ +50%/yr)
GROWTH_BOUNDS = (-0.3, 1.0)
AUCTION_INTERVAL_DAYS = 7
EMA_DAYS = 30.0
MIN_NETWORK_PH = 1.0  # floor of the network hashrate, PH/s: with no machines running the chain stays defined
LEASE_WIN_RATE_PRIOR = 0.5  # before any RFP has cleared, a bidder expects to win half of what it offers
LEASE_WIN_RATE_MEMORY = 0.3  # weight of the latest RFP round in the learned win rate

COLUMNS = (
    "day",
    "block_height",
    "btc_price_usd",
    "network_hashrate_ehs",
    "difficulty",
    "blocks",
    "subsidy_btc",
    "fees_btc_per_day",
    "hashprice_usd_per_ph_day",
    "mw_mining",
    "mw_curtailed",
    "mw_idle",
    "mw_converting",
    "mw_ai_leased",
    "mw_unbuilt",
    "mw_ai_greenfield",
    "miners_hold",
    "miners_hybrid",
    "miners_exit",
    "miners_converting",
    "btc_revenue_share",
    "mining_revenue_usd",
    "ai_revenue_usd",
    "dr_payments_usd",
    "revenue_usd_per_mw_day_ai",
    "revenue_usd_per_mw_day_mining",
    "valuation_usd_per_mw_ai_focused",
    "valuation_usd_per_mw_btc_focused",
    "market_cap_usd_per_mw_ai_focused",
    "market_cap_usd_per_mw_btc_focused",
    "hashrate_share_us",
    "hashrate_share_texas",
    "ai_mw_share_us",
    "ai_mw_share_texas",
    "hhi_hashrate_region",
    "hhi_ai_mw_region",
    "nakamoto_coefficient_region",
    "leases_signed_total",
    "lease_mw_signed_total",
    "lease_rent_usd_per_kw_month_mean",
    "gpu_cloud_price_usd_per_kw_month_mean",
    "queue_mw_pending",
    "queue_wait_days_firm_ercot",
    "miner_cash_usd_total",
    "miner_debt_usd_total",
    "miner_btc_total",
)


class HashpivotModel(mesa.Model):
    """Bitcoin miners, hyperscalers and grid operators, one day per step.

    Args:
        scenario: the scenario (defaults to the built-in baseline).
        seed: seed of the model's rng (passed to Mesa as ``rng``).
        check_invariants: assert the invariants (MW states, cash balance, hashrate) after every step.
    """

    def __init__(self, scenario: Scenario | None = None, seed: int | None = None, check_invariants: bool = False):
        super().__init__(rng=seed)
        self.config = sc = scenario if scenario is not None else Scenario()
        self.seed = seed
        self.check_invariants = check_invariants
        self.day = 0
        self._ids = {"request": 0, "rfp": 0, "lease": 0}
        price_ss, grid_ss, pop_ss, net_ss, choice_ss = self.rng.bit_generator.seed_seq.spawn(5)
        self._price_seed = price_ss
        self._grid_rng = np.random.default_rng(grid_ss)
        self._net_rng = np.random.default_rng(net_ss) if sc.run.stochastic_blocks else None
        self.choice_rng = np.random.default_rng(choice_ss)
        self._prices = self._price_path(sc.run.days)

        self.region_set = load_regions(None if not sc.grid.regions_file else sc.grid.regions_file)
        self.regions = RegionTable.from_regions(self.region_set)
        self.sites, self.fleet = SiteBook(), Fleet()
        self.grid_operators_by_region = [
            GridOperator(self, i, self.region_set[rid], sc.grid) for i, rid in enumerate(self.regions.ids)
        ]
        self._build_miners(np.random.default_rng(pop_ss))
        self.hyperscalers_list = [
            Hyperscaler(self, i, HYPERSCALER_NAMES[i % len(HYPERSCALER_NAMES)], 1.0 / sc.ai.hyperscalers)
            for i in range(sc.ai.hyperscalers)
        ]
        self.leases = LeaseBook(len(self.miners_list), {m.unique_id: m.idx for m in self.miners_list})
        self._conversions: dict[int, dict] = {}  # lease id -> {"built_day", "approved"}
        self._own_builds: list[dict] = []  # hyperscalers' own conversions and greenfield builds
        # Conversion capex schedules, rows: miner idx, USD/day, first day, end day (exclusive), debt share.
        self._capex_plan = np.zeros((0, 5))
        self.events: list[dict] = []
        self.price_multiplier = np.ones(len(self.regions.ids))  # power-price shocks in force
        self.sales: list[dict] = []
        self.agent_panel: list[dict] = []
        self.ev_usd = np.zeros(len(self.miners_list))
        self.lease_win_rate = LEASE_WIN_RATE_PRIOR  # awarded / bid MW, learned from RFP rounds
        self.panel_revenue = np.zeros((len(self.miners_list), 3))  # mining, AI, DR revenue since last snapshot

        a = sc.run
        self.network = NetworkState.from_anchor(a.anchor_height, a.anchor_bits, a.anchor_time_utc.timestamp())
        self.btc_price_usd = float(self._prices[0])
        self.hashprice_observed = self._initial_hashprice()
        self.recorder = Recorder(COLUMNS, sc.run.days)
        self.today: dict = {}
        self._hp_cache: tuple[int, np.ndarray] | None = None
        self.valuations = Valuations(self)
        self._committed_cache: tuple = (None, None)
        self._machine_cache: tuple = (None, None)
        self.sites.machine_mw[: self.sites.n] = self.fleet.mw_by_site(self.sites.n, 0)

    # ---------------------------------------------------------------------------------------------------------
    # construction
    def _price_path(self, n_days: int) -> np.ndarray:
        p = self.config.price
        params = {
            "constant": {"price_usd": p.start_usd},
            "gbm": {
                "start_usd": p.start_usd,
                "drift_per_year": p.drift_per_year,
                "volatility_per_year": p.volatility_per_year,
            },
            "csv": {"path": p.csv_path},
            "csv_gbm": {
                "path": p.csv_path,
                "drift_per_year": p.drift_per_year,
                "volatility_per_year": p.volatility_per_year,
            },
        }[p.kind]
        path = build_price_path(p.kind, **params)
        # A fresh generator from the same seed each time: a longer horizon extends the same path.
        return path.daily_prices_usd(
            np.random.default_rng(self._price_seed), self.config.run.start_date, max(n_days, 1)
        )

    def _build_miners(self, rng: np.random.Generator) -> None:
        specs = miner_specs(self.config, self.regions, rng)
        self.accounts = Accounts(len(specs))
        self.miners_list: list[Miner] = []
        interval = self.config.run.decision_interval_days
        for idx, spec in enumerate(specs):
            miner = Miner(
                self, idx, spec.archetype, spec.strategy, spec.hodl_share, (idx * 7) % interval, listed=spec.listed
            )
            mw = np.array([s["machine_mw"] for s in spec.sites])
            j_per_th = [s["j_per_th"] for s in spec.sites]
            # An archetype may start with 0 MW (``mw = 0``): no weights, so a plain mean.
            miner.initial_j_per_th = float(np.average(j_per_th, weights=mw if mw.sum() > 0 else None))
            place_sites(spec, idx, self.sites, self.fleet)
            self.accounts.cash_usd[idx], self.accounts.debt_usd[idx] = spec.cash_usd, spec.debt_usd
            self.accounts.btc[idx] = spec.btc
            self.miners_list.append(miner)
        self.hodl_share = np.array([m.hodl_share for m in self.miners_list])
        self.listed = np.array([m.listed for m in self.miners_list], dtype=bool)

    def _initial_hashprice(self) -> float:
        """Hashprice at the anchor with the initial fleet at full load (what miners observe on day 0)."""
        # The same 1 PH/s floor as ``mine_and_settle``: a world may start with no machines at all.
        ehs = max(float(self.fleet.th_s().sum()) / 1e6, MIN_NETWORK_PH / 1_000.0)
        reward = 144 * (self.network_subsidy_btc() + self.config.bitcoin.fees_btc_per_block)
        return reward * self.btc_price_usd / (ehs * 1_000.0)

    def network_subsidy_btc(self) -> float:
        """Subsidy of the next block."""
        from hashpivot.model.world.bitcoin import block_subsidy_sats

        return block_subsidy_sats(self.network.height + 1) / 1e8

    # ---------------------------------------------------------------------------------------------------------
    # the day
    @property
    def date(self) -> dt.date:
        """Calendar date of the day being (or next to be) simulated."""
        return self.config.run.start_date + dt.timedelta(days=self.day)

    def step(self) -> None:
        """One day: prices are set, fleets run, books settle, the grid works, agents decide, markets clear."""
        self.accounts.open_day()
        self.apply_shocks()
        self.btc_price_usd = self._price_on(self.day)
        prices, called = self.set_power_prices()
        self.mine_and_settle(prices, called)
        for go in self.grid_operators_by_region:
            go.operate()
        self.advance_construction()
        self.miners_decide()
        self.hyperscalers_procure()
        self.run_site_auctions()
        self.record()
        if self.check_invariants:
            self.check()
        self.day += 1

    def apply_shocks(self) -> None:
        """Exogenous events of the scenario that start or end today (agents respond at their decision points).

        The power-price multipliers are recomputed from the shocks in force rather than divided out when a
        shock ends, so a multiplier of 0 (allowed) ends too, and an ended shock leaves exactly 1.0 behind.
        """
        multiplier = np.ones(len(self.regions.ids))
        for shock in self.config.shocks:
            start = (shock.date - self.config.run.start_date).days
            regions = [self.regions.index[r] for r in shock.regions]
            if shock.kind == "ban" and start == self.day:
                for r in regions:
                    self.grid_operators_by_region[r].ban_mining()
            elif shock.kind == "power_price":
                end = start + shock.duration_days if shock.duration_days else None
                if start <= self.day and (end is None or self.day < end):
                    multiplier[regions] *= shock.power_price_multiplier
        self.price_multiplier = multiplier

    def _price_on(self, day: int) -> float:
        if day >= self._prices.size:
            self._prices = self._price_path(2 * day + 1)
        return float(self._prices[day])

    def set_power_prices(self) -> tuple[np.ndarray, np.ndarray]:
        """Grid operators draw the day's hourly prices for every region (vectorised over regions)."""
        t, g = self.regions, self.config.grid
        scarcity = np.minimum(t.column("scarcity_hours_per_year") * g.scarcity_scale / 8_760.0, 1.0)
        mean = t.column("price_mean_usd_per_mwh") * g.price_scale * self.price_multiplier
        return GridOperator.hourly_prices(
            self._grid_rng, mean, t.column("price_sigma_log"), scarcity, t.column("scarcity_price_usd_per_mwh")
        )

    def mine_and_settle(self, prices: np.ndarray, called: np.ndarray) -> None:
        """Run the fleet hour by hour, advance the chain, share its revenue by hashrate, and book every flow."""
        sc, f, s, acc = self.config, self.fleet, self.sites, self.accounts
        live = np.flatnonzero(f.live(self.day))
        site = f.site[live]
        region = s.region[site]
        dr_event = self.regions.column("dr_event_usd_per_mwh")[region] * sc.grid.dr_scale
        md = mine_day(
            f.mw[live],
            f.j_per_th[live],
            prices[region] + s.power_adder_usd_per_mwh[site][:, None],
            called[region],
            dr_event,
            self.hashprice_observed,
            idx=live,
        )
        network_ph = max(float(md.hashrate_ph.sum()), MIN_NETWORK_PH)  # the floor keeps the chain defined
        res = self.network.advance_day(
            network_ph / 1_000.0, self.btc_price_usd, sc.bitcoin.fees_btc_per_block, rng=self._net_rng
        )
        share = md.hashrate_ph / network_ph
        n = len(self.miners_list)
        owner = f.owner[live]

        def per(w):
            return np.bincount(owner, weights=w, minlength=n)

        mined_usd, mined_btc = per(res.revenue_usd * share), per((res.subsidy_btc + res.fees_btc) * share)
        acc.btc += mined_btc * self.hodl_share
        acc.post_all("mining_revenue", mined_usd * (1.0 - self.hodl_share))
        acc.post_all("power", -per(md.power_cost_usd))
        opex = f.mw[live] * sc.mining.opex_usd_per_mw_day
        acc.post_all("opex", -per(opex))
        dr_cap = self.regions.column("dr_capacity_usd_per_mw_day")[region] * sc.grid.dr_scale
        dr = f.mw[live] * dr_cap + md.called_curtailed_mwh * (dr_event + self._power_credit_usd_per_mwh(region))
        acc.post_all("dr_payments", per(dr))
        lease = self.leases.daily_flows(self.day)
        acc.post_all("ai_revenue", lease["cash_in"])
        acc.post_all("opex", -lease["opex"])
        acc.post_all("penalties", -lease["penalty"])
        capex, draws = self._capex_today()
        acc.post_all("capex", -capex)
        acc.post_all("debt_drawn", draws)  # construction loan drawn as the capex is spent
        acc.debt_usd += draws
        acc.service_debt(sc.finance.debt_rate, sc.finance.debt_amortization_years)
        self._update_margins(live, res.revenue_usd * share - md.power_cost_usd - opex + dr)
        s.machine_mw[: s.n] = f.mw_by_site(s.n, self.day)
        s.curtailed_share[: s.n] = 0.0
        capable = np.bincount(site, weights=f.mw[live] * 24.0, minlength=s.n)
        ran = np.bincount(site, weights=md.energy_mwh, minlength=s.n)
        s.curtailed_share[: s.n] = np.where(capable > 0, 1.0 - ran / np.maximum(capable, 1e-12), 0.0)
        self.hashprice_observed = res.hashprice_usd_per_ph_day
        self.today = {
            "res": res,
            "network_ph": network_ph,
            "mined_usd": mined_usd,
            "dr": per(dr),
            "ai_revenue": lease["revenue"],
            "ai_mw_active": lease["mw_active"],
            "hashrate_ph_by_region": np.bincount(region, weights=md.hashrate_ph, minlength=len(self.regions.ids)),
        }

    def _power_credit_usd_per_mwh(self, region: np.ndarray) -> np.ndarray:
        """Power credits per MWh curtailed in a called hour.

        The hedged share of the load, bought forward at about the region's mean price, is sold back at the
        scarcity price.
        """
        t, g = self.regions, self.config.grid
        spread = t.column("scarcity_price_usd_per_mwh") - t.column("price_mean_usd_per_mwh") * g.price_scale
        return self.config.mining.ppa_hedge_share * np.maximum(spread, 0.0)[region]

    def _update_margins(self, live: np.ndarray, margin_usd: np.ndarray) -> None:
        f = self.fleet
        per_mw = margin_usd / np.maximum(f.mw[live], 1e-12)
        f.margin_ema_usd_per_mw_day[live] += (per_mw - f.margin_ema_usd_per_mw_day[live]) / EMA_DAYS

    def _capex_today(self) -> tuple[np.ndarray, np.ndarray]:
        """Per miner: conversion capex spent today, and the part a construction loan pays."""
        plan, n = self._capex_plan, len(self.miners_list)
        if plan.size == 0:
            return np.zeros(n), np.zeros(n)
        on = (plan[:, 2] <= self.day) & (self.day < plan[:, 3])
        who = plan[on, 0].astype(np.int64)
        spend = np.bincount(who, weights=plan[on, 1], minlength=n)
        return spend, np.bincount(who, weights=plan[on, 1] * plan[on, 4], minlength=n)

    def equity_committed_usd(self, idx: int) -> float:
        """Equity a miner still owes to conversions it has signed (capex to come, less the loan's share)."""
        plan = self._capex_plan
        if plan.size == 0:
            return 0.0
        key = (self.day, plan.shape[0])
        if self._committed_cache[0] != key:
            days_left = np.clip(plan[:, 3] - np.maximum(plan[:, 2], self.day), 0, None)
            owed = plan[:, 1] * days_left * (1.0 - plan[:, 4])
            self._committed_cache = (key, np.bincount(plan[:, 0].astype(np.int64), owed, len(self.miners_list)))
        return float(self._committed_cache[1][idx])

    def miner_machine_mw(self) -> np.ndarray:
        """Online machine MW per miner (recomputed when the day or the fleet changes)."""
        key = (self.day, self.fleet.n, self.sites.version)
        if self._machine_cache[0] != key:
            s, n = self.sites, self.sites.n
            mine = s.owner_kind[:n] == Owner.MINER
            mw = np.bincount(s.owner[:n][mine], s.machine_mw[:n][mine], len(self.miners_list))
            self._machine_cache = (key, mw)
        return self._machine_cache[1]

    def advance_construction(self) -> None:
        """Conversions start earning when built *and* approved; hyperscalers' own builds go live when built."""
        changed = False
        for lease in self.leases.leases:
            conv = self._conversions.get(lease.id)
            if lease.start_day < 0 and conv and conv["approved"] and self.day >= conv["built_day"]:
                self.sites.take_mw("converting_mw", lease.site, lease.mw)
                self.sites.ai_mw[lease.site] += lease.mw
                lease.start_day = self.day
                lease.end_day = self.day + int(round(lease.term_years * 365))
                changed = True
            elif lease.end_day == self.day:
                self.sites.take_mw("ai_mw", lease.site, lease.mw)  # back to idle, AI-ready: re-leasable without a shell
                self.sites.capex_multiplier[lease.site] = 0.1
                changed = True
        if changed:
            self.leases.changed()
        for build in [b for b in self._own_builds if b["done_day"] == self.day]:
            self.sites.take_mw("converting_mw", build["site"], build["mw"])
            self.sites.ai_mw[build["site"]] += build["mw"]
            if "request" in build:
                build["hyperscaler"].on_greenfield_live(build["request"])

    def miners_decide(self) -> None:
        """Miners whose decision day it is re-decide, in random order."""
        offset = self.day % self.config.run.decision_interval_days
        due = [m for m in self.miners_list if m.decision_offset == offset]
        if due:
            AgentSet(due, random=self.random).shuffle_do("decide")
            for m in due:
                self.ev_usd[m.idx] = self.miner_ev_usd(m)

    def hyperscalers_procure(self) -> None:
        """On procurement days hyperscalers run their RFP rounds, in random order."""
        if self.day % self.config.ai.rfp_interval_days == 0:
            AgentSet(self.hyperscalers_list, random=self.random).shuffle_do("procure")

    # ---------------------------------------------------------------------------------------------------------
    # expectations and valuations the agents use
    def hashrate_growth_expected(self) -> float:
        """Annual network hashrate growth miners extrapolate from the trailing window (adaptive expectations)."""
        window = int(self.config.mining.hashprice_memory_days)
        h = self.recorder.column("network_hashrate_ehs")
        if h.size <= window:
            return PRIOR_HASHRATE_GROWTH
        # In logs, so that a short window over a steep change cannot overflow before it is bounded.
        log_g = np.log(h[-1] / h[-1 - window]) * 365.0 / window
        return float(np.expm1(np.clip(log_g, *np.log1p(GROWTH_BOUNDS))))

    def hashprice_path(self) -> np.ndarray:
        """Expected hashprice at ``PATH_YEARS`` (cached per day)."""
        if self._hp_cache is None or self._hp_cache[0] != self.day:
            path = finance.expected_hashprice_path(
                self.hashprice_observed,
                self.hashrate_growth_expected(),
                self.network.tip,
                self.config.bitcoin.fees_btc_per_block,
                PATH_YEARS,
                self.config.finance.expected_btc_growth_per_year,
            )
            self._hp_cache = (self.day, path)
        return self._hp_cache[1]

    def mining_allowed(self, site: int) -> bool:
        """False where the region's operator has banned mining (a ``ban`` shock)."""
        return not self.grid_operators_by_region[self.sites.region[site]].mining_banned

    def newest_generation(self):
        """The most efficient ASIC generation on sale today."""
        gens = [g for g in self.config.mining.generations if g.available_from <= self.date]
        gens = gens or list(self.config.mining.generations[:1])
        return min(gens, key=lambda g: g.j_per_th)

    def market_rent_usd_per_kw_month(self, kind: ContractKind) -> float:
        """The going rent: mean of the last year's signed contracts of this kind, else the reference rent."""
        recent = [
            x.rent_usd_per_kw_month for x in self.leases.leases if x.kind == kind and self.day - x.sign_day <= 365
        ]
        if recent:
            return float(np.mean(recent))
        ai = self.config.ai
        return (
            ai.reference_gpu_price_usd_per_kw_month
            if kind == ContractKind.GPU_CLOUD
            else ai.reference_rent_usd_per_kw_month
        )

    def observe_rfp(self, bid_mw: float, awarded_mw: float) -> None:
        """Miners learn their chance of winning a lease from each round's fill ratio (market evidence)."""
        if bid_mw > 0:
            rate = min(1.0, awarded_mw / bid_mw)
            self.lease_win_rate += LEASE_WIN_RATE_MEMORY * (rate - self.lease_win_rate)

    def has_contracts(self, miner_uid: int) -> bool:
        """True if the miner has signed any AI contract that has not ended."""
        return any(x.miner == miner_uid and (x.end_day < 0 or x.end_day > self.day) for x in self.leases.leases)

    def counterparty_factor(self, miner_uid: int) -> float:
        """A tenant's discount for landlord credit risk: up to 20% for debt of 1 M$ per MW or more."""
        if miner_uid < 0:  # a probe valuation, no landlord yet
            return 1.0
        miner = self._miner_by_uid(miner_uid)
        mw = max(float(self.sites.capacity_mw[miner.sites].sum()), 1.0)
        leverage = self.accounts.debt_usd[miner.idx] / (mw * 1e6)
        return 1.0 - 0.2 * min(1.0, leverage)

    def _miner_by_uid(self, uid: int) -> Miner:
        if not hasattr(self, "_uid_map"):
            self._uid_map = {m.unique_id: m for m in self.miners_list}
        return self._uid_map[uid]

    def hyperscaler_site_value_usd(self, site: int, hs: Hyperscaler) -> float:
        """What an energised site's convertible MW are worth to a hyperscaler over building greenfield."""
        ai, s = self.config.ai, self.sites
        mw = float(s.convertible_mw[site])
        probe = Bid(-1, -1, site, mw, 0.0, self.day + ai.colocation.build_days, False)
        r_h = hs.reservation_rent(probe, ContractKind.COLOCATION)
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

    def developer_bid_usd(self, site: int) -> float:
        """The developer fringe's bid for a site.

        Powered-land value of its convertible MW where data-centre tenants go (scaled by the region's hyperscaler
        access; no developer buys where hyperscalers do not).
        """
        s = self.sites
        access = float(self.regions.column("hyperscaler_access")[s.region[site]])
        return self.config.grid.developer_bid_usd_per_mw * access * float(s.convertible_mw[site])

    def site_sale_estimate_usd(self, site: int) -> float:
        """What a site would fetch, judged from the market.

        The developers' reserve, plus the premium per convertible MW that hyperscalers paid for comparable sites
        in the region in the last year, weighted by how often they were the buyers.
        """
        s = self.sites
        floor = self.developer_bid_usd(site)
        conv = float(s.convertible_mw[site])
        region = self.regions.ids[s.region[site]]
        recent = [
            x for x in self.sales if x["region"] == region and self.day - x["day"] <= 365 and x["convertible_mw"] > 0
        ]
        to_ai = [x["price_usd"] / x["convertible_mw"] for x in recent if x["buyer_kind"] == "hyperscaler"]
        if not to_ai or not self.hyperscaler_appetite_mw() >= self.config.ai.min_block_mw:
            return floor
        # The premium counts only as often as hyperscalers actually won the region's recent auctions.
        chance = len(to_ai) / len(recent)
        return floor + chance * max(0.0, float(np.median(to_ai)) * conv - floor)

    def hyperscaler_appetite_mw(self) -> float:
        """Near-term MW hyperscalers still need (what they would buy sites for today)."""
        near = self.day + self.config.ai.colocation.build_days
        return float(sum(max(0.0, h.demand_mw(near) - h.committed_mw(by_day=near)) for h in self.hyperscalers_list))

    def miner_ev_usd(self, miner: Miner) -> float:
        """Enterprise value (metrics.py): what its cash flows are worth at risk-adjusted rates.

        * mining: its machines' NPV plus the discounted value of its sites when the machines are spent
          (``StrategyView.v_hold_usd``);
        * contracts: net rent still to come at the contracted rate, less conversion capex still to spend;
        * the pivot option: free convertible MW x chance of a tenant x NPV of a lease at the going rent.
        """
        view = miner.last_view
        v = view.v_hold_usd if view is not None else 0.0
        if view is not None and view.lease_npv_usd_per_mw > 0:
            v += view.convertible_mw * view.lease_access * view.lease_npv_usd_per_mw
        fin = self.config.finance
        for x in self.leases.for_miner(miner.unique_id):
            started = x.start_day >= 0
            rate = fin.rate_contracted + (0.0 if started else fin.construction_risk_premium)
            start = x.start_day if started else x.promised_day
            end = start + x.term_years * 365
            remaining = max(0.0, (end - max(start, self.day)) / 365.0)
            wait = max(0.0, (start - self.day) / 365.0)
            net = x.rent_usd_per_kw_month * 12_000.0 * x.mw * x.margin
            v += float(finance.annuity_pv(net, rate, remaining, x.escalator_per_year)) / (1 + rate) ** wait
        return v - self._capex_remaining(miner.idx)

    def _capex_remaining(self, idx: int) -> float:
        plan = self._capex_plan
        if plan.size == 0:
            return 0.0
        mine = plan[:, 0] == idx
        days_left = np.clip(plan[mine, 3] - np.maximum(plan[mine, 2], self.day), 0, None)
        return float((plan[mine, 1] * days_left).sum())

    # ---------------------------------------------------------------------------------------------------------
    # transactions
    def retire_batch(self, i: int, mw: float | None = None) -> None:
        """Take a batch (or ``mw`` of it) offline for good and sell the machines second-hand."""
        f, sc = self.fleet, self.config
        share = 1.0 if mw is None or f.mw[i] <= 0 else min(1.0, mw / float(f.mw[i]))
        age_years = max(0.0, (self.day - f.online_day[i]) / 365.0)
        left = max(0.0, 1.0 - age_years / sc.mining.machine_life_years)
        sold_cost = float(f.cost_usd[i]) * share
        self.accounts.post(int(f.owner[i]), "salvage", sold_cost * sc.mining.salvage_share * left)
        gone = float(f.mw[i]) * share
        self.sites.machine_mw[f.site[i]] -= gone if f.online_day[i] <= self.day else 0.0
        f.mw[i] -= gone
        f.cost_usd[i] -= sold_cost

    def _take_machine_mw(self, site: int, mw: float) -> None:
        """Free ``mw`` of a site's machine MW for conversion: shrink its batches pro rata, salvaging the rest."""
        f = self.fleet
        on = np.flatnonzero((f.site[: f.n] == site) & (f.mw[: f.n] > 0))
        total = float(f.mw[on].sum())
        if total <= 0 or mw <= 0:
            return
        keep = max(0.0, 1.0 - mw / total)
        sc = self.config
        for i in on:
            sold_share = 1.0 - keep
            self.accounts.post(int(f.owner[i]), "salvage", float(f.cost_usd[i]) * sold_share * sc.mining.salvage_share)
            f.cost_usd[i] *= keep
            f.mw[i] *= keep
        self.sites.machine_mw[site] = f.mw_by_site(self.sites.n, self.day)[site]

    def build_and_equip(self, miner: Miner, site: int, mw: float, build_mw: float, gen) -> None:
        """Build out ``build_mw`` of unbuilt capacity and order ``mw`` of new machines (delivered later)."""
        sc, acc = self.config, self.accounts
        th = mw * 1e6 / gen.j_per_th
        machines_usd = th * gen.usd_per_th
        build_usd = build_mw * sc.mining.build_capex_usd_per_mw
        acc.borrow(miner.idx, sc.finance.loan_to_cost_mining * (machines_usd + build_usd))
        acc.post(miner.idx, "machines", -machines_usd)
        acc.post(miner.idx, "capex", -build_usd)
        self.sites.unbuilt_mw[site] -= build_mw
        online_day = self.day + sc.mining.delivery_days
        self.fleet.add(
            site=site, owner=miner.idx, mw=mw, j_per_th=gen.j_per_th, cost_usd=machines_usd, online_day=online_day
        )
        if online_day <= self.day:  # delivered at once (delivery_days = 0): the MW are taken now, not tomorrow
            self.sites.machine_mw[site] += mw

    def sign_lease(self, award, rfp, hs: Hyperscaler) -> Lease:
        """Sign a contract.

        Reserve the MW, receive any prepayment, finance and schedule the conversion capex, and ask the grid for
        firm service. The MW become AI only once built *and* approved.
        """
        sc, s, bid = self.config, self.sites, award.bid
        terms = sc.ai.gpu_cloud if rfp.kind == ContractKind.GPU_CLOUD else sc.ai.colocation
        miner = self._miner_by_uid(bid.miner)
        site, mw = bid.site, bid.mw
        # Idle MW held for machines on order are not free: take the rest from the machines, pro rata.
        free_idle = s.idle_mw()[site] - self.fleet.mw_by_site(s.n, self.day, pending=True)[site]
        self._take_machine_mw(site, max(0.0, mw - max(free_idle, 0.0)))
        s.converting_mw[site] += mw
        capex = mw * (terms.conversion_capex_usd_per_mw * s.capex_multiplier[site] + terms.equipment_capex_usd_per_mw)
        lease = Lease(
            self._next("lease"),
            bid.miner,
            hs.unique_id,
            site,
            rfp.kind,
            mw,
            award.rent_usd_per_kw_month,
            terms.term_years,
            terms.escalator_per_year,
            0.0,
            terms.margin,
            capex,
            self.day,
            bid.ready_day,
            terms.late_penalty_share_per_day * award.rent_usd_per_kw_month * 12_000.0 * mw,
            bid.ask_usd_per_kw_month,
            award.hyperscaler_reservation,
        )
        lease.prepayment_usd = terms.prepayment_share * lease.total_contract_value_usd()
        acc = self.accounts
        acc.post(miner.idx, "prepayments", lease.prepayment_usd)
        days = max(terms.build_days, 1)
        debt_share = sc.finance.loan_to_cost_backstopped
        self._capex_plan = np.vstack(
            [self._capex_plan, [miner.idx, capex / days, self.day, self.day + days, debt_share]]
        )
        go = self.grid_operators_by_region[s.region[site]]
        acc.post(miner.idx, "capex", -go.study_fee_usd(mw))
        go.request(
            bid.miner,
            site,
            mw,
            firm=True,
            purpose=Purpose.AI_CONVERSION,
            headroom_mw=mw * sc.grid.flexible_headroom_credit,
        )
        self._conversions[lease.id] = {"built_day": self.day + terms.build_days, "approved": False, "req": None}
        self.leases.add(lease)
        if miner.first_lease_day < 0:
            miner.first_lease_day = self.day
        self.log_event(
            miner, "lease", f"{rfp.kind} {mw:.0f} MW at {lease.rent_usd_per_kw_month:.1f} $/kW-mo with {hs.name}"
        )
        return lease

    def on_interconnection_approved(self, req) -> None:
        """The grid admitted a request: conversions may start, greenfield campuses begin construction."""
        if req.purpose == Purpose.AI_CONVERSION:
            for lease in self.leases.leases:
                conv = self._conversions.get(lease.id)
                if conv and not conv["approved"] and lease.site == req.site and lease.miner == req.requester:
                    conv["approved"] = True
                    break
        elif req.purpose == Purpose.GREENFIELD:
            hs = next(h for h in self.hyperscalers_list if h.unique_id == req.requester)
            done = self.day + self.config.ai.greenfield_build_days
            hs.on_greenfield_approved(req.id, done)
            i = self.sites.add(
                region=req.region,
                capacity_mw=req.mw,
                owner_kind=Owner.HYPERSCALER,
                owner=hs.idx,
                energised=True,
                power_adder_usd_per_mwh=0.0,
                cooling=Cooling.HYDRO,
                convertible_mw=req.mw,
                capex_multiplier=1.0,
            )
            self.sites.greenfield[i] = True
            self.sites.unbuilt_mw[i] = 0.0
            self.sites.converting_mw[i] = req.mw
            self._own_builds.append({"site": i, "mw": req.mw, "done_day": done, "hyperscaler": hs, "request": req.id})

    def next_request_id(self) -> int:
        """A fresh id for an interconnection request."""
        return self._next("request")

    def next_rfp_id(self) -> int:
        """A fresh id for an RFP."""
        return self._next("rfp")

    def _next(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    def offer_parcel(self, region: int, mw: float) -> None:
        """A grid operator releases an energised parcel: it joins the site auction."""
        conv = float(self.regions.column("convertible_share")[region]) * mw
        i = self.sites.add(
            region=region,
            capacity_mw=mw,
            owner_kind=Owner.NONE,
            owner=-1,
            energised=True,
            power_adder_usd_per_mwh=5.0,
            cooling=Cooling.AIR,
            convertible_mw=conv,
            capex_multiplier=1.0,
        )
        self.sites.for_sale[i] = True

    def run_site_auctions(self) -> None:
        """Weekly: every site for sale is auctioned among miners, hyperscalers and the developer fringe."""
        if self.day % AUCTION_INTERVAL_DAYS:
            return
        s = self.sites
        mechanism = AUCTIONS[self.config.rules.auction]
        for site in np.flatnonzero(s.for_sale[: s.n]):
            if s.converting_mw[site] + s.ai_mw[site] > 0:  # a contract binds the land: not for sale after all
                s.for_sale[site] = False
                continue
            bids = [
                b
                for a in (*self.miners_list, *self.hyperscalers_list)
                if (b := a.value_site(int(site))) is not None and not self._owns(a, int(site))
            ]
            reserve = self.developer_bid_usd(int(site))
            sale = mechanism(int(site), bids + [SiteBid(-1, reserve)], reserve)
            if sale is not None:  # None: no bid met the reserve (first price shades even the
                self._transfer(int(site), sale)  # fringe's); the site stays for sale next week

    def _owns(self, agent, site: int) -> bool:
        kind = Owner.MINER if isinstance(agent, Miner) else Owner.HYPERSCALER
        return self.sites.owner_kind[site] == kind and self.sites.owner[site] == agent.idx

    def _transfer(self, site: int, sale) -> None:
        s, acc = self.sites, self.accounts
        s.for_sale[site] = False
        # The seller's machines do not go with the land: sell them off, online or still on order.
        f = self.fleet
        for i in np.flatnonzero((f.site[: f.n] == site) & (f.mw[: f.n] > 0)):
            self.retire_batch(int(i))
        if s.owner_kind[site] == Owner.MINER:
            acc.post(int(s.owner[site]), "site_sales", sale.price_usd)
        self.sales.append(
            {
                "day": self.day,
                "site": site,
                "winner": sale.winner,
                "price_usd": sale.price_usd,
                "mw": float(s.capacity_mw[site]),
                "convertible_mw": float(s.convertible_mw[site]),
                "region": self.regions.ids[s.region[site]],
                "buyer_kind": self._buyer_kind(sale.winner),
            }
        )
        if sale.winner < 0:  # the developer fringe: the site leaves the modelled market
            s.set_owner(site, Owner.NONE, -1)
            return
        buyer = self._agent_by_uid(sale.winner)
        if isinstance(buyer, Miner):
            s.set_owner(site, Owner.MINER, buyer.idx)
            acc.post(buyer.idx, "site_purchases", -sale.price_usd)
        else:
            s.set_owner(site, Owner.HYPERSCALER, buyer.idx)
            conv = float(s.convertible_mw[site])
            s.unbuilt_mw[site] -= min(float(s.unbuilt_mw[site]), conv)  # a fresh parcel is built straight to AI
            s.converting_mw[site] += conv
            self._own_builds.append(
                {"site": site, "mw": conv, "done_day": self.day + self.config.ai.colocation.build_days}
            )
            self.log_event(
                buyer, "site", f"bought site {site} ({s.capacity_mw[site]:.0f} MW) for {sale.price_usd / 1e6:.1f} M$"
            )

    def _buyer_kind(self, uid: int) -> str:
        if uid < 0:
            return "developer"
        return "miner" if isinstance(self._agent_by_uid(uid), Miner) else "hyperscaler"

    def _agent_by_uid(self, uid: int):
        for a in (*self.miners_list, *self.hyperscalers_list):
            if a.unique_id == uid:
                return a
        raise KeyError(uid)

    def log_event(self, agent, kind: str, text: str) -> None:
        """Keep a readable log of decisions and deals (written as the events table)."""
        self.events.append(
            {"day": self.day, "date": self.date.isoformat(), "agent": agent.unique_id, "kind": kind, "text": text}
        )

    # ---------------------------------------------------------------------------------------------------------
    # metrics
    def record(self) -> None:
        """Append today's row of metrics (COLUMNS); every 30 days, snapshot every miner into the panel."""
        self.recorder.append(daily_row(self))
        t = self.today
        self.panel_revenue += np.column_stack([t["mined_usd"], t["ai_revenue"], t["dr"]])
        if (self.day + 1) % PANEL_INTERVAL_DAYS == 0:
            self.agent_panel.extend(agent_rows(self))
            self.panel_revenue[:] = 0.0

    def check(self) -> None:
        """Assert the invariants: MW states, cash balance, no MW leased twice, positive finite chain values."""
        self.sites.check()
        self.accounts.check()
        s = self.sites
        leased = np.zeros(s.n)
        for x in self.leases.leases:
            if x.end_day < 0 or x.end_day > self.day:
                leased[x.site] += x.mw
        held = s.converting_mw[: s.n] + s.ai_mw[: s.n]
        if np.any(leased > held + 1e-6):
            i = int(np.argmax(leased - held))
            raise AssertionError(f"site {i}: {leased[i]:.3f} MW under lease but only {held[i]:.3f} MW converting/AI")
        h = self.recorder.last("network_hashrate_ehs")
        if not (np.isfinite(h) and h > 0):
            raise AssertionError(f"network hashrate {h} is not positive and finite")
