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

import numpy as np

from hashpivot.model.world import finance

PATH_YEARS = np.arange(0.5, 10.0, 1.0)  # mid-year points of the valuation horizon
REVISE_EVERY_DAYS = 7  # miners revise their expectations weekly, not on every day's noise


class Valuations:
    """Daily cache of expected mining economics, owned by the model."""

    def __init__(self, model):
        self.model = model
        self._day = -(10**9)  # never computed
        self._n_batches = self._n_sites = -1

    def _fresh(self) -> None:
        m = self.model
        if 0 <= m.day - self._day < REVISE_EVERY_DAYS:
            self._extend()
            return
        self._day, self._n_batches, self._n_sites = m.day, m.fleet.n, m.sites.n
        f, s = m.fleet, m.sites
        sites = np.flatnonzero(~s.greenfield[: s.n])
        gen = m.newest_generation()
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
        self.site_own_margin = np.where(mw_site > 0, np.bincount(b_sites, w * self.batch_margin, s.n) / safe, 0.0)

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
            j = np.full(new.size, m.newest_generation().j_per_th)
            self.site_new_npv = np.concatenate([self.site_new_npv, self._npv(new, j)])
            self.site_new_margin = np.concatenate([self.site_new_margin, self._margin(new, j)])
            pad = np.zeros(new.size)  # a new site has no machines of its own yet
            self.site_own_npv = np.concatenate([self.site_own_npv, pad])
            self.site_own_margin = np.concatenate([self.site_own_margin, pad])
            self._n_sites = s.n

    def _site_power(self, sites: np.ndarray) -> dict:
        m = self.model
        t, g, r = m.regions, m.config.grid, m.sites.region[sites]
        return {
            "price_mean": t.column("price_mean_usd_per_mwh")[r] * g.price_scale * m.price_multiplier[r],
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
        life = PATH_YEARS < sc.mining.machine_life_years
        rate = sc.finance.rate_mining + m.regions.column("regulatory_risk_premium")[m.sites.region[sites]]
        return finance.mining_npv_usd_per_mw(
            m.hashprice_path()[life],
            PATH_YEARS[life],
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

    def site_own_margin_per_mw_day(self, site: int) -> float:
        """MW-weighted expected margin per MW-day of a site's own live machines (0 if none)."""
        self._fresh()
        return float(self.site_own_margin[site])
