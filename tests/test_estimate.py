"""``hashpivot estimate``: the method on problems with known answers, the runs and their resume, bad input.

The method's pure parts are tested on analytic problems whose posterior is known; the whole command on the real
model with a small synthetic-recovery problem (fees and BTC drift set hashprice and the BTC price within weeks).
"""

from __future__ import annotations

import argparse
import json
import math
import textwrap
from pathlib import Path

import numpy as np
import pytest

from hashpivot.model.cli import estimate as estimate_cmd
from hashpivot.model.tools.estimate import history_matching as hm
from hashpivot.model.tools.estimate.emulator import fit_emulators
from hashpivot.model.tools.estimate.report import estimate_rows, write_outputs
from hashpivot.model.tools.estimate.run import run_estimation
from hashpivot.model.tools.estimate.spec import load_estimation
from hashpivot.model.tools.sweep.spec import spec_dump

TINY_BASE = """\
name = "tiny"
[run]
days = 60
[price]
volatility_per_year = 0.05  # a calm price, so that its drift shows within weeks
"""

# Two parameters with a direct effect within weeks: the fees in every block reward (hashprice) and the BTC
# price's drift (the price itself, calm in this base). 10 points x 1 seed in one wave, 3 check runs: 14 runs of 45 days.
SMALL = """\
name = "small"
base = "tiny"
days = 45

[[parameters]]
name = "bitcoin.fees_btc_per_block"
low = 0.0
high = 1.0

[[parameters]]
name = "price.drift_per_year"
low = -0.5
high = 1.5

[[targets]]
name = "hashprice_mean"
column = "hashprice_usd_per_ph_day"
reducer = "mean"
start = 2024-05-01
end = 2024-06-03
observed = 50.0
sd = 1.0
source = "test: replaced by --synthetic"

[[targets]]
name = "price_final"
column = "btc_price_usd"
reducer = "final"
observed = 60000.0
sd = 1500.0
source = "test: replaced by --synthetic"

[method]
waves = 1
points = 10
replications = 1
check_replications = 3
posterior_draws = 4096
root_seed = 7
"""


def write_file(folder: Path, text: str = SMALL, name: str = "est.toml") -> Path:
    (folder / "tiny.toml").write_text(TINY_BASE, encoding="utf-8")
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    estimate_cmd.add_arguments(parser)
    return parser.parse_args(argv)


# --------------------------------------------------------------------------------------------
# The method on analytic problems
# --------------------------------------------------------------------------------------------


def _noisy_line(unit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Target 0 rises with parameter 0 (slope 50, noise sd 2); target 1 is noise around 10 (no parameter acts)."""
    n = len(unit)
    return np.column_stack([100 + 50 * unit[:, 0] + rng.normal(0, 2, n), 10 + rng.normal(0, 1, n)])


def test_posterior_recovers_a_known_parameter_and_flags_the_one_the_data_do_not_see():
    rng = np.random.default_rng(3)
    unit = rng.random((40, 2))
    emulators = fit_emulators(unit, _noisy_line(unit, rng), seed=1)
    # Observed at x0 = 0.3: 115; sd 1 for the observation, 2 for one run's noise: posterior sd ~ sqrt(5)/50 = 0.045.
    obs = hm.Observations(("line", "noise"), np.array([115.0, 10.0]), np.array([1.0, 1.0]))
    draws = np.random.default_rng(4).random((8192, 2))
    mean, var = emulators.predict(draws)
    weights = hm.normalised_weights(hm.log_likelihood(mean, var, obs))
    first, second = hm.marginals(draws, weights)
    assert first.low90 < 0.3 < first.high90
    assert abs(first.median - 0.3) < 0.05
    assert 0.05 < first.high90 - first.low90 < 0.25  # ~ 2 x 1.645 x 0.045 = 0.15, widened by the emulator
    assert first.identified and first.contraction > 0.9
    assert not second.identified and second.contraction < 0.3
    # The learnt run-to-run spread is the noise put in (sd 2), within sampling error.
    assert 1.3 < emulators.noise_sd()[0] < 2.8


def test_two_parameters_that_trade_off_show_as_a_strong_negative_correlation():
    """Equifinality: one target that sees only x0 + x1 pins the sum, not each; the correlation says so."""
    rng = np.random.default_rng(5)
    unit = rng.random((40, 2))
    y = (100 * (unit[:, 0] + unit[:, 1]) + rng.normal(0, 1, 40))[:, None]
    emulators = fit_emulators(unit, y, seed=2)
    obs = hm.Observations(("sum",), np.array([100.0]), np.array([2.0]))
    draws = np.random.default_rng(6).random((8192, 2))
    weights = hm.normalised_weights(hm.log_likelihood(*emulators.predict(draws), obs))
    assert hm.weighted_correlation(draws, weights)[0, 1] < -0.9
    assert not any(m.identified for m in hm.marginals(draws, weights))  # neither alone is pinned down


def test_implausibility_rules_out_points_far_from_the_observation():
    obs = hm.Observations(("y",), np.array([10.0]), np.array([1.0]))
    mean = np.array([[10.0], [12.0], [14.0], [20.0]])
    var = np.full_like(mean, 1.0)
    imp = hm.implausibility(mean, var, obs)[:, 0]
    np.testing.assert_allclose(imp, [0.0, 2 / math.sqrt(2), 4 / math.sqrt(2), 10 / math.sqrt(2)])
    assert list(hm.max_implausibility(hm.implausibility(mean, var, obs)) <= 3.0) == [True, True, True, False]


def test_weighted_quantiles_match_numpy_with_equal_weights():
    x = np.random.default_rng(0).normal(size=20_001)
    w = np.full(x.size, 1.0 / x.size)
    for q in (0.05, 0.5, 0.95):
        assert hm.weighted_quantile(x, w, q) == pytest.approx(np.quantile(x, q), abs=2e-3)


def test_spread_out_picks_distinct_far_apart_points_deterministically():
    candidates = np.random.default_rng(1).random((500, 2))
    picked = hm.spread_out(candidates, 10, start=np.array([[0.5, 0.5]]))
    assert len(set(picked.tolist())) == 10
    assert np.array_equal(picked, hm.spread_out(candidates, 10, start=np.array([[0.5, 0.5]])))
    chosen = candidates[picked]
    gaps = np.sqrt(((chosen[:, None] - chosen[None]) ** 2).sum(-1))[np.triu_indices(10, 1)]
    random_gaps = np.sqrt(((candidates[:10, None] - candidates[None, :10]) ** 2).sum(-1))[np.triu_indices(10, 1)]
    assert gaps.min() > random_gaps.min()
    assert np.sqrt(((chosen - 0.5) ** 2).sum(1)).min() > 0.1  # away from the point already run


# --------------------------------------------------------------------------------------------
# The whole command on the real model
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recovered(tmp_path_factory):
    """A synthetic-recovery run of the small problem (real model, in this process), and its folder."""
    folder = tmp_path_factory.mktemp("estimate")
    path = write_file(folder)
    out = folder / "out"
    code = estimate_cmd.main(parse([str(path), "--workers", "1", "--out", str(out), "--synthetic", SYNTHETIC]))
    assert code == 0
    return path, out


SYNTHETIC = "bitcoin.fees_btc_per_block=0.6,price.drift_per_year=0.4"


def _estimates(out: Path) -> dict[str, dict]:
    import csv

    with (out / "estimates.csv").open(encoding="utf-8") as handle:
        return {row["parameter"]: row for row in csv.DictReader(handle)}


def test_synthetic_recovery_puts_each_true_value_in_its_interval(recovered):
    _, out = recovered
    rows = _estimates(out)
    assert list(rows) == ["bitcoin.fees_btc_per_block", "price.drift_per_year"]
    assert list(next(iter(rows.values())))[:6] == [
        "parameter",
        "estimate",
        "low90",
        "high90",
        "prior_low",
        "prior_high",
    ]
    for name, truth in (("bitcoin.fees_btc_per_block", 0.6), ("price.drift_per_year", 0.4)):
        row = rows[name]
        assert float(row["low90"]) <= truth <= float(row["high90"]), row
        assert row["true_in_interval"] == "true"  # csv_cell writes booleans as in TOML
    # Fees move hashprice directly: the data pin them down to a fraction of the prior.
    fees = rows["bitcoin.fees_btc_per_block"]
    assert float(fees["high90"]) - float(fees["low90"]) < 0.5
    report = (out / "estimate.md").read_text(encoding="utf-8")
    assert "Synthetic recovery: 2 of 2 true values lie in their 90% interval." in report
    for figure in ("marginals", "fit", "pairs"):
        assert (out / "figures" / f"{figure}.png").stat().st_size > 1000
    manifest = json.loads((out / "estimation.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "complete" and manifest["runs_used"] == 1 + 10 + 3


def test_running_again_resumes_without_new_runs_and_gives_the_same_estimates(recovered, capsys):
    path, out = recovered
    before = (out / "estimates.csv").read_bytes()
    parts = sorted(str(p.relative_to(out)) for p in out.glob("*/results/part-*.parquet"))
    assert estimate_cmd.main(parse([str(path), "--workers", "1", "--out", str(out), "--synthetic", SYNTHETIC])) == 0
    assert (out / "estimates.csv").read_bytes() == before
    assert sorted(str(p.relative_to(out)) for p in out.glob("*/results/part-*.parquet")) == parts  # no new runs
    assert json.loads((out / "estimation.json").read_text(encoding="utf-8"))["runs_used"] == 14


def test_seeds_come_from_the_root_seed_and_differ_between_batches(recovered):
    import pyarrow.parquet as pq

    _, out = recovered
    seeds = {
        name: pq.read_table(next((out / name / "results").glob("part-*.parquet"))).column("seed").to_pylist()
        for name in ("synthetic", "wave-1", "check")
    }
    every = [s for batch in seeds.values() for s in batch]
    assert len(set(every)) == len(every) == 14


def test_a_substitute_worker_sees_the_design_values(tmp_path):
    """The role passes each design point's values into the scenario (checked through a cheap analytic worker)."""
    path = write_file(tmp_path)
    plan = load_estimation(path)
    seen = []

    def worker(scenario, seed, days, reducers, keep_series=()):
        fees, drift = scenario["bitcoin"]["fees_btc_per_block"], scenario["price"]["drift_per_year"]
        seen.append((fees, drift))
        return {
            "status": "ok",
            "error": "",
            "wall_time_s": 0.0,
            "series": None,
            "metrics": {"hashprice_mean": 40 + 20 * fees, "price_final": 60000 * (1 + 0.1 * drift)},
        }

    result = run_estimation(plan, tmp_path / "out", workers=1, worker=worker, progress=False)
    assert len(seen) == 10 + 3
    assert all(0.0 <= f <= 1.0 and -0.5 <= d <= 1.5 for f, d in seen)
    # Observed 50 = 40 + 20 x 0.5 and 60,000 = drift 0: a deterministic worker, so the estimate is close.
    rows = {r["parameter"]: r for r in estimate_rows(result)}
    assert rows["bitcoin.fees_btc_per_block"]["estimate"] == pytest.approx(0.5, abs=0.08)
    assert rows["price.drift_per_year"]["estimate"] == pytest.approx(0.0, abs=0.4)
    written = write_outputs(result, tmp_path / "out")
    assert all(p.exists() for p in written)


# --------------------------------------------------------------------------------------------
# Bad input: one line naming the file (or flag), the field and what is accepted; nothing written
# --------------------------------------------------------------------------------------------


def _edit(old: str, new: str) -> str:
    assert old in SMALL, old
    return SMALL.replace(old, new, 1)


BAD_FILES = {
    "unknown parameter": (_edit("bitcoin.fees_btc_per_block", "bitcoin.fee"), "parameters.0.name", "no key 'fee'"),
    "bounds beyond the schema": (_edit("high = 1.5", "high = 5.0"), "parameters.1.high", "<= 2"),
    "bool parameter": (
        _edit('name = "price.drift_per_year"\nlow = -0.5\nhigh = 1.5', 'name = "firms.acquisitions"\nkind = "bool"'),
        "parameters.1.kind",
        "cannot be estimated",
    ),
    "unknown column": (_edit('column = "btc_price_usd"', 'column = "btc_price"'), "targets.1.column", "unknown column"),
    "missing observed": (_edit("observed = 60000.0\n", ""), "targets.1.observed", "required"),
    "sd not positive": (_edit("sd = 1500.0", "sd = 0.0"), "targets.1.sd", "> 0"),
    "missing source": (
        _edit('source = "test: replaced by --synthetic"\n\n[[targets]]', "[[targets]]"),
        "targets.0.source",
        "required",
    ),
    "window outside the runs": (_edit("end = 2024-06-03", "end = 2024-07-03"), "targets.0.end", "outside the runs"),
    "date reducer": (_edit('reducer = "final"', 'reducer = "date_of_max"'), "targets.1.reducer", "gives a date"),
    "too few points": (_edit("points = 10", "points = 2"), "method.points", ">= 4"),
    "unknown method": (_edit("waves = 1", 'name = "abc"\nwaves = 1'), "method.name", "history_matching"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_estimation_files_get_one_line_naming_file_and_field(case, tmp_path, capsys):
    text, field, words = BAD_FILES[case]
    path = write_file(tmp_path, text)
    out = tmp_path / "out"
    assert estimate_cmd.main(parse([str(path), "--out", str(out), "--workers", "1"])) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("hashpivot: error: "), err
    assert str(path) in err and f": {field}: " in err and words in err, err
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--synthetic", "bitcoin.fees_btc_per_block=0.5"], "no value for price.drift_per_year"),
        (["--synthetic", "bitcoin.fees_btc_per_block=2,price.drift_per_year=0"], "a number from 0.0 to 1.0"),
        (["--synthetic", "ai.hyperscalers=3"], "not a parameter of this file"),
        (["--budget", "5"], "--budget: 5 runs cannot pay for one wave"),
        (["--resume"], "--resume: needs --out"),
        (["--scheduler", "tcp://127.0.0.1:1"], "--workers and --scheduler: choose one"),
    ],
)
def test_bad_flags_get_one_line(argv, words, tmp_path, capsys):
    path = write_file(tmp_path)
    args = [str(path), "--workers", "1", *argv]
    if "--resume" not in argv:
        args += ["--out", str(tmp_path / "out")]
    assert estimate_cmd.main(parse(args)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err, err
    assert not (tmp_path / "out").exists()


def test_a_folder_holding_another_estimation_is_refused(recovered, tmp_path, capsys):
    path, out = recovered
    before = sorted(p.name for p in out.iterdir())
    assert estimate_cmd.main(parse([str(path), "--workers", "1", "--out", str(out)])) == 2  # no --synthetic now
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "holds another estimation" in err, err
    assert sorted(p.name for p in out.iterdir()) == before


def test_the_shipped_backtest_file_loads_with_its_sources():
    plan = load_estimation(Path(__file__).resolve().parents[1] / "runs" / "estimation" / "backtest_2024_2025.toml")
    assert set(plan.spec.names) == {"finance.expected_btc_growth_per_year", "ai.addressable_share"}
    assert all("calibration.md" in t.source for t in plan.spec.targets)


def test_sweep_metrics_without_a_window_dump_as_before():
    """Sweep folders made before windows existed keep their fingerprint (and resume)."""
    plan = load_estimation(Path(__file__).resolve().parents[1] / "runs" / "estimation" / "backtest_2024_2025.toml")
    dumped = spec_dump(
        plan.sweep.spec.model_copy(
            update={
                "outputs": plan.sweep.spec.outputs.model_copy(
                    update={
                        "metrics": tuple(
                            m.model_copy(update={"start": None, "end": None}) for m in plan.sweep.spec.outputs.metrics
                        )
                    }
                )
            }
        )
    )
    assert all(set(m) == {"name", "column", "reducer", "missing"} for m in dumped["outputs"]["metrics"])
