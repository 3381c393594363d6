"""What miners expect mining to earn: margins and NPVs per MW, for every batch and site at once.

Agents decide at decision points, but many decide on the same day and each needs the same kind of numbers:
the expected daily margin and the risk-adjusted NPV of each machine batch, of each site's own machines, and of
new-generation machines at each site. ``Valuations`` computes them for *all* batches and sites in a few
vectorised calls, and serves lookups after that (model/world/finance.py holds the formulas).

* **Whose expectations.** Every firm values with its own beliefs (model/world/beliefs.py): its planned BTC
  growth, its hurdle rate, and the window over which it extrapolates network hashrate growth. A batch is
  valued by its owner; a site by its owner (the consensus for sites no miner owns); a bidder values a site
  with its own beliefs (``new_npv_per_mw_for``).
* **What hashprice.** Today's level is the difficulty-implied hashprice of the current retarget period at
  today's BTC price (``model.hashprice_expected``): what a PH/s earns in expectation now, not yesterday's
  noisy realisation.
* **The machines.** NPVs count the remaining life of each batch (its age), failures, and the option to
  hibernate through unprofitable years at a small holding cost (``finance.mining_npv_usd_per_mw``).
* **When.** Planning numbers (NPVs) are revised weekly (``REVISE_EVERY_DAYS``): a firm's plans do not move
  with each day's price noise. Batches and sites added in between are valued on demand and appended. Today's
  running margin, which decides switching machines on and off, is computed fresh each time it is asked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hashpivot.model.world import finance
from hashpivot.model.world.sites import Owner

if TYPE_CHECKING:
    from hashpivot.model.simulation import HashpivotModel

PRIOR_HASHRATE_GROWTH = 0.3  # per year, until the run has its own history (2023-24 growth ~ +50%/yr)
GROWTH_BOUNDS = (-0.3, 1.0)  # per year: what miners will extrapolate at the most
MIN_HISTORY_DAYS = 30  # days of the run's own hashrate before firms extrapolate from it (the prior before)
LONG_MEMORY_DAYS = 730  # the long-run growth recent trends fade into: two years of the network's history
REVISE_EVERY_DAYS = 7  # miners revise their plans weekly, not on every day's noise
MIN_LIFE_YEARS = 0.5  # an old machine that still runs is valued over at least half a year


def _joined(parts: list, sizes: list[int]) -> np.ndarray:
    """One argument of many calls as one array: each scalar repeated over its call's size, arrays appended.

    Consecutive scalars take one ``np.repeat`` (an auction values a site's new machines for every bidder, a
    scalar call each); arrays are appended as they are. (Grouping runs with ``itertools.groupby`` cost five
    times as much where scalars and arrays alternate, as in the used-machine market's calls.)
    """
    chunks, values, lengths = [], [], []
    for part, size in zip(parts, sizes, strict=True):
        if isinstance(part, np.ndarray) and part.ndim:
            if values:
                chunks.append(np.repeat(np.array(values), lengths))
                values, lengths = [], []
            chunks.append(part)
        else:
            values.append(part)
            lengths.append(size)
    if values:
        chunks.append(np.repeat(np.array(values), lengths))
    return np.concatenate(chunks)


def product_margin_groups(
    rows: int, lot_j_per_th: np.ndarray, before: int = 0, after: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``margin_groups`` (``finance.same_rows``) of ``rows`` x lots columns (row-major) between others.

    A row's columns are one owner's lots at one site (a buyer's site, an auction's bidder), so its lots of one
    J/TH have one running margin: the used-machine market shows ~10 lots per J/TH (split batches). The
    ``before`` and ``after`` columns around the block are groups of their own. Built from the block's
    structure, without a sort.
    """
    n = lot_j_per_th.size
    _, first_lot, lot_group = np.unique(lot_j_per_th, return_index=True, return_inverse=True)
    k, r = first_lot.size, np.arange(rows)[:, None]
    own = np.arange(before), np.arange(after)
    first = np.concatenate([own[0], before + (r * n + first_lot[None, :]).ravel(), before + rows * n + own[1]])
    inverse = np.concatenate([own[0], before + (r * k + lot_group[None, :]).ravel(), before + rows * k + own[1]])
    return first, inverse


def path_years(horizon_years: float) -> np.ndarray:
    """Mid-year points of the valuation horizon (``finance.npv_horizon_years``): 0.5, 1.5, ... < horizon."""
    return np.arange(0.5, horizon_years, 1.0)


class Valuations:
    """Expected mining economics per batch and per site (``model.valuations``)."""

    def __init__(self, model: HashpivotModel):
        self.model = model
        self._day = -(10**9)  # never computed
        self._n_batches = self._n_sites = -1
        self.path_years = path_years(model.config.finance.npv_horizon_years)
        self._paths: tuple[tuple[int, int], np.ndarray] | None = None
        self._new_by_owner: dict[tuple[int, int, int], np.ndarray] = {}
        self._new_margins: tuple = (None, None)
        self._region_scaled: tuple = (None, ())  # see ``_region_terms``
        # (day, margin per batch, NaN where not asked for yet today): see ``batch_margin_per_mw_day``.
        self._batch_margins: tuple[int | None, np.ndarray] = (None, np.zeros(0))

    # --- expectations -----------------------------------------------------------------------------------------
    def hashrate_growth_expected(self) -> np.ndarray:
        """Annual network hashrate growth each firm extrapolates from its own trailing window (and consensus).

        Over the history there is when the run is younger than the window (at least ``MIN_HISTORY_DAYS``),
        the prior before that: a firm does not wait for a full window and then jump from the prior to it.
        """
        window = np.maximum(self.model.beliefs.memory_days.astype(int), 1)
        return self._trailing_growth(window)

    def hashrate_growth_long_run(self) -> float:
        """The growth firms expect recent trends to fade into: the network's over ``LONG_MEMORY_DAYS``.

        Blended with the prior in proportion to the history there is, so it moves smoothly from the prior.
        """
        h = self.model.recorder.column("network_hashrate_ehs")
        days = min(h.size - 1, LONG_MEMORY_DAYS)
        weight = max(days, 0) / LONG_MEMORY_DAYS
        observed = float(self._trailing_growth(np.array([LONG_MEMORY_DAYS]))[0]) if weight > 0 else 0.0
        return float(np.expm1(weight * np.log1p(observed) + (1.0 - weight) * np.log1p(PRIOR_HASHRATE_GROWTH)))

    def _trailing_growth(self, window: np.ndarray) -> np.ndarray:
        h = self.model.recorder.column("network_hashrate_ehs")
        growth = np.full(window.size, PRIOR_HASHRATE_GROWTH)
        if h.size <= MIN_HISTORY_DAYS:
            return growth
        # In logs, so that a short window over a steep change cannot overflow before it is bounded.
        w = np.minimum(window, h.size - 1)
        log_g = np.log(h[-1] / h[-1 - w]) * 365.0 / w
        return np.expm1(np.clip(log_g, *np.log1p(GROWTH_BOUNDS)))

    def hashprice_paths(self) -> np.ndarray:
        """Expected hashprice at ``path_years`` for each firm and the consensus (rows), computed once a day."""
        m = self.model
        key = (m.day, m.beliefs.n_firms)  # a firm entering today needs its own row
        if self._paths is None or self._paths[0] != key:
            fade = m.config.finance.hashrate_trend_fade_years
            paths = finance.expected_hashprice_path(
                m.hashprice_expected,
                self.hashrate_growth_expected()[:, None],
                m.network.tip,
                m.config.bitcoin.fees_btc_per_block,
                self.path_years[None, :],
                m.beliefs.btc_growth_per_year[:, None],
                long_run_growth_per_year=self.hashrate_growth_long_run() if fade > 0 else None,
                trend_fade_years=fade if fade > 0 else None,
            )
            self._paths = (key, paths)
        return self._paths[1]

    def _site_owner_rows(self, sites: np.ndarray) -> np.ndarray:
        """Whose beliefs value a site: its miner owner, else the consensus (the last row)."""
        s = self.model.sites
        consensus = self.model.beliefs.n_firms
        return np.where(s.owner_kind[sites] == Owner.MINER, s.owner[sites], consensus)

    # --- the weekly book of values ----------------------------------------------------------------------------
    def invalidate(self) -> None:
        """Machines changed owner (a takeover): value every batch again at the next ask, by its new owner."""
        self._day = -(10**9)

    def _fresh(self) -> None:
        m = self.model
        if 0 <= m.day - self._day < REVISE_EVERY_DAYS:
            self._extend()
            return
        self._day, self._n_batches, self._n_sites = m.day, m.fleet.n, m.sites.n
        f, s = m.fleet, m.sites
        sites = np.flatnonzero(~s.greenfield[: s.n])
        j_new = m.technology.newest(m.date).j_per_th
        self.site_new_npv = self._scatter(s.n, sites, self._site_npv(sites, j_new, self._site_owner_rows(sites)))
        rows = np.flatnonzero(f.mw[: f.n] > 0)
        self.batch_npv = self._scatter(f.n, rows, self._batch_npv(rows, by_group=True))
        installed = f.installed(m.day)
        w = np.where(installed, f.mw[: f.n], 0.0)
        b_sites = f.site[: f.n]
        mw_site = np.bincount(b_sites, weights=w, minlength=s.n)
        safe = np.maximum(mw_site, 1e-12)
        self.site_own_npv = np.where(mw_site > 0, np.bincount(b_sites, w * self.batch_npv, s.n) / safe, 0.0)

    @staticmethod
    def _scatter(n: int, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
        out = np.zeros(n)
        out[rows] = values
        return out

    def _extend(self) -> None:
        """Value batches and sites created since the week's values were computed, and append them."""
        m = self.model
        f, s = m.fleet, m.sites
        if f.n > self._n_batches:
            new = np.arange(self._n_batches, f.n)
            self.batch_npv = np.concatenate([self.batch_npv, self._batch_npv(new)])
            self._n_batches = f.n
        if s.n > self._n_sites:
            new = np.arange(self._n_sites, s.n)
            j_new = m.technology.newest(m.date).j_per_th
            self.site_new_npv = np.concatenate(
                [self.site_new_npv, self._site_npv(new, j_new, self._site_owner_rows(new))]
            )
            self.site_own_npv = np.concatenate([self.site_own_npv, np.zeros(new.size)])  # no machines of its own yet
            self._n_sites = s.n

    # --- formulas ---------------------------------------------------------------------------------------------
    def _power(self, regions: np.ndarray, adders: np.ndarray, lasting: bool = False) -> dict:
        """The hourly power-price distribution at sites in ``regions`` with delivery ``adders`` (USD/MWh).

        Today's (every shock in force), or with ``lasting`` the one long-run plans use: a power-price shock the
        scenario says will end is looked through, a permanent one is not.
        """
        m = self.model
        r = regions
        shock = m.grid.lasting_multiplier if lasting else m.grid.price_multiplier
        price_mean, sigma_log, scarcity, _ = self._region_terms()
        return {
            "price_mean": price_mean[r] * shock[r] * m.grid.load.level[r],
            "price_sigma_log": sigma_log[r],
            "adder": adders,
            "scarcity_share": scarcity[r],
        }

    def _region_terms(self) -> tuple[np.ndarray, ...]:
        """Per region, with the scenario's scales: mean price, log-sd, scarcity share, DR payment.

        The mean is before shocks and load; the log-sd takes the hour and the daily shock together.

        The same numbers, region by region, as scaling each call's regions (asked ~16,000 times a run);
        recomputed if a scale changes (the UI's knobs).
        """
        m = self.model
        g = m.config.grid
        key = (g.price_scale, g.scarcity_scale, g.dr_scale)
        if self._region_scaled[0] != key:
            t = m.regions
            terms = (
                t.column("price_mean_usd_per_mwh") * g.price_scale,
                finance.total_sigma_log(t.column("price_sigma_log")),
                np.minimum(t.column("scarcity_hours_per_year") * g.scarcity_scale / 8_760.0, 1),
                t.column("dr_capacity_usd_per_mw_day") * g.dr_scale,
            )
            self._region_scaled = (key, terms)
        return self._region_scaled[1]

    def _site_power(self, sites: np.ndarray) -> dict:
        return self._power(self.model.sites.region[sites], self.model.sites.power_adder_usd_per_mwh[sites])

    def _dr(self, regions: np.ndarray) -> np.ndarray:
        return self._region_terms()[3][regions]

    def _npv(self, sites: np.ndarray, j_per_th, owners: np.ndarray, life_years, rate_extra=0.0) -> np.ndarray:
        """NPV per MW of machines at ``sites`` valued by ``owners`` (belief rows) over their remaining life."""
        s = self.model.sites
        return self.npv_in_regions(
            s.region[sites], s.power_adder_usd_per_mwh[sites], j_per_th, owners, life_years, rate_extra
        )

    def npv_in_regions(
        self, regions: np.ndarray, adders: np.ndarray, j_per_th, owners: np.ndarray, life_years, rate_extra=0.0
    ) -> np.ndarray:
        """NPV per MW of machines at sites in ``regions`` (delivery ``adders``), valued by ``owners`` (belief rows).

        The rate is the owner's hurdle rate plus the region's regulatory risk premium plus ``rate_extra``.
        """
        if np.size(regions) == 0:
            return np.zeros(0)
        return self.npv_terms(regions, adders, j_per_th, owners, life_years, rate_extra).sum(axis=0)

    def npv_in_regions_many(self, calls: list[tuple]) -> list[np.ndarray]:
        """``npv_in_regions(*call)`` for each call, the small ones valued together in one vectorised pass.

        Each call is ``(regions, adders, j_per_th, owners, life_years[, rate_extra])``, scalars broadcast over
        its regions. Bit-identical to one call each (``finance.sum_columns_as_calls``): batching only saves
        the fixed cost of a numpy call, which dominates small valuations. A call of more than
        ``finance.BATCHABLE_TERMS`` terms is valued alone (numpy would sum it in another order).
        """
        sizes = [np.size(call[0]) for call in calls]
        small = [n * self.path_years.size <= finance.BATCHABLE_TERMS for n in sizes]
        batched = [(c, n) for c, n, ok in zip(calls, sizes, small, strict=True) if ok]
        npvs = iter(self._npv_batch([c for c, _ in batched], [n for _, n in batched]))
        return [next(npvs) if ok else self._npv_alone(c, n) for c, n, ok in zip(calls, sizes, small, strict=True)]

    def npv_in_regions_joined(self, args: tuple, sizes: list[int], margin_groups=None) -> list[np.ndarray]:
        """``npv_in_regions_many`` of calls whose arguments come joined, end to end: the same bits, without the join.

        ``args`` are six arrays of one length, ``(regions, adders, j_per_th, owners, life_years, rate_extra)``, and
        ``sizes`` the calls' lengths in that order. A caller that values many buyers' lots or an auction's bidders
        builds these with a few ``np.repeat`` and ``np.tile`` rather than a tuple per call that ``_joined`` takes
        apart again. The values are elementwise, so only the sums depend on the calls: each is summed as its own
        (``finance.sum_columns_as_calls``), and a call too large to batch is valued alone from its slice.
        ``margin_groups`` (``product_margin_groups``) names columns with one running margin, computed once.
        """
        ends = np.cumsum(sizes)
        small = np.asarray(sizes) * self.path_years.size <= finance.BATCHABLE_TERMS
        if not small.all():
            keep, batched = np.repeat(small, sizes), [n for n, ok in zip(sizes, small, strict=True) if ok]
            npvs = iter(self.npv_in_regions_joined(tuple(a[keep] for a in args), batched))
            return [
                next(npvs) if ok else self.npv_in_regions(*(a[e - n : e] for a in args))
                for n, e, ok in zip(sizes, ends, small, strict=True)
            ]
        if not ends.size or ends[-1] == 0:
            return [np.zeros(0) for _ in sizes]
        return finance.sum_columns_as_calls(self.npv_terms(*args, margin_groups=margin_groups), sizes)

    def _npv_alone(self, call: tuple, n: int) -> np.ndarray:
        regions, adders = (np.full(n, x) if np.ndim(x) == 0 else x for x in call[:2])
        return self.npv_in_regions(regions, adders, *call[2:])

    def _npv_batch(self, calls: list[tuple], sizes: list[int]) -> list[np.ndarray]:
        if sum(sizes) == 0:
            return [np.zeros(0) for _ in calls]
        args = [_joined([c[i] if i < len(c) else 0.0 for c in calls], sizes) for i in range(6)]
        return finance.sum_columns_as_calls(self.npv_terms(*args), sizes)

    def npv_terms(
        self,
        regions: np.ndarray,
        adders: np.ndarray,
        j_per_th,
        owners: np.ndarray,
        life_years,
        rate_extra=0.0,
        margin_groups=None,
        path_owners=None,
    ) -> np.ndarray:
        """The yearly terms (years x machines) whose column sums are ``npv_in_regions``.

        For valuing several groups of machines in one call: ``finance.sum_columns_as_calls`` sums each group
        exactly as its own ``npv_in_regions`` call would. ``margin_groups`` (``finance.same_rows``) groups
        machines of the same region, delivery adder, J/TH and owner: their margins are computed once.
        ``path_owners``: whose hashprice expectations to use, if not the ``owners``' (whose hurdle rates apply).
        """
        m = self.model
        sc = m.config
        regions = np.asarray(regions, dtype=np.int64)
        owners = np.asarray(owners)
        if owners.shape != regions.shape:  # one owner for all: only used as an index, a plain array will do
            owners = np.full(regions.shape, owners)
        rate = m.beliefs.rate_mining[owners] + m.regions.column("regulatory_risk_premium")[regions]
        paths = self.hashprice_paths()[owners if path_owners is None else np.asarray(path_owners)]
        return finance.mining_npv_terms(
            paths.T,
            self.path_years,
            np.broadcast_to(j_per_th, regions.shape),
            opex_usd_per_mw_day=sc.mining.opex_usd_per_mw_day,
            rate_per_year=rate + rate_extra,
            dr_usd_per_mw_day=self._dr(regions),
            life_years=life_years,
            failure_rate_per_year=sc.mining.failure_rate_per_year,
            idle_cost_usd_per_mw_day=sc.mining.hibernation_cost_usd_per_mw_day,
            margin_groups=margin_groups,
            **self._power(regions, np.asarray(adders, dtype=float), lasting=True),
        )

    def _batch_npv(self, batches: np.ndarray, by_group: bool = False) -> np.ndarray:
        """Each batch valued by its owner at its site over what is left of its life.

        With ``by_group`` (the week's revaluation of the whole fleet) the running margin is computed once per
        site, owner and J/TH: a site's batches are mostly a few vintages of its owner, split and aged apart.
        """
        m = self.model
        f, s = m.fleet, m.sites
        if batches.size == 0:
            return np.zeros(0)
        life = np.maximum(m.config.mining.machine_life_years - f.age_years(batches, m.day), MIN_LIFE_YEARS)
        sites, j, owners = f.site[batches], f.j_per_th[batches], f.owner[batches]
        groups = finance.same_rows(sites, owners, j) if by_group else None
        regions, adders = s.region[sites], s.power_adder_usd_per_mwh[sites]
        return self.npv_terms(regions, adders, j, owners, life, margin_groups=groups).sum(axis=0)

    def _site_npv(self, sites: np.ndarray, j_per_th: float, owners: np.ndarray, rate_extra=0.0) -> np.ndarray:
        return self._npv(sites, j_per_th, owners, self.model.config.mining.machine_life_years, rate_extra)

    def margin_per_mw_day(self, sites: np.ndarray, j_per_th) -> np.ndarray:
        """Expected margin per MW-day at today's difficulty-implied hashprice, curtailing optimally, with DR."""
        m = self.model
        if np.size(sites) == 0:
            return np.zeros(0)
        per_mw = finance.expected_run_margin_usd_per_mw_day(
            m.hashprice_expected,
            j_per_th,
            opex_usd_per_mw_day=m.config.mining.opex_usd_per_mw_day,
            **self._site_power(sites),
        )
        return per_mw + self._dr(self.model.sites.region[sites])

    # --- lookups ----------------------------------------------------------------------------------------------
    def batch_npv_per_mw(self, batches: np.ndarray) -> np.ndarray:
        """NPV per MW of each batch's machines, to its owner (this week's plan)."""
        self._fresh()
        return self.batch_npv[batches]

    def batch_margin_per_mw_day(self, batches: np.ndarray) -> np.ndarray:
        """Expected margin per MW-day of each batch today (each batch computed once a day, when first asked).

        Only the deciding firms' batches are asked for on a day, so only they are computed. A margin depends
        on the batch's J/TH and its site's region and delivery adder, today's hashprice and today's power
        shocks: none of them changes between the miners' decisions and the end of the day except a batch's
        site, and that only to a parcel on the same interconnection (``SiteBook.carve_out``) while the
        miners decide, so a margin computed later in the day equals one computed at its first request. Each
        margin is an elementwise function of its own batch's inputs: the same bits whichever batches share
        its call.
        """
        m = self.model
        f = m.fleet
        day, margins = self._batch_margins
        if day != m.day:
            margins = np.full(f.n, np.nan)
        elif margins.size < f.n:
            margins = np.concatenate([margins, np.full(f.n - margins.size, np.nan)])
        todo = np.asarray(batches)
        todo = todo[np.isnan(margins[todo])]  # not asked for yet today (or retired: NaN again, cheap)
        if todo.size:
            margins[todo] = self._margins_of(todo)
        self._batch_margins = (m.day, margins)
        return margins[batches]

    def _margins_of(self, batches: np.ndarray) -> np.ndarray:
        """Today's margin of each batch; NaN for retired ones (0 MW for good: their rows stay, most of the fleet)."""
        f = self.model.fleet
        out = np.full(batches.size, np.nan)
        alive = f.mw[batches] > 0
        out[alive] = self.margin_per_mw_day(f.site[batches[alive]], f.j_per_th[batches[alive]])
        return out

    def site_new_npv_per_mw(self, site: int) -> float:
        """NPV per MW of the newest generation at a site, to its owner."""
        self._fresh()
        return float(self.site_new_npv[site])

    def new_npv_per_mw_for(self, sites: np.ndarray, j_per_th, owner: int, rate_extra: float = 0.0) -> np.ndarray:
        """NPV per MW of machines of ``j_per_th`` at ``sites``, to firm ``owner`` (a bidder or an entrant)."""
        sites = np.asarray(sites, dtype=np.int64)
        return self._site_npv(sites, j_per_th, np.full(sites.size, owner), rate_extra)

    def site_new_npv_per_mw_all(self) -> np.ndarray:
        """NPV per MW of the newest generation at every site, to each site's owner (this week's plan)."""
        self._fresh()
        return self.site_new_npv

    def site_new_npv_for(self, site: int, owner: int) -> float:
        """NPV per MW of the newest generation at ``site`` to firm ``owner`` (all firms valued at once, daily)."""
        m = self.model
        key = (m.day, site, m.beliefs.n_firms)
        if key not in self._new_by_owner:
            if next(iter(self._new_by_owner), key)[0] != m.day:
                self._new_by_owner.clear()
            owners = np.arange(m.beliefs.n_firms + 1)
            sites = np.full(owners.size, site)
            self._new_by_owner[key] = self._site_npv(sites, m.technology.newest(m.date).j_per_th, owners)
        return float(self._new_by_owner[key][owner])

    def site_new_margin_per_mw_day(self, site: int) -> float:
        """Expected margin per MW-day of the newest generation at a site today."""
        return float(self.new_margins()[site])

    def new_margins(self) -> np.ndarray:
        """Today's expected margin per MW-day of the newest generation at every site (computed once a day)."""
        m = self.model
        key = (m.day, m.sites.n)
        if self._new_margins[0] != key:
            j = m.technology.newest(m.date).j_per_th
            self._new_margins = (key, self.margin_per_mw_day(np.arange(m.sites.n), j))
        return self._new_margins[1]

    def site_own_npv_per_mw(self, site: int) -> float:
        """MW-weighted NPV per MW of a site's own installed machines (0 if none): what converting gives up."""
        self._fresh()
        return float(self.site_own_npv[site])
