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
# Rows known to fail, with the reason (xfail strict: fixing one makes the test fail until it is removed here).
KNOWN_GAPS: dict[str, str] = {
    "SF-3": "fails since the supply side (30 seeds: 0.245 [0.087, 0.368] vs <= 0.20, a value in 28, after firms "
    "could fail and merge; 0.283 on these 4 seeds): the pivoter's mining behind its tenants keeps earning; "
    "docs/calibration-notes.md, 'Rows that fail'",
    "SF-4": "fails on these 4 seeds (1.48 vs 1.5-2.5) and passes on 30 (1.64 [1.31, 2.08]) since firms plan with the "
    "estimated 50%/yr BTC growth (docs/estimation.md): seeds 0-3 sit low in the ensemble's spread",
    "SF-5": "fails since firms plan with the estimated 50%/yr BTC growth (30 seeds: 2.13 [2, 3], 2.0 on these 4): "
    "no firm chooses a full exit by 2027-01-01 when holding is valued on that growth (baseline seed 0: 0 exits, "
    "1 at the hand-set 0.20); docs/calibration-notes.md, 'Rows that fail'",
}


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


def test_backtest_within_aim_on_average(runs):
    # Issue 4 aims for <= 15% error against calibration.md's reported hashrate levels: the mean absolute error
    # over the four points stays below 15% on these four seeds (on 30 seeds it is 15.5% since expansion follows
    # the NPV test: docs/calibration.md).
    results, _ = runs
    errors = np.array([abs(r["error"]) for r in cal.backtest_table(results["backtest"])])
    assert errors.mean() < 0.15


def test_backtest_every_point_within_25_percent(runs):
    # On these four seeds every point is within 25%; on 30 seeds 2024-Q4 is not (-28.4%, docs/calibration.md):
    # the post-halving rebound is slower than observed (docs/calibration-notes.md, 'Rows that fail').
    results, _ = runs
    errors = np.array([abs(r["error"]) for r in cal.backtest_table(results["backtest"])])
    assert errors.max() < 0.25


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


def test_calibrate_and_the_ensemble_report_give_one_number_per_fact(tmp_path, monkeypatch):
    # Issue 20: for seeds 0-3 SF-6 read 181 [163, 212] in `calibrate` and 152.5 [133.8, 182.4] in the
    # ensemble report, which measured the ensemble's whole (longer) runs. Both now cut the runs to the
    # calibration horizon; here a short one (120 days) and an ensemble that ran 150.
    from hashpivot.model.cli import main
    from hashpivot.model.tools.report.calibration import calibration_table
    from hashpivot.model.tools.report.source import open_source

    monkeypatch.setattr(cal, "CALIBRATION_DAYS", 120)
    folder = tmp_path / "ens"
    assert main(["ensemble", "--seeds", "2", "--workers", "1", "--days", "150", "--out", str(folder)]) == 0
    table = calibration_table(open_source(folder))
    shown = {row[0]: row for row in table.rows}
    base = load_scenario(None).scenario
    direct = {"baseline": [cal.simulate(base, seed=s, days=120) for s in (0, 1)]}
    facts = _facts(dt.date(2026, 1, 15))
    checked = 0
    for fact_id in ("SF-3", "SF-6"):  # the facts that read the whole panel: the ones the horizon moved
        fact = facts[fact_id]
        want = cal.summarise(cal.measure(fact, direct), fact.low, fact.high)
        got = shown[fact_id]
        np.testing.assert_array_equal([got[4], got[5], got[6], got[7]], [want[k] for k in ("mean", "p05", "p95", "n")])
        checked += int(want["n"] > 0)
    assert checked >= 1  # at least one of them has values at 120 days (else the comparison proves little)
    assert "first 120 days" in table.title and "as hashpivot calibrate measures them" in table.title


def test_a_cut_run_equals_a_run_of_that_length():
    base = load_scenario(None).scenario
    long, short = cal.simulate(base, seed=2, days=100), cal.simulate(base, seed=2, days=70)
    cut = cal.cut(long, 70)
    for column in ("network_hashrate_ehs", "mw_ai_leased"):
        np.testing.assert_array_equal(cut.timeseries[column], short.timeseries[column])
    assert [a["day"] for a in cut.agents] == [a["day"] for a in short.agents if a["day"] < 70]
    assert len(cut.leases) == len([x for x in short.leases if x["sign_day"] < 70])
