"""Power prices that respond to load (model/world/load_pricing.py): the price-and-dispatch solution per hour,
and paired runs where added load raises a region's price."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hashpivot import load_scenario
from hashpivot.model.simulation import HashpivotModel
from hashpivot.model.world.load_pricing import LoadPricing, clear_hours


def _clear(gain, mw, per_mw=1e-3, drawn=30.0, firm=0.0, built=0.0, region=None):
    rows = len(gain)
    drawn_prices = np.full((1, 24), drawn) if np.isscalar(drawn) else np.asarray(drawn, float)[None, :]
    return clear_hours(
        drawn_prices,
        np.zeros(rows, np.intp) if region is None else region,
        np.asarray(gain, float),
        np.asarray(mw, float),
        np.array([firm]),
        np.array([built]),
        np.array([per_mw]),
    )


def test_without_a_response_a_row_runs_exactly_the_hours_it_beats_the_price():
    drawn = np.linspace(10, 60, 24)
    run, mult = _clear([35.0, 20.0, -5.0], [100.0, 50.0, 10.0], per_mw=0.0, drawn=drawn)
    assert np.array_equal(run, (np.array([35.0, 20.0, -5.0])[:, None] > drawn).astype(float))
    assert np.all(mult == 1.0)


@settings(max_examples=60, deadline=None)
@given(
    gain=st.lists(st.floats(-10, 120), min_size=1, max_size=12),
    per_mw=st.floats(1e-5, 5e-3),
    drawn=st.floats(5, 80),
    firm=st.floats(0, 500),
)
def test_each_hour_clears_at_the_marginal_row(gain, per_mw, drawn, firm):
    """Rows that run fully earn more than the price, rows that do not earn no more, a part-running row sets it."""
    mw = np.full(len(gain), 100.0)
    run, mult = _clear(gain, mw, per_mw=per_mw, drawn=drawn, firm=firm)
    price = drawn * mult[0, 0]
    g = np.asarray(gain)
    running = (run[:, 0] * mw).sum()
    assert price == pytest.approx(drawn * np.exp(per_mw * (firm + running)), rel=1e-9)
    assert np.all(g[run[:, 0] == 1.0] > price * (1 - 1e-12))
    assert np.all(g[run[:, 0] == 0.0] <= price * (1 + 1e-9))
    partial = (run[:, 0] > 0) & (run[:, 0] < 1)
    assert partial.sum() <= 1
    assert np.allclose(g[partial], price)


def test_more_mining_that_can_run_raises_the_price_and_curtailing_at_the_peak_lowers_it():
    drawn = np.where(np.arange(24) >= 17, 80.0, 30.0)  # an evening peak
    _, few = _clear([50.0], [100.0], drawn=drawn, built=100.0)
    _, many = _clear([50.0, 50.0, 50.0], [100.0, 100.0, 100.0], drawn=drawn, built=100.0)
    assert many[0, 0] > few[0, 0]  # off-peak: more of it runs, and the price rises with it
    # At the peak mining (built for at full load) curtails, so the peak is cheaper than drawn.
    assert few[0, 20] < 1.0 and many[0, 20] < 1.0


def test_generation_catches_up_with_added_load():
    lp = LoadPricing.from_regions([10_000.0], [2.0], scale=1.0, catchup_years=1.0)
    lp.start(np.array([0.0]))
    for _ in range(730):
        lp.observe(np.array([1_000.0]))
    assert lp.built_for_mw[0] == pytest.approx(1_000.0 * (1 - np.exp(-2)), rel=0.01)
    assert 1.0 < lp.level[0] < np.exp(2.0 * 1_000.0 / 10_000.0)


def _ercot_price(name: str, days: int, seed: int) -> float:
    model = HashpivotModel(load_scenario(name).scenario, seed=seed)
    for _ in range(days):
        model.step()
    return float(np.mean(model.recorder.column("power_price_usd_per_mwh_ercot")[-365:]))


@pytest.mark.parametrize("seed", [0, 1])
def test_an_ai_boom_raises_ercots_power_price_against_no_ai_boom(seed):
    """Paired (same seed, one change): hyperscalers' campuses in Texas are load the generation has to catch up with.

    The tenth year: since campuses are sited by value (2026-12-03) the first ones go to SPP, where power is
    cheapest, and ERCOT's fill in later as SPP's headroom is taken (seed 0: 9.9 GW in SPP, 20.4 GW in ERCOT by
    the end). In the fifth year ERCOT's price was only 1.4-1.8% above ``no_ai_boom`` (seeds 0, 1).
    """
    days = 10 * 365
    assert _ercot_price("baseline", days, seed) > 1.05 * _ercot_price("no_ai_boom", days, seed)


def test_a_flat_tariff_is_the_zero_volatility_limit_of_the_margin():
    from hashpivot.model.world import finance

    args = dict(hashprice=40.0, j_per_th=17.5, adder=5.0, scarcity_share=0.0, opex_usd_per_mw_day=250.0)
    flat = finance.expected_run_margin_usd_per_mw_day(price_mean=60.0, price_sigma_log=0.0, **args)
    revenue_per_mwh = 40.0 * 1_000.0 / (17.5 * 24.0)
    assert flat == pytest.approx(24.0 * max(revenue_per_mwh - 5.0 - 60.0, 0.0) - 250.0)
    near = finance.expected_run_margin_usd_per_mw_day(price_mean=60.0, price_sigma_log=1e-4, **args)
    assert near == pytest.approx(flat, rel=1e-3)
    assert finance.total_sigma_log(np.array([0.0, 0.6]))[0] == 0.0  # no daily shock on a flat tariff


def test_a_flat_tariff_is_the_same_every_hour_and_day():
    from hashpivot.agents.grid_operator import GridOperator

    rng, state = np.random.default_rng(0), None
    mean, sigma = np.array([40.0, 27.3]), np.array([0.0, 0.6])
    for _ in range(5):
        prices, called, state = GridOperator.hourly_prices(
            rng, mean, sigma, np.zeros(2), np.array([0.0, 5_000.0]), state, 0.8, 0.8
        )
        assert np.allclose(prices[0], 40.0) and prices[1].std() > 0
