"""Money over time: annuities, present values, and what miners expect hashprice and margins to be.

One place for the relations of economics.md ("Decisions as risk-adjusted present values"): every decision
rule and valuation in HashPivot discounts through these functions, so a reader can check the arithmetic once.
All functions are numpy-friendly: scalars or arrays broadcast.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from hashpivot.model.world.bitcoin import HALVING_INTERVAL_BLOCKS

DAYS_PER_YEAR = 365.0
BLOCKS_PER_YEAR = 144 * DAYS_PER_YEAR
DAY_SHOCK_SIGMA_LOG = 0.2  # common daily price shock on top of hourly noise (grid operators, weather)


def crf(rate_per_year, years):
    """Capital recovery factor r(1+r)^n / ((1+r)^n - 1): turns an upfront cost into a level annual payment."""
    rate = np.asarray(rate_per_year, dtype=float)
    growth = (1.0 + rate) ** years
    return rate * growth / (growth - 1.0)


def usd_per_mw_to_usd_per_kw_month(capex_usd_per_mw, rate_per_year, years):
    """Annuitise a capex per MW over ``years`` and express it as a rent in USD per kW-month."""
    return capex_usd_per_mw * crf(rate_per_year, years) / 12.0 / 1_000.0


def annuity_pv(payment_per_year, rate_per_year, years, growth_per_year=0.0):
    """Present value of a continuous payment stream growing at ``growth_per_year`` for ``years``."""
    k = np.log1p(rate_per_year) - np.log1p(growth_per_year)
    k = np.where(np.abs(k) < 1e-12, 1e-12, k)
    return payment_per_year * (1.0 - np.exp(-k * years)) / k


def reward_factor(tip_height: float, years: np.ndarray, fees_btc_per_block: float) -> np.ndarray:
    """Block reward (subsidy + fees) at future times, relative to now, with halvings placed by height.

    Heights advance at the expected 144 blocks a day; the halving enters by block height, not calendar
    (economics.md).
    """
    from hashpivot.model.world.bitcoin import block_subsidy_sats  # local: keeps this module import-light

    heights = tip_height + BLOCKS_PER_YEAR * np.asarray(years)
    era_now = int(tip_height) // HALVING_INTERVAL_BLOCKS
    eras = (heights // HALVING_INTERVAL_BLOCKS).astype(int)
    sub_now = block_subsidy_sats(era_now * HALVING_INTERVAL_BLOCKS) / 1e8
    sub = np.array([block_subsidy_sats(int(e) * HALVING_INTERVAL_BLOCKS) / 1e8 for e in eras])
    return (sub + fees_btc_per_block) / (sub_now + fees_btc_per_block)


def expected_hashprice_path(
    hashprice_now,
    hashrate_growth_per_year,
    tip_height,
    fees_btc_per_block,
    years,
    btc_growth_per_year=0.0,
    long_run_growth_per_year=None,
    trend_fade_years=None,
):
    """Hashprice miners expect at future ``years``.

    Today's, grown with the expected BTC price, diluted by hashrate growth, and cut at each halving by block
    height.

    Hashrate growth is extrapolated from the network's own recent history (adaptive expectations), not from
    a scripted forecast; the BTC price growth miners plan with is a scenario parameter. With
    ``trend_fade_years`` the recent trend is damped (Gardner & McKenzie 1985, *Forecasting trends in time
    series*, Management Science 31: the damped-trend forecast): the log growth rate starts at the recent one
    and decays towards ``long_run_growth_per_year`` with that e-folding time, so the expected log hashrate
    after ``t`` years is ``l_long t + (l_recent - l_long) tau (1 - exp(-t / tau))``. Without it the recent
    rate holds over the whole horizon.
    """
    years = np.asarray(years, dtype=float)
    recent = np.log1p(hashrate_growth_per_year)
    if trend_fade_years is None:
        log_hashrate = recent * years
    else:
        long_run = np.log1p(long_run_growth_per_year)
        tau = trend_fade_years
        log_hashrate = long_run * years + (recent - long_run) * tau * -np.expm1(-years / tau)
    dilution = np.exp(np.log1p(btc_growth_per_year) * years - log_hashrate)
    reward = reward_factor(tip_height, years.ravel(), fees_btc_per_block).reshape(years.shape)
    return hashprice_now * dilution * reward


def expected_run_margin_usd_per_mw_day(
    hashprice, j_per_th, price_mean, price_sigma_log, adder, scarcity_share, opex_usd_per_mw_day
):
    """Expected daily margin of 1 MW of machines that curtail optimally against a lognormal hourly price.

    Running pays ``max(0, R - P)`` per MWh, R the revenue per MWh; for lognormal P with mean ``m`` and
    log-sd ``s`` this is a put payoff: ``R N(-d2) - m N(-d1)``, ``d1 = (ln(m/R) + s^2/2)/s``, ``d2 = d1 - s``.
    ``price_sigma_log`` is ``s``, the log-sd an hour of a day drawn at random sees (hour and daily shock
    together, ``total_sigma_log``); at 0 (a flat tariff) the payoff is ``max(0, R - m)``. Scarcity hours never
    pay to run (prices at the cap). Opex is paid whether or not machines run.
    """
    strike = np.maximum(hashprice * 1_000.0 / (j_per_th * 24.0) - adder, 1e-9)
    s = price_sigma_log
    # free power (mean 0): ln 0 = -inf gives the right limit, run every hour; s = 0 is the flat limit below
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = (np.log(price_mean / strike) + 0.5 * s**2) / s
        d2 = d1 - s
        per_mwh = strike * ndtr(-d2) - price_mean * ndtr(-d1)
    if np.any(np.asarray(s) == 0):
        per_mwh = np.where(np.asarray(s) > 0, per_mwh, np.maximum(strike - price_mean, 0.0))
    return 24.0 * (1.0 - scarcity_share) * per_mwh - opex_usd_per_mw_day


def total_sigma_log(hour_sigma_log):
    """Log-sd of the price an hour of a random day sees: the hour's and the daily shock's together.

    A flat tariff (hour log-sd 0) has no daily shock either: the tariff does not follow weather or fuel.
    """
    h = np.asarray(hour_sigma_log, dtype=float)
    return np.where(h > 0, np.sqrt(h**2 + DAY_SHOCK_SIGMA_LOG**2), 0.0)


def day_sigma_log(hour_sigma_log):
    """Log-sd of each region's daily price shock: ``DAY_SHOCK_SIGMA_LOG``, 0 for a flat tariff."""
    return np.where(np.asarray(hour_sigma_log, dtype=float) > 0, DAY_SHOCK_SIGMA_LOG, 0.0)


def mining_npv_usd_per_mw(hp_path, path_years, *terms, **named_terms):
    """NPV of 1 MW of machines over the path, with the option to switch them off (Dixit & Pindyck 1994).

    The sum over years of ``mining_npv_terms``, which takes the same arguments and documents them.
    """
    return mining_npv_terms(hp_path, path_years, *terms, **named_terms).sum(axis=0)


def mining_npv_terms(
    hp_path,
    path_years,
    j_per_th,
    price_mean,
    price_sigma_log,
    adder,
    scarcity_share,
    opex_usd_per_mw_day,
    rate_per_year,
    dr_usd_per_mw_day=0.0,
    life_years=np.inf,
    failure_rate_per_year=0.0,
    idle_cost_usd_per_mw_day=0.0,
    margin_groups=None,
):
    """Discounted value of each year of 1 MW of machines (years x machines): ``mining_npv_usd_per_mw`` per year.

    Each year is valued at the expected hashprice of that year. A year whose expected margin is negative is
    spent hibernating: the machines earn nothing and cost ``idle_cost_usd_per_mw_day`` (storage, insurance)
    instead of power and opex -- the value of the option to restart later. Only years before the machines'
    remaining ``life_years`` count, and a share ``failure_rate_per_year`` of the machines fails each year.
    Demand-response capacity payments are earned on curtailable MW.

    Args:
        hp_path: expected hashprice per year, shape (years,) or (years, machines) for per-owner beliefs.
        path_years: mid-year points of the horizon.
        j_per_th: efficiency of each machine (batch).
        price_mean: mean hourly power price at the site's region, USD/MWh.
        price_sigma_log: log-sd of the hourly price, daily shock included (``total_sigma_log``).
        adder: delivery cost over the regional price, USD/MWh.
        scarcity_share: share of hours at the scarcity price (never worth running).
        opex_usd_per_mw_day: operating cost while running.
        rate_per_year: discount rate per machine (or one for all).
        dr_usd_per_mw_day: DR capacity payment per MW-day.
        life_years: remaining life of each machine.
        failure_rate_per_year: share of machines lost each year.
        idle_cost_usd_per_mw_day: cost of a hibernating MW-day.
        margin_groups: optional ``(first, inverse)`` of ``same_rows``: machines whose hashprice path, J/TH and
            power price (``hp_path`` of shape (years, machines) and arrays per machine) are the same. Their
            running margin is computed once per group; the result is the same.
    """
    hp = np.asarray(hp_path, dtype=float)
    hp = hp[:, None] if hp.ndim == 1 else hp
    years = np.asarray(path_years, dtype=float)[:, None]
    power = (price_mean, price_sigma_log, adder, scarcity_share)
    if margin_groups is None:
        margin = expected_run_margin_usd_per_mw_day(hp, np.asarray(j_per_th)[None, :], *power, opex_usd_per_mw_day)
    else:
        margin = _grouped_margin(hp, np.asarray(j_per_th), power, opex_usd_per_mw_day, *margin_groups)
    margin = np.maximum(margin + dr_usd_per_mw_day, -idle_cost_usd_per_mw_day) * DAYS_PER_YEAR
    dt_years = np.empty_like(years)  # the diff of the years from 0: as np.diff of [0, years], without the concatenation
    dt_years[0], dt_years[1:] = years[0], years[1:] - years[:-1]
    alive = (years < np.asarray(life_years)) * (1.0 - failure_rate_per_year) ** years
    discount = (1.0 + np.asarray(rate_per_year)) ** -years
    return margin * dt_years * alive * discount


def _grouped_margin(hp, j_per_th, power, opex_usd_per_mw_day, first, inverse):
    """``expected_run_margin_usd_per_mw_day`` of each machine (column), computed for one machine of each group.

    The margin is elementwise, so every machine gets its group's bits; it is laid out as the direct call lays
    it out (as ``hp``), so the arithmetic that follows runs exactly as it would.
    """
    compact = expected_run_margin_usd_per_mw_day(
        hp[:, first], j_per_th[first][None, :], *(x[first] if np.ndim(x) else x for x in power), opex_usd_per_mw_day
    )
    margin = np.empty_like(hp)
    margin[...] = compact[:, inverse]
    return margin


def same_rows(*keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Groups of equal rows of ``keys`` (arrays of one length): ``(first, inverse)``.

    ``first`` holds one member of each group and ``inverse[i]`` is the group of row ``i``, so that
    ``key[first][inverse] == key`` for every key.
    """
    order = np.lexsort(keys[::-1])
    new = np.zeros(order.size, bool)
    new[:1] = True  # the first row in sorted order starts a group
    for key in keys:
        k = key[order]
        new[1:] |= k[1:] != k[:-1]
    inverse = np.empty(order.size, np.intp)
    inverse[order] = np.cumsum(new) - 1
    return order[new], inverse


# numpy lays out the terms of a call with more than 32,768 of them by column (and then sums each column
# pairwise), smaller ones by row (summed row after row): only calls well below that are batched.
BATCHABLE_TERMS = 16_384


def sum_columns_as_calls(terms: np.ndarray, widths) -> list[np.ndarray]:
    """Column sums of consecutive groups of ``widths`` columns, each group summed as if it were its own array.

    numpy's sum order depends on the array's shape and memory layout (a lone column is summed pairwise,
    several row after row), so an NPV's last bit depends on how it was valued. Each group is summed in the
    layout its own ``mining_npv_terms`` call has (row by row, for calls of at most ``BATCHABLE_TERMS``
    terms): exactly what one ``mining_npv_usd_per_mw`` call per group gives.
    """
    # Laid out row by row, every column is summed row after row whether the array holds one group or all of
    # them: one sum serves every group of two or more columns. A lone column is summed pairwise, on its own.
    terms = np.ascontiguousarray(terms)
    widths = np.asarray(widths, dtype=np.intp)
    ends = np.cumsum(widths)
    total = terms.sum(axis=0)
    lone_ends = ends[widths == 1]
    if lone_ends.size >= MANY_LONE_COLUMNS:  # an auction's bidders: one column each, summed in a few passes
        lone = iter(lone_column_sums(terms[:, lone_ends - 1]))

        def alone(_end: int) -> np.ndarray:
            return np.array([next(lone)])
    else:

        def alone(end: int) -> np.ndarray:
            return terms[:, end - 1 : end].copy().sum(axis=0)

    return [
        alone(end) if width == 1 else total[end - width : end]
        for width, end in zip(widths.tolist(), ends.tolist(), strict=True)
    ]


MANY_LONE_COLUMNS = 16  # below this, one numpy sum per lone column costs less than the emulation's passes
PAIRWISE_BLOCK = 128  # numpy's PW_BLOCKSIZE: longer runs are split in two (numpy/_core/src/umath/loops_utils.h.src)


def lone_column_sums(columns: np.ndarray) -> np.ndarray:
    """Each column's sum as numpy sums it alone (``col.copy().sum()``), for all columns in a few passes.

    numpy sums a lone contiguous float64 array pairwise: eight running partial sums over blocks of eight,
    combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), the remainder added in order; below eight
    terms in order; above ``PAIRWISE_BLOCK`` split in two halves (the first a multiple of eight) summed apart;
    all added to a +0.0 start. Each step here is one elementwise add over every column: the same additions in
    the same order, hence the same bits (tests/test_speed_npv_batching.py checks it against numpy for 0..300
    terms, signed zeros included, with numpy's AVX-512, AVX2 and baseline kernels alike).
    """
    return 0.0 + _pairwise(columns)


def _pairwise(a: np.ndarray) -> np.ndarray:
    n = a.shape[0]
    if n < 8:
        res = np.zeros(a.shape[1:])
        for i in range(n):
            res = res + a[i]
        return res
    if n <= PAIRWISE_BLOCK:
        r = [a[j] for j in range(8)]
        i = 8
        while i < n - n % 8:
            r = [r[j] + a[i + j] for j in range(8)]
            i += 8
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for k in range(i, n):
            res = res + a[k]
        return res
    half = n // 2
    half -= half % 8
    return _pairwise(a[:half]) + _pairwise(a[half:])
