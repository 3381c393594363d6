"""What miners expect mining to earn: margins and NPVs per MW, for every batch and site at once.

Agents decide at decision points, but many decide on the same day and each needs the same numbers: the
expected daily margin and the risk-adjusted NPV of each machine batch, of each site's own machines, and of
new-generation machines at each site. ``Valuations`` computes them for *all* batches and sites in a few
vectorised calls the first time a day asks, and serves lookups after that (model/world/finance.py holds the
formulas). Expectations are revised weekly (``REVISE_EVERY_DAYS``): a firm's planning numbers do not move
with each day's price noise, and the fleet-wide valuation is then paid once a week instead of daily. Batches
and sites added in between (new orders, new parcels) are valued on demand and appended. Only batches that
still carry machines, and sites that are not hyperscalers' greenfield campuses, are valued.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hashpivot.model.world import finance
from hashpivot.model.world.fleet import newest_generation

if TYPE_CHECKING:
    from hashpivot.model.simulation import HashpivotModel

PRIOR_HASHRATE_GROWTH = 0.3  # per year, until the run has its own history (2023-24 growth ~ +50%/yr)
GROWTH_BOUNDS = (-0.3, 1.0)  # per year: what miners will extrapolate at the most
REVISE_EVERY_DAYS = 7  # miners revise their expectations weekly, not on every day's noise


def path_years(horizon_years: float) -> np.ndarray:
    """Mid-year points of the valuation horizon (``finance.npv_horizon_years``): 0.5, 1.5, ... < horizon."""
    return np.arange(0.5, horizon_years, 1.0)


class Valuations:
    """Daily cache of expected mining economics, owned by the model."""

    def __init__(self, model: HashpivotModel):
        self.model = model
        self._day = -(10**9)  # never computed
        self._n_batches = self._n_sites = -1
        self.path_years = path_years(model.config.finance.npv_horizon_years)
        self._hashprice_path: tuple[int, np.ndarray] | None = None

    # --- expectations -----------------------------------------------------------------------------------------
    def hashrate_growth_expected(self) -> float:
        """Annual network hashrate growth miners extrapolate from the trailing window (adaptive expectations)."""
        m = self.model
        window = int(m.config.mining.hashprice_memory_days)
        h = m.recorder.column("network_hashrate_ehs")
        if h.size <= window:
            return PRIOR_HASHRATE_GROWTH
        # In logs, so that a short window over a steep change cannot overflow before it is bounded.
        log_g = np.log(h[-1] / h[-1 - window]) * 365.0 / window
        return float(np.expm1(np.clip(log_g, *np.log1p(GROWTH_BOUNDS))))

    def hashprice_path(self) -> np.ndarray:
        """Expected hashprice at ``path_years`` (computed once a day)."""
        m = self.model
        if self._hashprice_path is None or self._hashprice_path[0] != m.day:
            path = finance.expected_hashprice_path(
                m.hashprice_observed,
                self.hashrate_growth_expected(),
                m.network.tip,
                m.config.bitcoin.fees_btc_per_block,
                self.path_years,
                m.config.finance.expected_btc_growth_per_year,
            )
            self._hashprice_path = (m.day, path)
        return self._hashprice_path[1]

    def _fresh(self) -> None:
        m = self.model
        if 0 <= m.day - self._day < REVISE_EVERY_DAYS:
            self._extend()
            return
        self._day, self._n_batches, self._n_sites = m.day, m.fleet.n, m.sites.n
        f, s = m.fleet, m.sites
        sites = np.flatnonzero(~s.greenfield[: s.n])
        gen = newest_generation(m.config.mining.generations, m.date)
        self.site_new_npv = self._scatter(s.n, sites, self._npv(sites, np.full(sites.size, gen.j_per_th)))
        self.site_new_margin = self._scatter(s.n, sites, self._margin(sites, np.full(sites.size, gen.j_per_th)))
        b_sites = f.site[: f.n]
        rows = np.flatnonzero(f.mw[: f.n] > 0)
        self.batch_npv = self._scatter(f.n, rows, self._npv(b_sites[rows], f.j_per_th[rows]))
        self.batch_margin = self._scatter(f.n, rows, self._margin(b_sites[rows], f.j_per_th[rows]))
        live = f.live(m.day)
        w = np.where(live, f.mw[: f.n], 0.0)
        mw_site = np.bincount(b_sites, weights=w, minlength=s.n)
        safe = np.maximum(mw_site, 1e-12)
        self.site_own_npv = np.where(mw_site > 0, np.bincount(b_sites, w * self.batch_npv, s.n) / safe, 0.0)

    @staticmethod
    def _scatter(n: int, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
        out = np.zeros(n)
        out[rows] = values
        return out

    def _extend(self) -> None:
        """Value batches and sites created since the day's values were computed, and append them."""
        m = self.model
        f, s = m.fleet, m.sites
        if f.n > self._n_batches:
            new = np.arange(self._n_batches, f.n)
            self.batch_npv = np.concatenate([self.batch_npv, self._npv(f.site[new], f.j_per_th[new])])
            self.batch_margin = np.concatenate([self.batch_margin, self._margin(f.site[new], f.j_per_th[new])])
            self._n_batches = f.n
        if s.n > self._n_sites:
            new = np.arange(self._n_sites, s.n)
            j = np.full(new.size, newest_generation(m.config.mining.generations, m.date).j_per_th)
            self.site_new_npv = np.concatenate([self.site_new_npv, self._npv(new, j)])
            self.site_new_margin = np.concatenate([self.site_new_margin, self._margin(new, j)])
            pad = np.zeros(new.size)  # a new site has no machines of its own yet
            self.site_own_npv = np.concatenate([self.site_own_npv, pad])
            self._n_sites = s.n

    def _site_power(self, sites: np.ndarray) -> dict:
        m = self.model
        t, g, r = m.regions, m.config.grid, m.sites.region[sites]
        return {
            "price_mean": t.column("price_mean_usd_per_mwh")[r] * g.price_scale * m.grid.price_multiplier[r],
            "price_sigma_log": t.column("price_sigma_log")[r],
            "adder": m.sites.power_adder_usd_per_mwh[sites],
            "scarcity_share": np.minimum(t.column("scarcity_hours_per_year")[r] * g.scarcity_scale / 8_760.0, 1),
        }

    def _dr(self, sites: np.ndarray) -> np.ndarray:
        m = self.model
        return m.regions.column("dr_capacity_usd_per_mw_day")[m.sites.region[sites]] * m.config.grid.dr_scale

    def _npv(self, sites: np.ndarray, j_per_th: np.ndarray) -> np.ndarray:
        """NPV per MW over the machines' economic life at the mining rate plus regional risk (econ: NPV)."""
        m = self.model
        sc = m.config
        if sites.size == 0:
            return np.zeros(0)
        life = self.path_years < sc.mining.machine_life_years
        rate = sc.finance.rate_mining + m.regions.column("regulatory_risk_premium")[m.sites.region[sites]]
        return finance.mining_npv_usd_per_mw(
            self.hashprice_path()[life],
            self.path_years[life],
            j_per_th,
            opex_usd_per_mw_day=sc.mining.opex_usd_per_mw_day,
            rate_per_year=rate,
            dr_usd_per_mw_day=self._dr(sites),
            **self._site_power(sites),
        )

    def _margin(self, sites: np.ndarray, j_per_th: np.ndarray) -> np.ndarray:
        """Expected margin per MW-day at today's hashprice, curtailing optimally, with DR capacity payments."""
        m = self.model
        if sites.size == 0:
            return np.zeros(0)
        per_mw = finance.expected_run_margin_usd_per_mw_day(
            m.hashprice_observed,
            j_per_th,
            opex_usd_per_mw_day=m.config.mining.opex_usd_per_mw_day,
            **self._site_power(sites),
        )
        return per_mw + self._dr(sites)

    # --- lookups ----------------------------------------------------------------------------------------------
    def batch_npv_per_mw(self, batches: np.ndarray) -> np.ndarray:
        """NPV per MW of each batch's machines."""
        self._fresh()
        return self.batch_npv[batches]

    def batch_margin_per_mw_day(self, batches: np.ndarray) -> np.ndarray:
        """Expected margin per MW-day of each batch."""
        self._fresh()
        return self.batch_margin[batches]

    def site_new_npv_per_mw(self, site: int) -> float:
        """NPV per MW of the newest generation at a site."""
        self._fresh()
        return float(self.site_new_npv[site])

    def site_new_margin_per_mw_day(self, site: int) -> float:
        """Expected margin per MW-day of the newest generation at a site."""
        self._fresh()
        return float(self.site_new_margin[site])

    def site_own_npv_per_mw(self, site: int) -> float:
        """MW-weighted NPV per MW of a site's own live machines (0 if none): what converting gives up."""
        self._fresh()
        return float(self.site_own_npv[site])
