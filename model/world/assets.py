"""Asset moves on miners' fleets and sites: retire machines, free MW for conversion, build and equip.

Each move changes the fleet, the sites' machine MW and the owner's books together, so the three stay
consistent (the invariants check it). Machines given up are sold second-hand at ``mining.salvage_share`` of
their cost, scaled by the life they have left.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hashpivot.model.world.sites import Owner

if TYPE_CHECKING:
    from hashpivot.model.config.schema import HardwareGeneration
    from hashpivot.model.simulation import HashpivotModel


class Assets:
    """Fleet and site moves (``model.assets``)."""

    def __init__(self, model: HashpivotModel):
        self.model = model
        self._machine_mw: tuple[tuple | None, np.ndarray | None] = (None, None)

    def retire_batch(self, i: int, mw: float | None = None) -> None:
        """Take a batch (or ``mw`` of it) offline for good and sell the machines second-hand."""
        m = self.model
        f, sc = m.fleet, m.config
        share = 1.0 if mw is None or f.mw[i] <= 0 else min(1.0, mw / float(f.mw[i]))
        age_years = max(0.0, (m.day - f.online_day[i]) / 365.0)
        left = max(0.0, 1.0 - age_years / sc.mining.machine_life_years)
        sold_cost = float(f.cost_usd[i]) * share
        m.accounts.post(int(f.owner[i]), "salvage", sold_cost * sc.mining.salvage_share * left)
        gone = float(f.mw[i]) * share
        m.sites.machine_mw[f.site[i]] -= gone if f.online_day[i] <= m.day else 0.0
        f.mw[i] -= gone
        f.cost_usd[i] -= sold_cost

    def retire_site_machines(self, site: int) -> None:
        """Sell off every batch at a site, online or still on order."""
        f = self.model.fleet
        for i in np.flatnonzero((f.site[: f.n] == site) & (f.mw[: f.n] > 0)):
            self.retire_batch(int(i))

    def free_machine_mw(self, site: int, mw: float) -> None:
        """Free ``mw`` of a site's machine MW for conversion: shrink its batches pro rata, salvaging the rest."""
        m = self.model
        f = m.fleet
        on = np.flatnonzero((f.site[: f.n] == site) & (f.mw[: f.n] > 0))
        total = float(f.mw[on].sum())
        if total <= 0 or mw <= 0:
            return
        keep = max(0.0, 1.0 - mw / total)
        for i in on:
            sold_share = 1.0 - keep
            m.accounts.post(
                int(f.owner[i]), "salvage", float(f.cost_usd[i]) * sold_share * m.config.mining.salvage_share
            )
            f.cost_usd[i] *= keep
            f.mw[i] *= keep
        m.sites.machine_mw[site] = f.mw_by_site(m.sites.n, m.day)[site]

    def build_and_equip(self, miner: int, site: int, mw: float, build_mw: float, gen: HardwareGeneration) -> None:
        """Build out ``build_mw`` of unbuilt capacity and order ``mw`` of new machines (delivered later)."""
        m = self.model
        sc, acc = m.config, m.accounts
        th = mw * 1e6 / gen.j_per_th
        machines_usd = th * gen.usd_per_th
        build_usd = build_mw * sc.mining.build_capex_usd_per_mw
        acc.borrow(miner, sc.finance.loan_to_cost_mining * (machines_usd + build_usd))
        acc.post(miner, "machines", -machines_usd)
        acc.post(miner, "capex", -build_usd)
        m.sites.unbuilt_mw[site] -= build_mw
        online_day = m.day + sc.mining.delivery_days
        m.fleet.add(site=site, owner=miner, mw=mw, j_per_th=gen.j_per_th, cost_usd=machines_usd, online_day=online_day)
        if online_day <= m.day:  # delivered at once (delivery_days = 0): the MW are taken now, not tomorrow
            m.sites.machine_mw[site] += mw

    def machine_mw_by_miner(self) -> np.ndarray:
        """Online machine MW per miner (recomputed when the day or the fleet changes)."""
        m = self.model
        key = (m.day, m.fleet.n, m.sites.version)
        if self._machine_mw[0] != key:
            s, n = m.sites, m.sites.n
            mine = s.owner_kind[:n] == Owner.MINER
            self._machine_mw = (key, np.bincount(s.owner[:n][mine], s.machine_mw[:n][mine], m.accounts.n))
        return self._machine_mw[1]
