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

from dataclasses import dataclass, field

import numpy as np

from hashpivot.model.world.arrays import grown

HOURS = 24


@dataclass
class Fleet:
    """All machine batches; arrays grow by doubling. A retired batch keeps its row with ``mw = 0``.

    A batch is *installed* at its site from ``online_day`` (delivery or relocation) until it is taken off the
    site (``removed``: given up, waiting for a buyer on the used market). Installed machines either run
    (curtailing hour by hour) or hibernate (``hibernating``: switched off for days or months, a small holding
    cost, no power or opex). A batch ``on_market`` is offered second-hand at ``reserve_usd_per_th``: removed
    ones at their recycling value, installed ones (a voluntary sale) at what they are worth to their owner.
    ``built_day`` is the day the machines were made (their age); ``retire_day`` >= 0 marks a batch being
    replaced by an upgrade: it keeps running until the new machines arrive on that day, then goes to the used
    market.
    """

    n: int = 0
    site: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    owner: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # miner index
    mw: np.ndarray = field(default_factory=lambda: np.zeros(0))
    j_per_th: np.ndarray = field(default_factory=lambda: np.ones(0))
    cost_usd: np.ndarray = field(default_factory=lambda: np.zeros(0))
    online_day: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    margin_ema_usd_per_mw_day: np.ndarray = field(default_factory=lambda: np.zeros(0))
    built_day: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    hibernating: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    on_market: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    removed: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    reserve_usd_per_th: np.ndarray = field(default_factory=lambda: np.zeros(0))
    listed_day: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    retire_day: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))

    version: int = 0  # bumped by every change that moves MW between sites or states (``touch``)
    _pending: tuple = (None, None)
    _installed: tuple = (None, None)  # (key, read-only mask): asked ~200k times a run, the fleet changes less
    _installed_rows: tuple = (None, None)  # (key, {(column, value): batches}) for the same key
    # Cohort numbering (``cohorts``): (site, J/TH) -> number, and each row's number with the site and J/TH
    # it was given for (a row whose site changes is renumbered).
    _cohort_numbers: dict = field(default_factory=dict)
    _row_cohort: tuple = (np.zeros(0, np.intp), np.zeros(0, np.int32), np.ones(0))

    _ARRAYS = (
        "site",
        "owner",
        "mw",
        "j_per_th",
        "cost_usd",
        "online_day",
        "margin_ema_usd_per_mw_day",
        "built_day",
        "hibernating",
        "on_market",
        "removed",
        "reserve_usd_per_th",
        "listed_day",
        "retire_day",
    )

    def add(
        self,
        *,
        site: int,
        owner: int,
        mw: float,
        j_per_th: float,
        cost_usd: float,
        online_day: int,
        built_day: int | None = None,
    ) -> int:
        """Add a batch of machines drawing ``mw`` at full load; return its index."""
        if self.n == self.site.size:
            size = max(32, 2 * self.n)
            for name in self._ARRAYS:
                setattr(self, name, grown(getattr(self, name), size))
        i = self.n
        self.n += 1
        self.version += 1
        self.site[i], self.owner[i], self.mw[i] = site, owner, mw
        self.j_per_th[i], self.cost_usd[i], self.online_day[i] = j_per_th, cost_usd, online_day
        self.built_day[i] = online_day if built_day is None else built_day
        self.margin_ema_usd_per_mw_day[i] = 0.0
        self.hibernating[i] = self.on_market[i] = self.removed[i] = False
        self.reserve_usd_per_th[i] = 0.0
        self.listed_day[i] = self.retire_day[i] = -1
        return i

    def split(self, i: int, mw: float) -> int:
        """Split ``mw`` off batch ``i`` into a new batch with the same machines; return the new index."""
        share = min(1.0, mw / float(self.mw[i])) if self.mw[i] > 0 else 0.0
        j = self.add(
            site=int(self.site[i]),
            owner=int(self.owner[i]),
            mw=float(self.mw[i]) * share,
            j_per_th=float(self.j_per_th[i]),
            cost_usd=float(self.cost_usd[i]) * share,
            online_day=int(self.online_day[i]),
            built_day=int(self.built_day[i]),
        )
        self.hibernating[j], self.margin_ema_usd_per_mw_day[j] = self.hibernating[i], self.margin_ema_usd_per_mw_day[i]
        self.retire_day[j] = self.retire_day[i]
        self.mw[i] -= self.mw[j]
        self.cost_usd[i] -= self.cost_usd[j]
        return j

    def touch(self) -> None:
        """Record that batches moved, arrived, left or changed size (invalidates the per-site caches)."""
        self.version += 1

    def pending_mw(self, n_sites: int, day: int) -> np.ndarray:
        """MW ordered, relocating or replacing per site (``mw_by_site(pending=True)``), cached until a change."""
        key = (day, self.version, n_sites)
        if self._pending[0] != key:
            self._pending = (key, self.mw_by_site(n_sites, day, pending=True))
        return self._pending[1]

    def installed(self, day: int) -> np.ndarray:
        """Boolean mask of batches installed at their site on ``day`` (running or hibernating); read-only.

        Cached until the day or ``version`` changes: every move of MW (``add``, ``wear``, ``touch``) bumps it.
        """
        key = (day, self.version, self.n)
        if self._installed[0] != key:
            n = self.n
            mask = (self.mw[:n] > 0) & (self.online_day[:n] <= day) & ~self.removed[:n]
            mask.flags.writeable = False  # shared by every caller until the next change
            self._installed = (key, mask)
        return self._installed[1]

    def installed_at(self, site: int, day: int) -> np.ndarray:
        """Indices (ascending) of the batches installed at ``site`` on ``day``; read-only, cached like ``installed``."""
        return self._installed_where("site", site, day)

    def installed_of(self, owner: int, day: int) -> np.ndarray:
        """Indices (ascending) of ``owner``'s batches installed on ``day``; read-only, cached like ``installed``.

        A firm asks for its batches several times in one decision (strategy view, fleet moves, bids).
        """
        return self._installed_where("owner", owner, day)

    def _installed_where(self, column: str, value: int, day: int) -> np.ndarray:
        """Installed batches whose ``column`` (site or owner) is ``value``, kept until the day or fleet changes."""
        key = (day, self.version, self.n)
        if self._installed_rows[0] != key:
            self._installed_rows = (key, {})
        found = self._installed_rows[1]
        if (column, value) not in found:
            rows = np.flatnonzero((getattr(self, column)[: self.n] == value) & self.installed(day))
            rows.flags.writeable = False
            found[(column, value)] = rows
        return found[(column, value)]

    def move_site(self, old: int, new: int) -> None:
        """Relabel every batch at site ``old`` as being at site ``new`` (a site split in two)."""
        self.site[: self.n][self.site[: self.n] == old] = new
        self.touch()

    def cohorts(self, batches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Group ``batches`` by site and J/TH: ``(first, cohort)``.

        ``first`` holds one member of each cohort (positions in ``batches``) and ``cohort[b]`` is the cohort
        of ``batches[b]``, so ``site[batches][first][cohort] == site[batches]``. Batches of a cohort see the
        same hourly prices and breakeven, so they run in the same hours: ``mine_day`` decides each cohort once
        (~3,000 live batches fall in ~500 cohorts). The numbering is kept across days, so grouping is a
        lookup rather than a sort of the day's batches.
        """
        number = self._cohort_number()[batches]
        k = len(self._cohort_numbers)
        member = np.full(k, -1, np.intp)
        member[number] = np.arange(number.size)  # any member will do: they share site and J/TH
        present = member >= 0
        return member[present], (np.cumsum(present) - 1)[number]

    def _cohort_number(self) -> np.ndarray:
        """Each row's cohort number; rows added since the last call or whose site or J/TH changed get theirs."""
        n = self.n
        number, site, j = self._row_cohort
        old = number.size
        changed = np.flatnonzero((self.site[:old] != site) | (self.j_per_th[:old] != j))
        if old < n or changed.size:
            number = np.concatenate([number, np.zeros(n - old, np.intp)])
            for i in np.concatenate([changed, np.arange(old, n)]):
                key = (int(self.site[i]), float(self.j_per_th[i]))
                number[i] = self._cohort_numbers.setdefault(key, len(self._cohort_numbers))
            self._row_cohort = (number, self.site[:n].copy(), self.j_per_th[:n].copy())
        return number

    def live(self, day: int) -> np.ndarray:
        """Boolean mask of batches that run (or curtail hour by hour) on ``day``: installed, not hibernating."""
        return self.installed(day) & ~self.hibernating[: self.n]

    def mw_by_site(self, n_sites: int, day: int, pending: bool = False, hibernating: bool = False) -> np.ndarray:
        """MW of machines per site.

        Installed ones (running or hibernating); with ``pending=True`` those ordered or relocating and not
        yet arrived; with ``hibernating=True`` only the hibernating ones.
        """
        n = self.n
        if pending:
            mask = (self.mw[:n] > 0) & ~self.removed[:n] & (self.online_day[:n] > day)
        else:
            mask = self.installed(day) & self.hibernating[:n] if hibernating else self.installed(day)
        return np.bincount(self.site[:n][mask], weights=self.mw[:n][mask], minlength=n_sites)

    def age_years(self, batches: np.ndarray, day: int) -> np.ndarray:
        """Age of the machines of ``batches`` on ``day``, years since they were made."""
        return np.maximum(day - self.built_day[batches], 0) / 365.0

    def wear(self, failure_rate_per_year: float) -> None:
        """A day's failures: every batch loses the same small share of its machines (and their book value)."""
        keep = (1.0 - failure_rate_per_year) ** (1.0 / 365.0)
        self.version += 1
        self.mw[: self.n] *= keep
        self.cost_usd[: self.n] *= keep

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
    cohort: np.ndarray | None = None,
    clearing=None,
) -> MiningDay:
    """Run or curtail every batch hour by hour, vectorised.

    Args:
        mw: MW of each batch at full load.
        j_per_th: efficiency of each batch.
        site_price_usd_per_mwh: (rows, 24) delivered power price each hour at the batch's site.
        called: (rows, 24) True in hours the grid operator calls demand response.
        dr_event_usd_per_mwh: per row, payment per MWh curtailed in a called hour (0 if not enrolled).
        hashprice_usd_per_ph_day: the hashprice miners expect today (yesterday's, as observed).
        idx: the batches' indices, carried through for the caller.
        cohort: each batch's row of the hourly arrays when batches share rows (``Fleet.cohorts``: same site
            and J/TH, so the same hours); by default row b is batch b. Per-batch results are the same bits.
        clearing: when prices respond to load, ``clearing(revenue_usd_per_mwh, row_mw) -> (run, price)``
            solves each hour's price with the mining that runs at it (model/world/load_pricing.py): ``run`` is
            the share of each hour each row runs, ``price`` the delivered price it pays. Hours the grid calls
            keep the rule above. None: every row runs the hours its breakeven beats the given price.
    """
    if cohort is None:
        cohort = np.arange(mw.size)
    row_j_per_th = np.empty(site_price_usd_per_mwh.shape[0])
    row_j_per_th[cohort] = j_per_th  # a row's batches share their J/TH
    revenue_usd_per_mwh = hashprice_usd_per_ph_day * 1_000.0 / (row_j_per_th * HOURS)
    value_of_off = site_price_usd_per_mwh + dr_event_usd_per_mwh[:, None] * called
    run = value_of_off < revenue_usd_per_mwh[:, None]
    if clearing is None:
        cost_per_mw = np.where(run, site_price_usd_per_mwh, 0.0).sum(axis=1)
        off_called_h = (called & ~run).sum(axis=1)
    else:
        row_mw = np.bincount(cohort, weights=mw, minlength=row_j_per_th.size)
        share, site_price_usd_per_mwh = clearing(revenue_usd_per_mwh, row_mw)
        run = np.where(called, run, share)
        cost_per_mw = (run * site_price_usd_per_mwh).sum(axis=1)
        off_called_h = (called * (1.0 - run)).sum(axis=1)
    run_hours = run.sum(axis=1)[cohort]
    return MiningDay(
        idx=np.arange(mw.size) if idx is None else idx,
        run_hours=run_hours,
        energy_mwh=mw * run_hours,
        power_cost_usd=mw * cost_per_mw[cohort],
        hashrate_ph=mw * 1_000.0 / j_per_th * run_hours / HOURS,
        called_curtailed_mwh=mw * off_called_h[cohort],
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


def asic_price_usd_per_th(
    hashprice_usd_per_ph_day: float,
    j_per_th,
    power_usd_per_mwh: float,
    breakeven_days: float,
    floor_usd_per_w: float,
):
    """What a new machine costs per TH: the dealers' breakeven rule, with the makers' floor per watt.

    Dealers price machines so that their margin at typical power repays the price in ``breakeven_days``
    (cal: a ~14-18-month breakeven, Luxor RFQ Jun 2023). So ASIC prices follow hashprice, more than one for one
    because the power cost is fixed (cal: log-elasticity ~1.1, May 2021-Dec 2022), and efficient machines cost
    more per TH. Below the makers' cost per watt (1 TH/s at e J/TH draws e W) they stop selling at a loss.
    """
    j = np.asarray(j_per_th)
    revenue_usd_per_th_day = hashprice_usd_per_ph_day / 1_000.0
    power_usd_per_th_day = j * HOURS / 1e6 * power_usd_per_mwh
    return np.maximum(breakeven_days * (revenue_usd_per_th_day - power_usd_per_th_day), floor_usd_per_w * j)


def roadmap_j_per_th(last_j_per_th: float, years_after_last: float, improvement: float, slowdown: float) -> float:
    """Efficiency reachable ``years_after_last`` years after the last listed generation.

    The gain per year starts at ``improvement`` and shrinks by ``slowdown`` each year (a slowing trend, no
    cliff): log J/TH falls by ``sum_k log(1 - improvement (1 - slowdown)^k)``, integrated continuously.
    """
    if years_after_last <= 0 or improvement <= 0:
        return last_j_per_th
    rate = -np.log1p(-improvement)  # continuous rate in the first year
    decay = -np.log1p(-slowdown) if slowdown < 1 else np.inf
    if decay == 0:
        total = rate * years_after_last
    elif np.isinf(decay):
        total = 0.0
    else:
        total = rate * (1.0 - np.exp(-decay * years_after_last)) / decay
    return float(last_j_per_th * np.exp(-total))
