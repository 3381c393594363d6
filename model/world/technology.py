"""Mining technology on sale: the listed ASIC generations, the roadmap past them, and what new machines cost.

Efficiency keeps improving after the last generation the scenario lists, along a slowing trend
(``roadmap_j_per_th``): a new generation every ``mining.roadmap_interval_years``. New machines are priced by
the dealers' breakeven rule at a hashprice smoothed over ``mining.asic_price_memory_days`` (ASIC prices track
hashprice with a lag of months), never below the makers' floor (``asic_price_usd_per_th``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hashpivot.model.world.fleet import asic_price_usd_per_th, roadmap_j_per_th

if TYPE_CHECKING:
    from hashpivot.model.config.schema import MiningSection

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Generation:
    """An ASIC generation on sale from ``available_from``."""

    name: str
    available_from: dt.date
    j_per_th: float


class Technology:
    """Generations on sale and new-machine prices (``model.technology``)."""

    def __init__(self, mining: MiningSection, hashprice_usd_per_ph_day: float):
        self.mining = mining
        self.listed = tuple(Generation(g.name, g.available_from, g.j_per_th) for g in mining.generations)
        self.hashprice_smoothed = hashprice_usd_per_ph_day
        self._newest: tuple[dt.date | None, Generation | None] = (None, None)
        self._prices: tuple = (None, {})  # (pricing inputs, {J/TH: USD/TH}): see ``price_usd_per_th``

    def observe(self, hashprice_usd_per_ph_day: float) -> None:
        """Today's hashprice enters the smoothed level that prices new machines."""
        self.hashprice_smoothed += (
            hashprice_usd_per_ph_day - self.hashprice_smoothed
        ) / self.mining.asic_price_memory_days

    def newest(self, date: dt.date) -> Generation:
        """The most efficient generation on sale on ``date`` (the first listed if none is on sale yet)."""
        if self._newest[0] != date:
            on_sale = [g for g in self.listed if g.available_from <= date] or list(self.listed[:1])
            best = min(on_sale, key=lambda g: g.j_per_th)
            last = max(self.listed, key=lambda g: g.available_from)
            years = (date - last.available_from).days / DAYS_PER_YEAR
            steps = int(np.floor(years / self.mining.roadmap_interval_years)) if years > 0 else 0
            if steps > 0:  # roadmap generations, one per interval after the last listed one
                m = self.mining
                j = roadmap_j_per_th(
                    last.j_per_th, steps * m.roadmap_interval_years, m.roadmap_improvement_per_year,
                    m.roadmap_slowdown_per_year,
                )  # fmt: skip
                released = last.available_from + dt.timedelta(days=round(steps * m.roadmap_interval_years * 365.25))
                if j < best.j_per_th:
                    best = Generation(f"{last.name}+{steps}", released, j)
            self._newest = (date, best)
        return self._newest[1]

    def price_usd_per_th(self, j_per_th: float) -> float:
        """What a new machine of this efficiency costs per TH today (kept per J/TH until the inputs change).

        Firms price the newest generation at every expansion, upgrade and site test (~45,000 times a run),
        while the price moves once a day, with the smoothed hashprice.
        """
        m = self.mining
        inputs = (
            self.hashprice_smoothed,
            m.asic_reference_power_usd_per_mwh,
            m.asic_breakeven_days,
            m.asic_price_floor_usd_per_w,
        )
        if self._prices[0] != inputs:
            self._prices = (inputs, {})
        prices = self._prices[1]
        if j_per_th not in prices:
            prices[j_per_th] = float(asic_price_usd_per_th(*inputs[:1], j_per_th, *inputs[1:]))
        return prices[j_per_th]

    def cost_usd_per_mw(self, j_per_th: float) -> float:
        """What new machines drawing 1 MW cost today (1 MW at e J/TH hashes 1e6/e TH/s)."""
        return self.price_usd_per_th(j_per_th) * 1e6 / j_per_th
