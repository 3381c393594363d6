"""HashpivotModel: the world, composed. One ``step()`` is one day.

The model holds the world's state (sites, fleet, accounts, leases, the chain) and composes the services that
change it: the grid (``model.grid``), the day's settlement (model/world/settlement.py), the construction book
(``model.construction``), asset moves (``model.assets``), the lease and site markets (``model.lease_market``,
``model.site_market``) and miners' expectations (``model.valuations``). Agents decide; services book. See
docs/architecture.md for the day as a sequence of service calls.

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
from hashpivot.model.markets.entry import Entry
from hashpivot.model.markets.lease_market import LeaseMarket
from hashpivot.model.markets.machine_market import MachineMarket
from hashpivot.model.markets.mergers import MergerMarket
from hashpivot.model.markets.site_market import SiteMarket
from hashpivot.model.world import invariants
from hashpivot.model.world.accounts import Accounts
from hashpivot.model.world.ai_buyers import buyers
from hashpivot.model.world.assets import Assets
from hashpivot.model.world.beliefs import Beliefs
from hashpivot.model.world.bitcoin import NetworkState
from hashpivot.model.world.construction import ConstructionBook
from hashpivot.model.world.creditors import Creditors
from hashpivot.model.world.datacollector import RecorderDataCollector
from hashpivot.model.world.fleet import Fleet
from hashpivot.model.world.grid import Grid
from hashpivot.model.world.interconnection import Purpose, Request
from hashpivot.model.world.leasebook import LeaseBook
from hashpivot.model.world.metrics import Recorder
from hashpivot.model.world.population import miner_specs, place_sites
from hashpivot.model.world.price import DailyBtcPrice
from hashpivot.model.world.recording import COLUMNS, PANEL_INTERVAL_DAYS, IdleWatch, agent_rows, columns_for, daily_row
from hashpivot.model.world.regions import RegionTable, load_regions
from hashpivot.model.world.settlement import DayResult, SupplyResponse, implied_hashprice, settle_day
from hashpivot.model.world.sites import SiteBook
from hashpivot.model.world.solvency import SolvencyTotals
from hashpivot.model.world.technology import Technology
from hashpivot.model.world.valuation import Valuations

__all__ = ["COLUMNS", "HashpivotModel"]


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
        self._date: tuple[int, dt.date] = (-1, sc.run.start_date)
        self._ids = {"request": 0, "rfp": 0, "lease": 0}
        self._by_uid: dict[int, mesa.Agent] = {}
        # Children of a SeedSequence depend only on their index: adding a stream leaves the others unchanged.
        price_ss, grid_ss, pop_ss, net_ss, choice_ss, belief_ss, site_ss = self.rng.bit_generator.seed_seq.spawn(7)
        self.net_rng = np.random.default_rng(net_ss) if sc.run.stochastic_blocks else None
        self.choice_rng = np.random.default_rng(choice_ss)
        self.belief_rng = np.random.default_rng(belief_ss)
        self.site_rng = np.random.default_rng(site_ss)
        self.beliefs = Beliefs.consensus(sc)
        self._miners_by_idx: list[Miner] = []
        self._miners_by_offset: dict[int, list[Miner]] = {}  # decision day of the month -> its miners, idx order
        self.btc_price = DailyBtcPrice(sc.price, sc.run.start_date, price_ss, sc.run.days)

        self.region_set = load_regions(None if not sc.grid.regions_file else sc.grid.regions_file)
        self.regions = RegionTable.from_regions(self.region_set)
        self.sites, self.fleet = SiteBook(), Fleet()
        operators = tuple(
            GridOperator(self, i, self.region_set[rid], sc.grid) for i, rid in enumerate(self.regions.ids)
        )
        self.grid = Grid(self, operators, np.random.default_rng(grid_ss))
        self.accounts = Accounts(0)
        self._create_miners(np.random.default_rng(pop_ss))
        for site in range(self.sites.n):  # each site's own power contract
            self.sites.power_adder_usd_per_mwh[site] = self.site_power_adder(self.sites.power_adder_usd_per_mwh[site])
        for i, buyer in enumerate(buyers(sc.ai.hyperscalers)):
            Hyperscaler(self, i, buyer.name, buyer.demand_share)
        n_miners = len(self.miners)
        self.leases = LeaseBook(n_miners, {m.unique_id: m.idx for m in self.miners})
        self.construction = ConstructionBook(n_miners)
        self.assets = Assets(self)
        self.lease_market = LeaseMarket(self)
        self.site_market = SiteMarket(self)
        self.machine_market = MachineMarket(self)
        self.entry = Entry(self)
        self.solvency = SolvencyTotals()
        self.creditors = Creditors(self)
        self.mergers = MergerMarket(self)
        self.events: list[dict] = []
        self.agent_panel: list[dict] = []
        self.ev_usd = np.zeros(n_miners)
        self.panel_revenue = np.zeros((n_miners, 3))  # mining, AI, DR revenue since the last snapshot

        a = sc.run
        self.network = NetworkState.from_anchor(a.anchor_height, a.anchor_bits, a.anchor_time_utc.timestamp())
        self.btc_price_usd = self.btc_price.on(0)
        self.hashprice_expected = implied_hashprice(self)
        self.hashprice_observed = self.hashprice_expected
        self.technology = Technology(sc.mining, self.hashprice_expected)
        self.recorder = Recorder(columns_for(self.regions.ids), sc.run.days)
        self.idle_watch = IdleWatch()
        self.today: DayResult | None = None
        self.hash_supply: SupplyResponse | None = None  # measured on each retarget period's first day
        self.valuations = Valuations(self)
        self.sites.machine_mw[: self.sites.n] = self.fleet.mw_by_site(self.sites.n, 0)

    def _create_miners(self, rng: np.random.Generator) -> None:
        """The initial population: one Miner per archetype firm, with its sites, fleet and books."""
        self.hodl_share, self.listed = np.zeros(0), np.zeros(0, dtype=bool)
        for spec in miner_specs(self.config, self.regions, rng):
            mw = np.array([s["machine_mw"] for s in spec.sites])
            j_per_th = [s["j_per_th"] for s in spec.sites]
            # An archetype may start with 0 MW (``mw = 0``): no weights, so a plain mean.
            initial = float(np.average(j_per_th, weights=mw if mw.sum() > 0 else None))
            miner = self._new_miner(spec.archetype, spec.strategy, spec.hodl_share, spec.listed, initial)
            place_sites(spec, miner.idx, self.sites, self.fleet)
            self.accounts.cash_usd[miner.idx], self.accounts.debt_usd[miner.idx] = spec.cash_usd, spec.debt_usd
            self.accounts.btc[miner.idx] = spec.btc

    def _new_miner(self, archetype: str, strategy: str, hodl_share: float, listed: bool, j_per_th: float) -> Miner:
        """A Miner with a row in every per-miner store (books, beliefs, holdings)."""
        idx = self.accounts.n
        self.accounts.grow(1)
        row = self.beliefs.draw(self.config, self.belief_rng)
        assert row == idx, (row, idx)
        offset = (idx * 7) % self.config.run.decision_interval_days
        miner = Miner(self, idx, archetype, strategy, hodl_share, offset, listed, j_per_th)
        self._miners_by_idx.append(miner)
        self._miners_by_offset.setdefault(offset, []).append(miner)
        self.hodl_share = np.append(self.hodl_share, hodl_share)
        self.listed = np.append(self.listed, listed)
        return miner

    def add_miner(self, archetype: str, j_per_th: float) -> Miner:
        """A firm entering during the run (holds, keeps no BTC, unlisted); every per-miner store grows."""
        miner = self._new_miner(archetype, "hold", 0.0, False, j_per_th)
        self.leases.add_miner(miner.unique_id, miner.idx)
        self.construction.n_miners += 1
        self.creditors.grow(1)
        self.ev_usd = np.append(self.ev_usd, 0.0)
        self.panel_revenue = np.vstack([self.panel_revenue, np.zeros((1, 3))])
        return miner

    def site_power_adder(self, base_usd_per_mwh: float) -> float:
        """A new site's delivery cost over its region's price: its own contract, around ``base_usd_per_mwh``."""
        spread = self.config.grid.site_power_spread_usd_per_mwh
        return float(base_usd_per_mwh + self.site_rng.uniform(-spread, spread)) if spread > 0 else base_usd_per_mwh

    def miner_at(self, idx: int) -> Miner:
        """The Miner with account index ``idx``."""
        return self._miners_by_idx[idx]

    # --- agents -----------------------------------------------------------------------------------------------
    def register_agent(self, agent: mesa.Agent) -> None:
        """Mesa's registration, plus an index by unique_id (contracts and bids name agents by id)."""
        super().register_agent(agent)
        self._by_uid[agent.unique_id] = agent

    def agent_by_uid(self, uid: int) -> mesa.Agent:
        """The agent with this unique_id (one removed from the agent set too: the tables still name it)."""
        return self._by_uid[uid]

    def all_miners(self) -> list[Miner]:
        """Every Miner ever created, in ``idx`` order, those gone from the agent set included."""
        return self._miners_by_idx

    def firms_active(self) -> np.ndarray:
        """Which firms (by account index) are going concerns: not in default, not gone."""
        return np.array([x.status == "active" for x in self._miners_by_idx], dtype=bool)

    def retire_miner(self, miner: Miner) -> None:
        """A firm that is gone (wound down, liquidated, acquired) leaves Mesa's agent set and the decision roster.

        Its books stay (at zero) and so does its history in every table; it holds nothing (the invariants).
        """
        self.ev_usd[miner.idx] = 0.0
        self.agent_panel.extend(agent_rows(self, [miner]))  # its last row, with the status it left with
        miner.gone = True
        self._miners_by_offset[miner.decision_offset].remove(miner)
        miner.remove()

    @property
    def miners(self) -> AgentSet:
        """Every Miner, in creation order (their ``idx`` order); empty in a world without miners."""
        return self.agents_by_type.get(Miner) or AgentSet([], random=self.random)

    @property
    def hyperscalers(self) -> AgentSet:
        """Every Hyperscaler, in creation order; empty in a world without hyperscalers."""
        return self.agents_by_type.get(Hyperscaler) or AgentSet([], random=self.random)

    @property
    def datacollector(self) -> RecorderDataCollector:
        """Mesa's habit: ``model.datacollector.get_model_vars_dataframe()`` over the recorder and the panel."""
        return RecorderDataCollector(self)

    def new_id(self, kind: str) -> int:
        """A fresh id for an interconnection ``"request"``, an ``"rfp"`` or a ``"lease"``."""
        self._ids[kind] += 1
        return self._ids[kind]

    # --- the day ----------------------------------------------------------------------------------------------
    @property
    def date(self) -> dt.date:
        """Calendar date of the day being (or next to be) simulated."""
        if self._date[0] != self.day:
            self._date = (self.day, self.config.run.start_date + dt.timedelta(days=self.day))
        return self._date[1]

    def step(self) -> None:
        """One day: prices are set, fleets run, books settle, the grid works, agents decide, markets clear."""
        self.accounts.open_day()
        self.grid.apply_shocks()
        self.btc_price_usd = self.btc_price.on(self.day)
        self.hashprice_expected = implied_hashprice(self)
        self.technology.observe(self.hashprice_expected)
        self.machine_market.receive_arrivals()
        self.today = settle_day(self, *self.grid.power_prices())
        self.grid.operate()
        self.lease_market.renew(self.construction.advance(self.day, self.sites, self.leases))
        self.miners_decide()
        self.hyperscalers_procure()
        self.entry.run()
        self.site_market.run_auctions()
        self.machine_market.run()
        self.mergers.run()
        self.creditors.close_day()
        self.record()
        if self.check_invariants:
            invariants.check(self)
        self.day += 1

    def miners_decide(self) -> None:
        """Miners whose decision day it is re-decide, in random order; their enterprise values are revalued."""
        offset = self.day % self.config.run.decision_interval_days
        # The miners whose offset it is, in creation order, as ``self.miners.select`` on the offset gives them.
        due = AgentSet(self._miners_by_offset.get(offset, []), random=self.random)
        if due:
            due.shuffle_do("decide")
            for m in due:  # a firm in default or gone is worth nothing to its shareholders
                self.ev_usd[m.idx] = m.enterprise_value_usd() if m.status == "active" else 0.0

    def hyperscalers_procure(self) -> None:
        """On procurement days hyperscalers run their RFP rounds, in random order; bidders learn if none comes."""
        if self.day % self.config.ai.rfp_interval_days == 0:
            rounds = self.lease_market.rounds
            self.hyperscalers.shuffle_do("procure")
            if self.lease_market.rounds == rounds:
                self.lease_market.observe_no_rfp()
            if self.check_invariants:  # right after the plans: later site purchases today may add to the surplus
                for hs in self.hyperscalers:
                    invariants.check_ai_surplus(self, hs)

    def on_interconnection_approved(self, req: Request) -> None:
        """The grid admitted a request: conversions may start, greenfield campuses begin construction."""
        if req.purpose == Purpose.AI_CONVERSION:
            self.construction.approve_conversion(req.id, self.day)
        elif req.purpose == Purpose.MINING:
            self.entry.on_approved(req)
        elif req.purpose == Purpose.GREENFIELD:
            hs = self.agent_by_uid(req.requester)
            self.construction.start_greenfield(req, hs, self.sites, self.day, self.config.ai.greenfield_build_days)

    def log_event(self, agent: mesa.Agent, kind: str, text: str) -> None:
        """Keep a readable log of decisions and deals (written as the events table)."""
        self.events.append(
            {"day": self.day, "date": self.date.isoformat(), "agent": agent.unique_id, "kind": kind, "text": text}
        )

    def record(self) -> None:
        """Append today's row of metrics (COLUMNS); every 30 days, snapshot every miner into the panel."""
        self.recorder.append(daily_row(self))
        t = self.today
        earned = np.column_stack([t.mined_usd, t.ai_revenue_usd, t.dr_usd])
        self.panel_revenue[: len(earned)] += earned  # firms that entered today earned nothing yet
        if (self.day + 1) % PANEL_INTERVAL_DAYS == 0:
            self.agent_panel.extend(agent_rows(self))
            self.panel_revenue[:] = 0.0
