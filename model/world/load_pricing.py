"""Regional power prices that respond to load: the model's mining and AI load moves each region's price.

The drawn hourly prices (model/world/grid.py) are calibrated to 2024, with the load there was then. Load the
model adds or removes moves each non-scarcity hour's price along the region's short-run supply curve, at a
constant elasticity:

    price = drawn price x exp(eta_r x (L_rh - K_r) / S_r)

- ``L_rh``: MW the model's agents draw in region r in hour h: AI load in service (firm, every hour) plus the
  mining MW that run that hour.
- ``K_r``: the added load the region's generation is built for. It starts at the full load of the machines and
  AI in place on the first day, and follows the day's mean added load with time constant
  ``grid.supply_catchup_years``: new load raises prices until plant is built for it, and mining that curtails
  at the peak lowers the peak's price below the day's.
- ``S_r``: the region's system load, ``eta_r``: its inverse elasticity of supply (``regions.toml``; Woo et al.
  2011 for ERCOT; 0 where tariffs are regulated), both scaled by ``grid.load_price_scale``.

Mining decides hour by hour whether to run at the hour's price and its running raises that price, so price and
dispatch are solved together (``clear_hours``). Without it, a fleet at thin margins switched on and off as
one against a price that did not notice it: after each difficulty retarget hashrate jumped by a sixth to a
fifth in a day (baseline seed 0, 2033), where a supply curve pushes back.

Scarcity hours keep their price (the offer cap): the cap is set by rule, not by the merit order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hashpivot.model.world.arrays import row_sums_by_group


@dataclass
class LoadPricing:
    """Each region's load-to-price state (``model.grid.load``).

    Attributes:
        per_mw: ``eta_r / S_r`` per region: log change of price per MW of added load (0 = price-blind).
        catchup_days: time constant of the generation build-out, days.
        built_for_mw: ``K_r``, the added load the region's supply is built for, MW (set on the first day).
        level: the price multiplier at yesterday's mean added load: what valuations expect prices to be at.
    """

    per_mw: np.ndarray
    catchup_days: float
    built_for_mw: np.ndarray | None = None
    level: np.ndarray | None = None

    @classmethod
    def from_regions(cls, system_load_mw, elasticity, scale: float, catchup_years: float) -> LoadPricing:
        """The state from the region table's columns and the grid section's scale and catch-up time."""
        per_mw = np.asarray(elasticity, float) * scale / np.asarray(system_load_mw, float)
        return cls(per_mw=per_mw, catchup_days=catchup_years * 365.25, level=np.ones(per_mw.size))

    @property
    def active(self) -> bool:
        """False when no region's price responds to load (then prices are the drawn ones, bit for bit)."""
        return bool(self.per_mw.any())

    def start(self, full_load_mw: np.ndarray) -> None:
        """First day: the supply is built for the load in place, machines at full load."""
        if self.built_for_mw is None:
            self.built_for_mw = np.asarray(full_load_mw, float).copy()

    def observe(self, mean_load_mw: np.ndarray) -> None:
        """End of a day: generation follows the day's mean added load, and the expected price level moves."""
        self.built_for_mw += (mean_load_mw - self.built_for_mw) / self.catchup_days
        self.level = np.exp(self.per_mw * (mean_load_mw - self.built_for_mw))


def clear_hours(
    drawn_usd_per_mwh: np.ndarray,
    row_region: np.ndarray,
    row_gain_usd_per_mwh: np.ndarray,
    row_mw: np.ndarray,
    firm_mw: np.ndarray,
    built_for_mw: np.ndarray,
    per_mw: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Each region-hour's price and mining dispatch, solved together: ``(run share per row x hour, multiplier)``.

    A row (a cohort of machines at one site, model/world/fleet.py) runs in an hour when what it earns per MWh,
    less its site's delivery adder (``row_gain``), exceeds the hour's price; the price is the drawn one times
    ``exp(per_mw x (firm + running - built_for))``. Rows are taken best first: all that run fully are a
    prefix of that order (their gain falls, the price rises), and the next one runs the share of the hour
    that sets the price equal to its gain (a supply curve clears at the marginal unit's cost). A row with no
    gain never runs. Pure: all data passed in.

    Args:
        drawn_usd_per_mwh: (regions, 24) drawn prices at the calibration's load.
        row_region: region of each row.
        row_gain_usd_per_mwh: revenue per MWh less delivery adder of each row.
        row_mw: MW of each row at full load.
        firm_mw: AI load in service per region, MW (runs every hour).
        built_for_mw: the added load each region's supply is built for, MW (``LoadPricing.built_for_mw``).
        per_mw: log change of each region's price per MW of added load (``LoadPricing.per_mw``).

    Returns:
        ``run``: (rows, 24) share of each hour each row runs, in [0, 1]; ``multiplier``: (regions, 24).
    """
    n_regions = drawn_usd_per_mwh.shape[0]
    order = np.lexsort((-row_gain_usd_per_mwh, row_region))  # by region, best first
    region, gain, mw = row_region[order], row_gain_usd_per_mwh[order], row_mw[order]
    group_start = np.searchsorted(region, np.arange(n_regions))
    group_end = np.searchsorted(region, np.arange(n_regions), side="right")
    cum = np.cumsum(mw)
    before_group = np.concatenate([[0.0], cum])[group_start]
    running_incl = cum - before_group[region]  # MW running if this row and every better one in its region run
    offset = firm_mw - built_for_mw
    price_incl = drawn_usd_per_mwh[region] * np.exp(per_mw[region] * (offset[region] + running_incl))[:, None]
    full = gain[:, None] > price_incl  # (rows, 24): a prefix of each region's rows in every hour
    # Rows come sorted by region: a region's count is a difference of running counts (integers: exact).
    count = np.zeros((region.size + 1, 24), np.intp)
    np.cumsum(full, axis=0, out=count[1:])
    n_full = count[group_end] - count[group_start]
    mw_full = row_sums_by_group(mw[:, None] * full, region, n_regions)
    log_m = per_mw[:, None] * (offset[:, None] + mw_full)
    run = full.astype(float)
    # The marginal row of each region-hour: the first one not running fully.
    marginal = group_start[:, None] + n_full
    r_idx, h_idx = np.nonzero(marginal < group_end[:, None])
    k = marginal[r_idx, h_idx]
    drawn = drawn_usd_per_mwh[r_idx, h_idx]
    ratio = gain[k] / drawn
    partial = (ratio > np.exp(log_m[r_idx, h_idx])) & (per_mw[r_idx] > 0)
    r_idx, h_idx, k, ratio = r_idx[partial], h_idx[partial], k[partial], ratio[partial]
    share = (np.log(ratio) / per_mw[r_idx] - offset[r_idx] - mw_full[r_idx, h_idx]) / mw[k]
    run[k, h_idx] = np.clip(share, 0.0, 1.0)
    log_m[r_idx, h_idx] = np.log(ratio)
    out = np.empty_like(run)
    out[order] = run
    return out, np.exp(log_m)
