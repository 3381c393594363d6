"""Asset moves on miners' fleets and sites: free MW for conversion, build and equip, machine MW per miner.

Each move changes the fleet, the sites' machine MW and the owner's books together, so the three stay
consistent (the invariants check it). Machines a miner gives up go to the used market
(model/markets/machine_market.py), not out of the world.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hashpivot.model.world.sites import Owner

if TYPE_CHECKING:
    from hashpivot.model.simulation import HashpivotModel
    from hashpivot.model.world.technology import Generation


class Assets:
    """Fleet and site moves (``model.assets``)."""

    def __init__(self, model: HashpivotModel):
        self.model = model
        self._machine_mw: tuple[tuple | None, np.ndarray | None] = (None, None)

    def make_room(self, site: int, mw: float) -> None:
        """Clear ``mw`` of a site for conversion; machines in the way go to the used market, pro rata.

        Idle MW are used first; installed machines come off for the rest; machines still on their way
        (ordered or relocating) are sent back for whatever would no longer fit when they arrive.
        """
        m = self.model
        f, s = m.fleet, m.sites
        idle = max(float(s.idle_mw()[site]), 0.0)
        take_installed = max(0.0, mw - idle)
        self._list_share(np.flatnonzero((f.site[: f.n] == site) & f.installed(m.day)), take_installed)
        on_way = np.flatnonzero(
            (f.site[: f.n] == site) & (f.mw[: f.n] > 0) & ~f.removed[: f.n] & (f.online_day[: f.n] > m.day)
        )
        room_after = max(idle + take_installed - mw, 0.0)
        self._list_share(on_way, float(f.mw[on_way].sum()) - room_after)

    def _list_share(self, batches: np.ndarray, mw: float) -> None:
        """Offer ``mw`` of these batches on the used market, the same share of each."""
        f = self.model.fleet
        total = float(f.mw[batches].sum())
        if total <= 0 or mw <= 0:
            return
        share = min(1.0, mw / total)
        for i in batches:
            self.model.machine_market.list_batch(int(i), float(f.mw[i]) * share)

    def build_and_equip(self, miner: int, site: int, mw: float, build_mw: float, gen: Generation) -> int:
        """Build out ``build_mw`` of unbuilt capacity and order ``mw`` of new machines; return the new batch."""
        m = self.model
        sc, acc = m.config, m.accounts
        machines_usd = mw * m.technology.cost_usd_per_mw(gen.j_per_th)
        build_usd = build_mw * sc.mining.build_capex_usd_per_mw
        acc.borrow(miner, sc.finance.loan_to_cost_mining * (machines_usd + build_usd))
        acc.post(miner, "machines", -machines_usd)
        acc.post(miner, "capex", -build_usd)
        m.sites.unbuilt_mw[site] -= build_mw
        online_day = m.day + sc.mining.delivery_days
        i = m.fleet.add(
            site=site, owner=miner, mw=mw, j_per_th=gen.j_per_th, cost_usd=machines_usd, online_day=online_day
        )
        if online_day <= m.day:  # delivered at once (delivery_days = 0): the MW are taken now, not tomorrow
            m.sites.machine_mw[site] += mw
        return i

    def machine_mw_by_miner(self) -> np.ndarray:
        """Installed machine MW per miner (recomputed when the day or the fleet changes)."""
        m = self.model
        key = (m.day, m.fleet.n, m.sites.version, m.accounts.n)
        if self._machine_mw[0] != key:
            s, n = m.sites, m.sites.n
            mine = s.owner_kind[:n] == Owner.MINER
            self._machine_mw = (key, np.bincount(s.owner[:n][mine], s.machine_mw[:n][mine], m.accounts.n))
        return self._machine_mw[1]
