"""Invariants under generated scenarios: hypothesis draws random *valid* scenarios and steps them.

Each example is a small world (archetype counts scaled down, 1-3 hyperscalers, 30-200 days) with
random price paths, grid scales, rules, contract terms and shocks, every value inside the schema's
bounds. The model runs with ``check_invariants=True`` (``HashpivotModel.check`` after every day:
every MW of every site in exactly one state, cash moved only by booked flows, no MW leased twice)
and after each day this file checks what the model cannot check about itself:

* hashrate, difficulty, BTC price and hashprice are finite and positive; power prices are finite
  and non-negative (a ``power_price`` shock may multiply them by 0, which the schema allows);
* the difficulty (``network.bits``) changes only on a day whose blocks cross a retarget boundary
  (the tip reaching a height 2016k - 1), and then by at most the consensus clamp of 4x per retarget;
* the recorded series agree with the chain state.

Example counts (150 scenarios, plus 37 with Poisson blocks) are sized so the file runs in ~20 s on
one core (a 200-day run of a small world takes ~0.05-0.3 s); ``HASHPIVOT_EXAMPLES=1000`` raises
them for a longer local hunt (that is how the bugs fixed alongside this file were found).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import typing
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hashpivot.model.config.schema import PriceSection, Scenario
from hashpivot.model.simulation import HashpivotModel
from hashpivot.model.world.bitcoin import RETARGET_INTERVAL_BLOCKS, bits_to_target
from hashpivot.model.world.regions import load_regions

REGIONS = tuple(load_regions(None))
# Every price kind the schema offers (a new one is covered as soon as it is declared); the CSV kinds
# read the repository's monthly BTC prices, which every generated start date and horizon may outrun.
PRICE_KINDS = typing.get_args(PriceSection.model_fields["kind"].annotation)
PRICE_CSV = str(Path(__file__).resolve().parents[1] / "runs" / "data" / "btc_monthly_2024_2025.csv")
DEFAULT = Scenario()
EXAMPLES = int(os.environ.get("HASHPIVOT_EXAMPLES", "150"))  # + a quarter as many with Poisson blocks


def _floats(low: float, high: float) -> st.SearchStrategy[float]:
    # Bounds inside the schema's; no NaN or infinity, which the schema rejects (tested elsewhere).
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


@st.composite
def archetypes(draw) -> list[dict]:
    """The default archetypes with counts scaled down and some values redrawn.

    Named archetypes keep 0 or 1 agent, spread ones 0-3, so a world has at most ~11 miners; regions,
    initial strategies, MW (0 included: a miner with nothing), cash and leverage vary.
    """
    out = []
    for a in DEFAULT.miners:
        item = a.model_dump()
        item["count"] = draw(st.integers(0, 1 if a.spread == "none" else 3))
        if a.spread == "none":
            item["region"] = draw(st.sampled_from(REGIONS))
            item["mw"] = draw(st.one_of(st.just(0.0), _floats(1.0, 1_000.0)))
            item["sites"] = draw(st.integers(1, 4))
        item["strategy"] = draw(st.sampled_from(("hold", "hybrid", "exit")))
        item["convertible_share"] = draw(_floats(0.0, 1.0))
        item["cash_usd_per_mw"] = draw(_floats(0.0, 2e6))
        item["debt_usd_per_mw"] = draw(_floats(0.0, 2e6))
        item["btc_per_mw"] = draw(_floats(0.0, 20.0))
        item["hodl_share"] = draw(_floats(0.0, 1.0))
        item["j_per_th"] = draw(_floats(10.0, 60.0))
        item["capex_multiplier"] = draw(_floats(0.1, 5.0))
        item["power_adder_usd_per_mwh"] = draw(_floats(-20.0, 100.0))
        out.append(item)
    return out


@st.composite
def shocks(draw, start: dt.date, days: int) -> list[dict]:
    """0-2 shocks dated within the run (a shock before the start date is invalid input)."""
    items = []
    for _ in range(draw(st.integers(0, 2))):
        items.append(
            {
                "date": start + dt.timedelta(days=draw(st.integers(0, days + 30))),
                "kind": draw(st.sampled_from(("ban", "power_price"))),
                "regions": draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=3, unique=True)),
                "power_price_multiplier": draw(st.one_of(st.just(0.0), _floats(0.1, 10.0))),
                "duration_days": draw(st.integers(0, 120)),
            }
        )
    return sorted(items, key=lambda s: s["date"])


@st.composite
def scenarios(draw) -> Scenario:
    """A random valid scenario (validated by the schema itself, so generation cannot drift from it)."""
    start = dt.date(2024, 4, 20) + dt.timedelta(days=draw(st.integers(-400, 900)))
    days = draw(st.integers(30, 200))
    terms = {
        "term_years": draw(_floats(0.5, 20.0)),
        "escalator_per_year": draw(_floats(0.0, 0.2)),
        "prepayment_share": draw(_floats(0.0, 1.0)),
        "margin": draw(_floats(0.05, 1.0)),
        "conversion_capex_usd_per_mw": draw(_floats(0.0, 15e6)),
        "build_days": draw(st.integers(0, 400)),
        "late_penalty_share_per_day": draw(_floats(0.0, 0.01)),
    }
    data = {
        "name": "generated",
        "run": {
            "start_date": start,
            "days": days,
            "stochastic_blocks": draw(st.booleans()),
            "initial_network_ehs": draw(_floats(50.0, 2_000.0)),
            "decision_interval_days": draw(st.integers(1, 60)),
        },
        "bitcoin": {"fees_btc_per_block": draw(_floats(0.0, 2.0))},
        "price": {
            "kind": draw(st.sampled_from(PRICE_KINDS)),
            "csv_path": PRICE_CSV,
            "start_usd": draw(_floats(2_000.0, 500_000.0)),
            "drift_per_year": draw(_floats(-2.0, 2.0)),
            "volatility_per_year": draw(_floats(0.0, 3.0)),
        },
        "mining": {
            "opex_usd_per_mw_day": draw(_floats(0.0, 1_000.0)),
            "ppa_hedge_share": draw(_floats(0.0, 1.0)),
            "machine_life_years": draw(_floats(0.5, 15.0)),
            "delivery_days": draw(st.integers(0, 200)),
            "hashprice_memory_days": draw(_floats(2.0, 365.0)),
            "unbuilt_share": draw(_floats(0.0, 0.9)),
        },
        "finance": {
            "rate_mining": draw(_floats(0.01, 1.0)),
            "rate_contracted": draw(_floats(0.01, 1.0)),
            "expected_btc_growth_per_year": draw(_floats(-0.9, 2.0)),
            "loan_to_cost_backstopped": draw(_floats(0.0, 1.0)),
            "debt_rate": draw(_floats(0.0, 1.0)),
            "equity_issuance_share_per_year": draw(_floats(0.0, 2.0)),
            "switch_hysteresis": draw(_floats(0.0, 2.0)),
        },
        "ai": {
            "hyperscalers": draw(st.integers(1, 3)),
            "spend_growth_per_year": draw(_floats(-0.5, 2.0)),
            "addressable_share": draw(_floats(0.0, 1.0)),
            "rfp_interval_days": draw(st.integers(1, 90)),
            "min_block_mw": draw(_floats(1.0, 100.0)),
            "gpu_cloud_share": draw(_floats(0.0, 1.0)),
            "negotiation": draw(st.sampled_from(("nash", "rubinstein"))),
            "bargaining_power_base": draw(_floats(0.0, 1.0)),
            "us_preference": draw(_floats(0.0, 1.0)),
            "greenfield_build_days": draw(st.integers(0, 1_000)),
            "colocation": terms,
        },
        "grid": {
            "price_scale": draw(_floats(0.1, 10.0)),
            "dr_scale": draw(_floats(0.0, 10.0)),
            "scarcity_scale": draw(_floats(0.0, 20.0)),
            "study_scale": draw(_floats(0.1, 10.0)),
            "texas_rule_strict": draw(st.booleans()),
            "flexible_headroom_credit": draw(_floats(0.0, 1.0)),
            "parcel_release_mw_per_year": draw(_floats(0.0, 1.0)),
        },
        "miners": draw(archetypes()),
        "rules": {
            "strategy": draw(st.sampled_from(("npv", "myopic"))),
            "auction": draw(st.sampled_from(("second_price", "first_price"))),
        },
        "shocks": draw(shocks(start, days)),
    }
    return Scenario.model_validate(data)


def retarget_boundaries_crossed(tip_before: float, tip_after: float) -> int:
    """How many heights 2016k - 1 the tip passed on its way from ``tip_before`` to ``tip_after``.

    A tip standing on 2016k - 1 has already been retargeted, so it counts from the next boundary.
    """
    return math.floor((tip_after + 1) / RETARGET_INTERVAL_BLOCKS) - math.floor(
        (tip_before + 1) / RETARGET_INTERVAL_BLOCKS
    )


def positive_finite(name: str, value: float, day: int) -> None:
    assert math.isfinite(value) and value > 0, f"day {day}: {name} = {value!r}"


def run_and_check(scenario: Scenario, seed: int) -> HashpivotModel:
    """Step ``scenario`` to its horizon, checking every invariant after every day."""
    model = HashpivotModel(scenario, seed=seed, check_invariants=True)
    power: list[np.ndarray] = []
    power_prices = model.grid.power_prices

    def spy():  # keep the day's hourly power prices, which the model does not store
        prices, called = power_prices()
        power.append(prices)
        return prices, called

    model.grid.power_prices = spy
    for day in range(scenario.run.days):
        tip, bits = model.network.tip, model.network.bits
        model.step()  # asserts sites.check, accounts.check, leases <= converting + AI, hashrate
        net, rec = model.network, model.recorder
        positive_finite("network hashrate", rec.last("network_hashrate_ehs"), day)
        positive_finite("difficulty", net.difficulty, day)
        positive_finite("BTC price", model.btc_price_usd, day)
        if scenario.run.stochastic_blocks:
            # A Poisson day may find no block (a world with almost no hashrate): revenue 0.
            assert math.isfinite(model.hashprice_observed) and model.hashprice_observed >= 0
        else:
            positive_finite("hashprice", model.hashprice_observed, day)
        assert bits_to_target(net.bits) > 0
        prices = power[-1]
        assert np.all(np.isfinite(prices)) and np.all(prices >= 0), f"day {day}: power prices"
        # Difficulty changes only at retargets, and each retarget moves it at most 4x either way.
        crossed = retarget_boundaries_crossed(tip, net.tip)
        assert crossed == model.today.chain.retargets, (day, tip, net.tip)
        if crossed == 0:
            assert net.bits == bits, f"day {day}: bits changed without a retarget"
        else:
            # The compact encoding truncates the target to a 16-23 bit mantissa: allow 2**-15 a step.
            ratio = bits_to_target(net.bits) / bits_to_target(bits)
            slack = (1 + 2.0**-15) ** crossed
            assert 4.0**-crossed / slack <= ratio <= 4.0**crossed * slack, (day, ratio)
        # The recorded series are the chain's state, not a separate estimate.
        assert rec.last("difficulty") == net.difficulty
        assert rec.last("block_height") == net.height
        assert rec.last("btc_price_usd") == model.btc_price_usd
    assert model.recorder.n == scenario.run.days
    return model


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_invariants_hold_every_day_of_generated_scenarios(scenario, seed):
    run_and_check(scenario, seed)


@settings(max_examples=max(EXAMPLES // 4, 5), deadline=None)
@given(
    scenario=scenarios(),
    seed=st.integers(0, 2**32 - 1),
)
def test_poisson_blocks_keep_the_chain_consistent(scenario, seed):
    # Stochastic blocks are where a retarget can fall mid-day at a random moment: force them on.
    data = scenario.model_dump()
    data["run"]["stochastic_blocks"] = True
    run_and_check(Scenario.model_validate(data), seed)
