"""The grid, as the world sees it: one GridOperator agent per region, the day's power prices and the shocks.

Hourly prices are drawn for every region at once (vectorised over regions); each operator runs its own
queue, demand response, large-load rules and parcel releases (agents/grid_operator.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hashpivot.agents.grid_operator import GridOperator, PriceState

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
        scarcity = np.minimum(t.column("scarcity_hours_per_year") * g.scarcity_scale / 8_760.0, 1.0)
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
        return prices, called

    def power_credit_usd_per_mwh(self, region: np.ndarray) -> np.ndarray:
        """Power credits per MWh curtailed in a called hour.

        The hedged share of the load, bought forward at about the region's mean price, is sold back at the
        scarcity price.
        """
        t, g = self.model.regions, self.model.config.grid
        spread = t.column("scarcity_price_usd_per_mwh") - t.column("price_mean_usd_per_mwh") * g.price_scale
        return self.model.config.mining.ppa_hedge_share * np.maximum(spread, 0.0)[region]

    def operate(self) -> None:
        """Each operator's day: headroom grows, studied requests are admitted, parcels are released."""
        for operator in self.operators:
            operator.operate()

    def pending_mw(self) -> float:
        """MW waiting in every region's interconnection queue."""
        return float(sum(go.queue.pending_mw() for go in self.operators))
