"""The ASIC fleet: machine batches by vintage, and the vectorised daily mining accounting.

A *batch* is a block of identical machines at one site (MW, J/TH, purchase cost, the day it came online).
Each day every batch runs or curtails hour by hour against its site's delivered power price:

    run in hour h  <=>  price_h + DR event payment_h  <  revenue per MWh = hashprice x 1,000 / (J/TH x 24)

(economics.md, "Curtailment threshold"): the threshold rises with hashprice and falls with worse efficiency,
so each vintage has its own breakeven and the fleet curtails its worst machines first. Curtailing in an hour
the grid operator calls (a scarcity hour) also earns the region's DR event payment, which raises the value
of switching off. All of it is numpy over arrays of batches x 24 hours: no per-agent Python in the hot path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from hashpivot.model.world.arrays import grown

if TYPE_CHECKING:
    from hashpivot.model.config.schema import HardwareGeneration

HOURS = 24


@dataclass
class Fleet:
    """All machine batches; arrays grow by doubling. A retired batch keeps its row with ``mw = 0``."""

    n: int = 0
    site: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    owner: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # miner index
    mw: np.ndarray = field(default_factory=lambda: np.zeros(0))
    j_per_th: np.ndarray = field(default_factory=lambda: np.ones(0))
    cost_usd: np.ndarray = field(default_factory=lambda: np.zeros(0))
    online_day: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    margin_ema_usd_per_mw_day: np.ndarray = field(default_factory=lambda: np.zeros(0))

    _ARRAYS = ("site", "owner", "mw", "j_per_th", "cost_usd", "online_day", "margin_ema_usd_per_mw_day")

    def add(self, *, site: int, owner: int, mw: float, j_per_th: float, cost_usd: float, online_day: int) -> int:
        """Add a batch of machines drawing ``mw`` at full load; return its index."""
        if self.n == self.site.size:
            size = max(32, 2 * self.n)
            for name in self._ARRAYS:
                setattr(self, name, grown(getattr(self, name), size))
        i = self.n
        self.n += 1
        self.site[i], self.owner[i], self.mw[i] = site, owner, mw
        self.j_per_th[i], self.cost_usd[i], self.online_day[i] = j_per_th, cost_usd, online_day
        self.margin_ema_usd_per_mw_day[i] = 0.0
        return i

    def live(self, day: int) -> np.ndarray:
        """Boolean mask of batches with machines that are online on ``day``."""
        n = self.n
        return (self.mw[:n] > 0) & (self.online_day[:n] <= day)

    def mw_by_site(self, n_sites: int, day: int, pending: bool = False) -> np.ndarray:
        """MW of machines per site: online ones, or (``pending=True``) ordered ones not yet delivered."""
        n = self.n
        mask = (self.mw[:n] > 0) & ((self.online_day[:n] > day) if pending else (self.online_day[:n] <= day))
        return np.bincount(self.site[:n][mask], weights=self.mw[:n][mask], minlength=n_sites)

    def th_s(self) -> np.ndarray:
        """Hashrate of each batch at full load, TH/s (1 MW at e J/TH hashes 1e6/e TH/s)."""
        return self.mw[: self.n] * 1e6 / self.j_per_th[: self.n]


@dataclass(frozen=True)
class MiningDay:
    """What each live batch did today (arrays over the live batches, in ``idx`` order)."""

    idx: np.ndarray
    run_hours: np.ndarray
    energy_mwh: np.ndarray
    power_cost_usd: np.ndarray
    hashrate_ph: np.ndarray  # average over the day, PH/s
    called_curtailed_mwh: np.ndarray  # MWh switched off in hours the grid called


def mine_day(
    mw: np.ndarray,
    j_per_th: np.ndarray,
    site_price_usd_per_mwh: np.ndarray,
    called: np.ndarray,
    dr_event_usd_per_mwh: np.ndarray,
    hashprice_usd_per_ph_day: float,
    idx: np.ndarray | None = None,
) -> MiningDay:
    """Run or curtail every batch hour by hour, vectorised.

    Args:
        mw: MW of each batch at full load.
        j_per_th: efficiency of each batch.
        site_price_usd_per_mwh: (batches, 24) delivered power price each hour at the batch's site.
        called: (batches, 24) True in hours the grid operator calls demand response.
        dr_event_usd_per_mwh: per batch, payment per MWh curtailed in a called hour (0 if not enrolled).
        hashprice_usd_per_ph_day: the hashprice miners expect today (yesterday's, as observed).
        idx: the batches' indices, carried through for the caller.
    """
    revenue_usd_per_mwh = hashprice_usd_per_ph_day * 1_000.0 / (j_per_th * HOURS)
    value_of_off = site_price_usd_per_mwh + dr_event_usd_per_mwh[:, None] * called
    run = value_of_off < revenue_usd_per_mwh[:, None]
    run_hours = run.sum(axis=1)
    return MiningDay(
        idx=np.arange(mw.size) if idx is None else idx,
        run_hours=run_hours,
        energy_mwh=mw * run_hours,
        power_cost_usd=mw * np.where(run, site_price_usd_per_mwh, 0.0).sum(axis=1),
        hashrate_ph=mw * 1_000.0 / j_per_th * run_hours / HOURS,
        called_curtailed_mwh=mw * (called & ~run).sum(axis=1),
    )


def mine_day_reference(mw, j_per_th, site_price_usd_per_mwh, called, dr_event_usd_per_mwh, hashprice):
    """Straightforward per-batch, per-hour loop computing what ``mine_day`` computes (for tests)."""
    out = {k: [] for k in ("run_hours", "energy_mwh", "power_cost_usd", "hashrate_ph", "called_curtailed_mwh")}
    for b in range(len(mw)):
        threshold = hashprice * 1_000.0 / (j_per_th[b] * 24)
        hours = cost = off_called = 0.0
        for h in range(24):
            price = site_price_usd_per_mwh[b][h]
            bonus = dr_event_usd_per_mwh[b] if called[b][h] else 0.0
            if price + bonus < threshold:
                hours += 1
                cost += price * mw[b]
            elif called[b][h]:
                off_called += mw[b]
        out["run_hours"].append(hours)
        out["energy_mwh"].append(hours * mw[b])
        out["power_cost_usd"].append(cost)
        out["hashrate_ph"].append(mw[b] * 1_000.0 / j_per_th[b] * hours / 24)
        out["called_curtailed_mwh"].append(off_called)
    return {k: np.array(v) for k, v in out.items()}


def newest_generation(generations: Sequence[HardwareGeneration], date: dt.date) -> HardwareGeneration:
    """The most efficient ASIC generation on sale on ``date`` (the first listed if none is on sale yet)."""
    on_sale = [g for g in generations if g.available_from <= date] or list(generations[:1])
    return min(on_sale, key=lambda g: g.j_per_th)
