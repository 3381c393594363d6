"""GridOperator: one per region, the operator of its grid.

It sets hourly power prices, runs the interconnection queue, pays demand response, applies large-load rules,
and releases powered parcels as headroom grows.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from hashpivot.model.world.finance import day_sigma_log
from hashpivot.model.world.interconnection import InterconnectionQueue, Purpose, Request

HOURS_PER_YEAR = 8_760.0
SLA_HOURS_PER_CURTAILED_HOUR = 10.0  # assumption: an hour an AI load is ordered off costs ~10 hours of value


@dataclass(frozen=True)
class PriceState:
    """Yesterday's standard-normal price states, carried into today's draw (``GridOperator.hourly_prices``).

    Attributes:
        day: each region's daily shock state, shape (regions,).
        hours: each region's deviation per hour of the day, shape (regions, 24).
    """

    day: np.ndarray
    hours: np.ndarray


class GridOperator(mesa.Agent):
    """The operator of one grid region.

    Attributes:
        region_index: position of the region in the model's ``RegionTable``.
        region: the region's data (``hashpivot.model.world.regions.Region``).
        queue: the region's interconnection queue.
    """

    def __init__(self, model, region_index: int, region, grid):
        super().__init__(model)
        self.region_index = region_index
        self.region = region
        self.grid = grid  # the scenario's GridSection
        self.queue = InterconnectionQueue(
            headroom_mw=region.spare_capacity_mw,
            study_capacity_mw_per_day=grid.study_capacity_mw_per_month / 30.4,
        )
        self._released_mw = 0.0
        self.mining_banned = False

    # --- prices ---------------------------------------------------------------------------------------------
    @staticmethod
    def hourly_prices(
        rng: np.random.Generator,
        mean,
        sigma_log,
        scarcity_share,
        scarcity_price,
        state: PriceState | None = None,
        day_persistence: float = 0.0,
        hour_persistence: float = 0.0,
    ):
        """Draw one day of hourly prices for every region at once: (regions, 24) prices, called hours, state.

        Hours are lognormal around the region's mean (log-sd ``sigma_log``) times a daily shock per region
        (weather, outages, fuel); with probability ``scarcity_share`` an hour is a scarcity hour at the scarcity
        price, and the operator calls demand response in it (economics.md, "Curtailment threshold").

        Both the daily shock and each hour of the day's deviation are stationary AR(1)s in standard-normal
        states, ``z = persistence * z_yesterday + sqrt(1 - persistence**2) * e``:

        - The daily shock persists because weather and fuel prices last for days, so daily spot prices are
          strongly autocorrelated (Weron 2006, *Modeling and Forecasting Electricity Loads and Prices*, ch. 2).
        - Each hour's deviation persists because the intraday profile (overnight and solar-noon troughs, the
          evening peak) repeats from one day to the next: hourly prices are most correlated at lags of 24 hours
          (Weron 2006, ch. 2, daily seasonality). With independent hours a fleet at thin margins ran a fresh
          random count of cheap hours each day, and network hashrate swung by a fifth overnight in 2032-34 of
          the 10-year baseline; with a persistent profile it runs much the same cheap hours day after day.

        The states have unit variance whatever the persistence, so the price distribution a single day sees --
        and every valuation (``finance.expected_run_margin_usd_per_mw_day``) -- is unchanged, and persistence
        0 gives the independent draws bit for bit. ``state`` is yesterday's (None on the first day); the new one
        is returned for tomorrow.
        """
        r = mean.size
        z_day = rng.standard_normal(r)
        z_hours = rng.standard_normal((r, 24))
        if state is not None:
            z_day = day_persistence * state.day + np.sqrt(1.0 - day_persistence**2) * z_day
            z_hours = hour_persistence * state.hours + np.sqrt(1.0 - hour_persistence**2) * z_hours
        day_sigma = day_sigma_log(sigma_log)  # a flat tariff (log-sd 0) has no daily shock either
        day = np.exp(day_sigma * z_day - 0.5 * day_sigma**2)
        hours = np.exp(sigma_log[:, None] * z_hours - 0.5 * sigma_log[:, None] ** 2)
        prices = mean[:, None] * day[:, None] * hours
        called = rng.random((r, 24)) < scarcity_share[:, None]
        return np.where(called, scarcity_price[:, None], prices), called, PriceState(z_day, z_hours)

    # --- interconnection -----------------------------------------------------------------------------------
    def study_days(self, mw: float, firm: bool) -> float:
        """Study time for a request. A strict large-load rule lengthens firm large-load studies by half."""
        months = self.region.study_months_firm if firm else self.region.study_months_flexible
        days = months * 30.4 * self.grid.study_scale
        if firm and self._is_large(mw) and self._strict():
            days *= 1.5
        return days

    def request(
        self, requester: int, site: int, mw: float, firm: bool, purpose: Purpose, headroom_mw: float | None = None
    ) -> Request:
        """Queue an interconnection request and return it (large loads pay the study fee via the caller).

        Converting MW that already hold an interconnection to firm service is a *modification*: it is studied
        on the flexible-load timeline and needs only the extra peak headroom firm service takes.
        """
        need = (
            headroom_mw
            if headroom_mw is not None
            else (mw if firm else mw * (1.0 - self.grid.flexible_headroom_credit))
        )
        req = Request(
            self.model.new_id("request"),
            requester,
            site,
            mw,
            firm,
            purpose,
            self.model.day,
            0.0,
            need,
            region=self.region_index,
        )
        modification = purpose == Purpose.AI_CONVERSION
        return self.queue.submit(req, self.model.day, self.study_days(mw, firm and not modification))

    def expected_wait_days(self, mw: float, firm: bool) -> float:
        """Days a new request of this size would expect to wait for study and headroom."""
        return self.queue.expected_wait_days(
            mw,
            firm,
            self.model.day,
            self.study_days(mw, firm),
            self.region.headroom_growth_mw_per_year / 365.0,
            self.grid.flexible_headroom_credit,
        )

    def operate(self) -> None:
        """Daily: headroom grows, studied requests are admitted, new powered parcels are released."""
        growth = self.region.headroom_growth_mw_per_year / 365.0
        self.queue.headroom_mw += growth
        for req in self.queue.admit(self.model.day):
            self.model.on_interconnection_approved(req)
        self._release_parcels(growth)

    def _release_parcels(self, growth_mw: float) -> None:
        """Offer part of the new headroom as energised parcels, one typical site at a time (site auctions)."""
        self._released_mw += growth_mw * self.grid.parcel_release_mw_per_year
        size = self.region.typical_site_mw
        if self._released_mw >= size and self.queue.headroom_mw >= size:
            self._released_mw -= size
            self.queue.headroom_mw -= size
            self.model.site_market.offer_parcel(self.region_index, size)

    def ban_mining(self) -> None:
        """Outlaw mining in the region.

        Every machine here is taken offline and offered on the used market; miners left with no machines
        anywhere decide their future at their next decision point.
        """
        m = self.model
        f = m.fleet
        here = np.flatnonzero(
            (m.sites.region[f.site[: f.n]] == self.region_index) & (f.mw[: f.n] > 0) & ~f.removed[: f.n]
        )
        for i in here:  # offered second-hand: buyers elsewhere relocate them (hashrate moves, it does not vanish)
            m.machine_market.list_batch(int(i))
        self.mining_banned = True
        m.log_event(self, "ban", f"mining banned in {self.region.id}: {len(here)} batches offline")

    # --- rules ----------------------------------------------------------------------------------------------
    def _strict(self) -> bool:
        return self.grid.texas_rule_strict and self.region.id == "ERCOT"

    def _is_large(self, mw: float) -> bool:
        return self.region.large_load_threshold_mw > 0 and mw >= self.region.large_load_threshold_mw

    def firmness_discount(self, mw: float, keeps_flexible_load: bool) -> float:
        """Share of an AI load's value lost to the region's large-load rule.

        E.g. Texas SB 6: loads >= 75 MW may be ordered off in emergencies. A site that keeps curtailable mining
        on it can shed that instead (the mullet), so it loses nothing; a strict rule triples the emergency hours.
        """
        if keeps_flexible_load or not self._is_large(mw):
            return 0.0
        hours = self.region.large_load_curtail_hours_per_year * (3.0 if self._strict() else 1.0)
        return min(0.5, hours * SLA_HOURS_PER_CURTAILED_HOUR / HOURS_PER_YEAR)

    def study_fee_usd(self, mw: float) -> float:
        """Study fee a large-load request pays (SB 6: >= 100 k$)."""
        return self.region.large_load_study_fee_usd if self._is_large(mw) else 0.0
