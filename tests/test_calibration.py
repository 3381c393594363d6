"""A small ensemble of the calibration (issue 4): the seed facts' bands, asserted.

Bands are issue 4's table (sources in model/tools/calibration.py and shared/domain/seed-facts.md). The full
ensemble (30 seeds) is `make calibrate`; this runs 4 seeds so CI can afford it.
"""

import dataclasses
import datetime as dt

import numpy as np
import pytest

from hashpivot.model.config.scenarios import load_scenario
from hashpivot.model.tools import calibration as cal
from hashpivot.model.tools.run import RunResult
from hashpivot.model.world.regions import load_regions

pytestmark = pytest.mark.slow
SEEDS = [0, 1, 2, 3]
KNOWN_GAPS: dict[str, str] = {}  # rows known to fail, with the reason (xfail strict); none at present


@pytest.fixture(scope="module")
def runs():
    base = load_scenario(None).scenario
    mass_exit = load_scenario("mass_exit_2026").scenario
    backtest = load_scenario("backtest_2024_2025").scenario
    return cal.run_ensembles(base, mass_exit, backtest, SEEDS, workers=1), mass_exit.shocks[0].date


def _facts(shock: dt.date):
    scarcity = {k: v.scarcity_hours_per_year for k, v in load_regions().items()}
    return {f.id: f for f in cal.facts(scarcity, shock)}


@pytest.mark.parametrize("fact_id", [f"SF-{i}" for i in range(1, 9)])
def test_seed_fact_band(runs, fact_id, request):
    results, shock = runs
    if fact_id in KNOWN_GAPS:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_GAPS[fact_id], strict=True))
    fact = _facts(shock)[fact_id]
    summary = cal.summarise(fact.measure(results), fact.low, fact.high)
    assert summary["pass"], f"{fact_id}: mean {summary['mean']:.3g} outside {fact.band} ({summary})"


def test_mass_exit_difficulty_follows_within_one_retarget(runs):
    # SF-7 spelled out: the first retarget after the shock comes within one period (~14 days at the old rate,
    # longer when blocks slow) and lowers difficulty.
    results, shock = runs
    for part in cal.sf7_parts(results, shock):
        assert part["hashrate"] < 0.95
        assert part["difficulty"] < 0.95
        assert part["retarget_day"] <= 2016 / 144 / 0.5  # even at half the hashrate
        assert part["hashprice_vs_baseline"] > 1.0


def test_backtest_within_aim(runs):
    # Issue 4 aims for <= 15% error against calibration.md's reported hashrate levels; 25% is asserted here
    # (Q4 2024 is the weakest point, see docs/calibration.md), and the mean absolute error below 15%.
    results, _ = runs
    rows = cal.backtest_table(results["backtest"])
    errors = np.array([abs(r["error"]) for r in rows])
    assert errors.max() < 0.25
    assert errors.mean() < 0.15


def test_valuation_gap_is_narrower_on_market_cap_than_on_enterprise_value(runs):
    # SF-4 is measured on market cap (docs/calibration.md): AI-focused firms finance conversions and GPUs with
    # debt (economics.md: up to ~85% loan-to-cost), so their lenders hold much of the contracts' value and the
    # gap in what their shares trade at is narrower than the gap in enterprise value, in every seed.
    results, _ = runs
    on_cap = cal.sf4_market_cap(results)
    on_ev = cal.sf4_enterprise_value(results)
    assert all(c < e for c, e in zip(on_cap, on_ev, strict=True))


def _cut(run: RunResult, last: dt.date) -> RunResult:
    """The run's daily series up to and including ``last`` (the panels as they are)."""
    keep = run.timeseries["date"] <= last.isoformat()
    return dataclasses.replace(run, timeseries={k: v[keep] for k, v in run.timeseries.items()})


def test_each_fact_reads_only_its_ensembles_and_dates(runs):
    # hashpivot report measures facts on an ensemble's own runs trusting this metadata: a measure given only
    # the ensembles it names, their daily series cut after its last date, gives the same values.
    results, shock = runs
    for fact in _facts(shock).values():
        given = {name: results[name] for name in fact.ensembles}
        if fact.last_date is not None:
            given = {name: [_cut(r, fact.last_date) for r in rs] for name, rs in given.items()}
        np.testing.assert_array_equal(fact.measure(given), fact.measure(results), err_msg=fact.id)
