"""The day's settlement: fleets run hour by hour, the chain advances, revenue is shared, every flow is booked.

All miners at once over arrays: each live batch runs or curtails against its site's hourly power price
(model/world/fleet.py), the network's hashrate is the sum of what ran, the chain pays the day's blocks
(model/world/bitcoin.py), and each miner's books receive its hashrate share, DR payments, rent, and pay
power, opex, capex and debt service (model/world/accounts.py). The result is a frozen ``DayResult`` that the
recorder reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hashpivot.model.world.bitcoin import ChainDay, block_subsidy_sats
from hashpivot.model.world.fleet import mine_day

if TYPE_CHECKING:
    from hashpivot.model.simulation import HashpivotModel

MIN_NETWORK_PH = 1.0  # floor of the network hashrate, PH/s: with no machines running the chain stays defined
MARGIN_EMA_DAYS = 30.0  # memory of each batch's realised margin (what "has been losing money" means)
ELASTICITY_STEP = 0.1  # the supply response is measured between hashprice x 0.9 and x 1.1


@dataclass(frozen=True)
class DayResult:
    """What one day produced: the chain's day and, per miner (arrays in account order), the revenue earned.

    Attributes:
        chain: blocks, subsidy, fees, revenue and hashprice of the day.
        network_ph: network hashrate, PH/s (average over the day).
        mined_usd: mining revenue per miner, USD (BTC kept in treasury included at the day's price).
        dr_usd: demand-response capacity and event payments per miner, USD.
        ai_revenue_usd: gross lease revenue per miner, USD.
        ai_mw_active: MW of AI contracts in service.
        hashrate_ph_by_region: hashrate per region, PH/s.
    """

    chain: ChainDay
    network_ph: float
    mined_usd: np.ndarray
    dr_usd: np.ndarray
    ai_revenue_usd: np.ndarray
    ai_mw_active: float
    hashrate_ph_by_region: np.ndarray


def next_block_subsidy_btc(model: HashpivotModel) -> float:
    """Subsidy of the next block."""
    return block_subsidy_sats(model.network.height + 1) / 1e8


def implied_hashprice(model: HashpivotModel) -> float:
    """Difficulty-implied hashprice at today's BTC price: what 1 PH/s earns a day in expectation.

    Blocks per day per PH/s = 86,400 x 1e15 / (difficulty x 2^32) (economics.md, Mining): fixed within a
    retarget period, so it does not move with yesterday's realised hashrate.
    """
    blocks_per_ph_day = 86_400.0 * 1e15 / (model.network.difficulty * 2.0**32)
    reward_btc = next_block_subsidy_btc(model) + model.config.bitcoin.fees_btc_per_block
    return blocks_per_ph_day * reward_btc * model.btc_price_usd


def dispatch(model: HashpivotModel, live: np.ndarray, prices: np.ndarray, called: np.ndarray, hashprice: float):
    """Run or curtail the ``live`` batches hour by hour at ``hashprice``: the day's ``MiningDay``.

    Prices clear with the mining that runs where they respond to load (``Grid.clearing``). Changes nothing in
    the world, so a caller may ask what the fleet would do at another hashprice (scripts/dispatch_elasticity.py).
    """
    f, s = model.fleet, model.sites
    site = f.site[live]
    region = s.region[site]
    dr_event = model.regions.column("dr_event_usd_per_mwh")[region] * model.config.grid.dr_scale
    # Hourly arrays per cohort (site and J/TH), not per batch: a fifth of the rows, the same results.
    first, cohort = f.cohorts(live)
    adder = s.power_adder_usd_per_mwh[site[first]]
    return mine_day(
        f.mw[live],
        f.j_per_th[live],
        prices[region[first]] + adder[:, None],
        called[region[first]],
        dr_event[first],
        hashprice,
        idx=live,
        cohort=cohort,
        clearing=model.grid.clearing(prices, called, region[first], adder),
    )


@dataclass(frozen=True)
class SupplyResponse:
    """The hash supply's short-run response to hashprice, measured once per difficulty (each retarget period).

    Attributes:
        difficulty: the difficulty in force when it was measured.
        elasticity: arc elasticity of the fleet's hashrate to hashprice on the period's first day.
    """

    difficulty: float
    elasticity: float


def hash_supply_elasticity(model: HashpivotModel, live: np.ndarray, prices: np.ndarray, called: np.ndarray) -> float:
    """Arc elasticity of the day's hashrate to hashprice: the factor of the difficulty cycle.

    The day's dispatch (``dispatch``) re-run at the difficulty-implied hashprice x (1 -+ ``ELASTICITY_STEP``),
    same machines and drawn prices: ``(H+ - H-) / (H+ + H-)`` over ``(p+ - p-) / (p+ + p-)`` (bounded by
    1 / ``ELASTICITY_STEP``; 0 when nothing would run). Bitcoin's difficulty follows the hashrate of the period
    before with a one-period lag, so each retarget's hashprice change returns as a hashrate change times this
    factor, of opposite sign at the next retarget: above 1 the swings grow from period to period (the
    difficulty algorithm is unstable when the hash supply is elastic: Noda, Okumura & Hashimoto 2020, "An
    Economic Analysis of Difficulty Adjustment Algorithms in Proof-of-Work Blockchain Systems", SSRN 3410460).
    The real network's was ~0.16 at the April 2024 halving (650 -> 580 EH/s as hashprice halved, calibration.md).
    """
    lo, hi = (
        float(dispatch(model, live, prices, called, model.hashprice_expected * k).hashrate_ph.sum())
        for k in (1.0 - ELASTICITY_STEP, 1.0 + ELASTICITY_STEP)
    )
    return (hi - lo) / (hi + lo) / ELASTICITY_STEP if hi + lo > 0 else 0.0


def measure_supply(model: HashpivotModel, live: np.ndarray, prices: np.ndarray, called: np.ndarray) -> None:
    """On the first day of each retarget period, measure the hash supply's elasticity (``model.hash_supply``).

    Runs before the day's own dispatch, whose cleared prices then overwrite what the measurement left in the grid.
    """
    difficulty = model.network.difficulty
    if model.hash_supply is None or model.hash_supply.difficulty != difficulty:
        model.hash_supply = SupplyResponse(difficulty, hash_supply_elasticity(model, live, prices, called))


def settle_day(model: HashpivotModel, prices: np.ndarray, called: np.ndarray) -> DayResult:
    """Run the fleet hour by hour, advance the chain, share its revenue by hashrate, and book every flow.

    Args:
        model: the world (fleet, sites, accounts, leases, construction book, network).
        prices: hourly power price per region (regions x 24), USD/MWh.
        called: hours each region's operator calls demand response (regions x 24).
    """
    m, sc = model, model.config
    f, s, acc = m.fleet, m.sites, m.accounts
    f.wear(sc.mining.failure_rate_per_year)
    live = np.flatnonzero(f.live(m.day))
    site = f.site[live]
    region = s.region[site]
    dr_event = m.regions.column("dr_event_usd_per_mwh")[region] * sc.grid.dr_scale
    measure_supply(m, live, prices, called)
    md = dispatch(m, live, prices, called, m.hashprice_expected)
    m.grid.close_day()
    network_ph = max(float(md.hashrate_ph.sum()), MIN_NETWORK_PH)  # the floor keeps the chain defined
    chain = m.network.advance_day(network_ph / 1_000.0, m.btc_price_usd, sc.bitcoin.fees_btc_per_block, rng=m.net_rng)
    share = md.hashrate_ph / network_ph
    n, owner = m.accounts.n, f.owner[live]

    def per(w):
        return np.bincount(owner, weights=w, minlength=n)

    mined_usd, mined_btc = per(chain.revenue_usd * share), per((chain.subsidy_btc + chain.fees_btc) * share)
    acc.add_btc(mined_btc * m.hodl_share)
    acc.post_all("mining_revenue", mined_usd * (1.0 - m.hodl_share))
    acc.post_all("power", -per(md.power_cost_usd))
    opex = f.mw[live] * sc.mining.opex_usd_per_mw_day
    acc.post_all("opex", -per(opex))
    asleep = np.flatnonzero(f.installed(m.day) & f.hibernating[: f.n])
    holding = np.bincount(
        f.owner[asleep], weights=f.mw[asleep] * sc.mining.hibernation_cost_usd_per_mw_day, minlength=n
    )
    acc.post_all("opex", -holding)
    dr_cap = m.regions.column("dr_capacity_usd_per_mw_day")[region] * sc.grid.dr_scale
    dr = f.mw[live] * dr_cap + md.called_curtailed_mwh * (dr_event + m.grid.power_credit_usd_per_mwh(region))
    acc.post_all("dr_payments", per(dr))
    lease = m.leases.daily_flows(m.day)
    acc.post_all("ai_revenue", lease["cash_in"])
    acc.post_all("opex", -lease["opex"])
    acc.post_all("penalties", -lease["penalty"])
    capex, draws = m.construction.capex_today(m.day)
    acc.post_all("capex", -capex)
    acc.post_all("debt_drawn", draws)  # construction loan drawn as the capex is spent
    acc.debt_usd += draws
    acc.service_debt(sc.finance.debt_rate, sc.finance.debt_amortization_years)
    _update_margins(m, live, chain.revenue_usd * share - md.power_cost_usd - opex + dr)
    _update_site_load(m, site, live, md.energy_mwh)
    m.hashprice_observed = chain.hashprice_usd_per_ph_day
    return DayResult(
        chain=chain,
        network_ph=network_ph,
        mined_usd=mined_usd,
        dr_usd=per(dr),
        ai_revenue_usd=lease["revenue"],
        ai_mw_active=lease["mw_active"],
        hashrate_ph_by_region=np.bincount(region, weights=md.hashrate_ph, minlength=len(m.regions.ids)),
    )


def _update_margins(model: HashpivotModel, live: np.ndarray, margin_usd: np.ndarray) -> None:
    f = model.fleet
    per_mw = margin_usd / np.maximum(f.mw[live], 1e-12)
    f.margin_ema_usd_per_mw_day[live] += (per_mw - f.margin_ema_usd_per_mw_day[live]) / MARGIN_EMA_DAYS


def _update_site_load(model: HashpivotModel, site: np.ndarray, live: np.ndarray, energy_mwh: np.ndarray) -> None:
    """Each site's machine MW today and the share of them that was curtailed."""
    f, s = model.fleet, model.sites
    s.machine_mw[: s.n] = f.mw_by_site(s.n, model.day)
    s.hibernating_mw[: s.n] = f.mw_by_site(s.n, model.day, hibernating=True)
    s.curtailed_share[: s.n] = 0.0
    capable = np.bincount(site, weights=f.mw[live] * 24.0, minlength=s.n)
    ran = np.bincount(site, weights=energy_mwh, minlength=s.n)
    s.curtailed_share[: s.n] = np.where(capable > 0, 1.0 - ran / np.maximum(capable, 1e-12), 0.0)
