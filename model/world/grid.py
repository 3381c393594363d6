"""The grid, as the world sees it: one GridOperator agent per region, the day's power prices and the shocks.

Hourly prices are drawn for every region at once (vectorised over regions); each operator runs its own
queue, demand response, large-load rules and parcel releases (agents/grid_operator.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hashpivot.agents.grid_operator import GridOperator, PriceState
from hashpivot.model.world.arrays import row_sums_by_group
from hashpivot.model.world.load_pricing import LoadPricing, clear_hours

if TYPE_CHECKING:
    from hashpivot.model.simulation import HashpivotModel


class Grid:
    """The regions' operators and prices (``model.grid``)."""

    def __init__(self, model: HashpivotModel, operators: tuple[GridOperator, ...], rng: np.random.Generator):
        self.model = model
        self.operators = operators
        """Indexed by region (``model.regions.index``)."""
        self.rng = rng
        self.price_multiplier = np.ones(len(model.regions.ids))  # power-price shocks in force today
        self.lasting_multiplier = np.ones(len(model.regions.ids))  # of which permanent (what long-run plans use)
        self.price_state: PriceState | None = None  # each region's AR(1) daily and hour-of-day price states
        t, g = model.regions, model.config.grid
        self.load = LoadPricing.from_regions(
            t.column("system_load_mw"), t.column("price_load_elasticity"), g.load_price_scale, g.supply_catchup_years
        )
        """How load moves prices (model/world/load_pricing.py)."""
        self.hour_price_usd_per_mwh: np.ndarray | None = None  # today's cleared prices, regions x 24
        self.hour_load_mw: np.ndarray | None = None  # today's load added by the model, regions x 24
        self._waits: tuple = (None, {})  # (queues' state, {(mw, firm): waits}): see ``expected_waits_days``

    def operator_at(self, site: int) -> GridOperator:
        """The operator of the region a site is in."""
        return self.operators[self.model.sites.region[site]]

    def mining_allowed(self, site: int) -> bool:
        """False where the region's operator has banned mining (a ``ban`` shock)."""
        return not self.operator_at(site).mining_banned

    def apply_shocks(self) -> None:
        """Exogenous events of the scenario that start or end today (agents respond at their decision points).

        The power-price multipliers are recomputed from the shocks in force rather than divided out when a
        shock ends, so a multiplier of 0 (allowed) ends too, and an ended shock leaves exactly 1.0 behind.
        """
        m = self.model
        multiplier, lasting = np.ones(len(m.regions.ids)), np.ones(len(m.regions.ids))
        for shock in m.config.shocks:
            start = (shock.date - m.config.run.start_date).days
            regions = [m.regions.index[r] for r in shock.regions]
            if shock.kind == "ban" and start == m.day:
                for r in regions:
                    self.operators[r].ban_mining()
            elif shock.kind == "power_price":
                end = start + shock.duration_days if shock.duration_days else None
                if start <= m.day and (end is None or m.day < end):
                    multiplier[regions] *= shock.power_price_multiplier
                    if end is None:  # a temporary shock is known to end: plans look through it
                        lasting[regions] *= shock.power_price_multiplier
        self.price_multiplier, self.lasting_multiplier = multiplier, lasting

    def power_prices(self) -> tuple[np.ndarray, np.ndarray]:
        """The day's hourly prices (regions x 24, USD/MWh) and the hours each operator calls DR."""
        t, g = self.model.regions, self.model.config.grid
        scarcity = self.scarcity_share()
        mean = t.column("price_mean_usd_per_mwh") * g.price_scale * self.price_multiplier
        prices, called, self.price_state = GridOperator.hourly_prices(
            self.rng,
            mean,
            t.column("price_sigma_log"),
            scarcity,
            t.column("scarcity_price_usd_per_mwh"),
            self.price_state,
            g.day_shock_persistence,
            g.hour_shape_persistence,
        )
        self.hour_price_usd_per_mwh, self.hour_load_mw = prices, None
        return prices, called

    def clearing(self, drawn: np.ndarray, called: np.ndarray, row_region: np.ndarray, row_adder: np.ndarray):
        """Today's price-and-dispatch solver for ``mine_day`` (None when no price responds to load).

        Args:
            drawn: the day's drawn hourly prices (regions x 24), USD/MWh.
            called: hours each operator calls demand response (regions x 24): their price stays as drawn.
            row_region: region of each row of ``mine_day``.
            row_adder: delivery adder of each row over its region's price, USD/MWh.
        """
        if not self.load.active:
            return None
        s, n_regions = self.model.sites, drawn.shape[0]
        firm_mw = np.bincount(s.region[: s.n], weights=s.ai_mw[: s.n], minlength=n_regions)  # AI runs every hour

        def clear(revenue_usd_per_mwh: np.ndarray, row_mw: np.ndarray):
            self.load.start(firm_mw + np.bincount(row_region, weights=row_mw, minlength=n_regions))
            gain = revenue_usd_per_mwh - row_adder
            run, mult = clear_hours(drawn, row_region, gain, row_mw, firm_mw, self.load.built_for_mw, self.load.per_mw)
            mult = np.where(called, 1.0, mult)
            load = row_sums_by_group(row_mw[:, None] * run, row_region, n_regions)
            self.hour_price_usd_per_mwh, self.hour_load_mw = drawn * mult, load + firm_mw[:, None]
            return run, self.hour_price_usd_per_mwh[row_region] + row_adder[:, None]

        return clear

    def close_day(self) -> None:
        """Generation follows the day's load (when prices respond to it)."""
        if self.hour_load_mw is not None:
            self.load.observe(self.hour_load_mw.mean(axis=1))

    def scarcity_share(self) -> np.ndarray:
        """Each region's share of hours at the scarcity price, with the scenario's scale."""
        t, g = self.model.regions, self.model.config.grid
        return np.minimum(t.column("scarcity_hours_per_year") * g.scarcity_scale / 8_760.0, 1.0)

    def expected_firm_price_usd_per_mwh(self) -> np.ndarray:
        """Each region's all-hours mean price for a load that never curtails, as long-run plans expect it.

        The non-scarcity mean (with the scenario's scale, the lasting shocks and the price level the model's
        load has set, load_pricing.py) in the hours outside scarcity, and the scarcity price in those hours
        (regions.toml conventions).
        """
        t, g = self.model.regions, self.model.config.grid
        scarcity = self.scarcity_share()
        mean = t.column("price_mean_usd_per_mwh") * g.price_scale * self.lasting_multiplier * self.load.level
        return (1.0 - scarcity) * mean + scarcity * t.column("scarcity_price_usd_per_mwh")

    def power_credit_usd_per_mwh(self, region: np.ndarray) -> np.ndarray:
        """Power credits per MWh curtailed in a called hour.

        The hedged share of the load, bought forward at about the region's mean price, is sold back at the
        scarcity price.
        """
        t, g = self.model.regions, self.model.config.grid
        spread = t.column("scarcity_price_usd_per_mwh") - t.column("price_mean_usd_per_mwh") * g.price_scale
        return self.model.config.mining.ppa_hedge_share * np.maximum(spread, 0.0)[region]

    def expected_waits_days(self, mw: float, firm: bool) -> np.ndarray:
        """Each region's ``GridOperator.expected_wait_days`` for a request of ``mw``, as an array by region.

        Kept until a queue changes: a wait depends on the day, the study backlog and the pending requests
        (``version``) and the headroom. Entrants and every firm seeking a site ask for all regions (~3,000
        times a run, ~30 regions each), far more often than a queue changes.
        """
        state = (self.model.day, *((go.queue.version, go.queue.headroom_mw) for go in self.operators))
        if self._waits[0] != state:
            self._waits = (state, {})
        waits = self._waits[1]
        if (mw, firm) not in waits:
            quoted = np.array([go.expected_wait_days(mw, firm=firm) for go in self.operators])
            quoted.flags.writeable = False  # shared by every caller until a queue changes
            waits[(mw, firm)] = quoted
        return waits[(mw, firm)]

    def operate(self) -> None:
        """Each operator's day: headroom grows, studied requests are admitted, parcels are released."""
        for operator in self.operators:
            operator.operate()

    def pending_mw(self) -> float:
        """MW waiting in every region's interconnection queue."""
        return float(sum(go.queue.pending_mw() for go in self.operators))
