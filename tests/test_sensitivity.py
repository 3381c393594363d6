"""Tests for model/tools/sensitivity.py: known indices via the sweep folder code path; a real sweep."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

import numpy as np
import pytest

from hashpivot.model.cli import sensitivity as sensitivity_cmd
from hashpivot.model.config.errors import ConfigError
from hashpivot.model.tools.sensitivity import REPORT_DIR, analyze_sweep, markdown, point_means, write_report
from hashpivot.model.tools.sweep.design import build_design, tasks
from hashpivot.model.tools.sweep.execute import run_sweep
from hashpivot.model.tools.sweep.spec import load_sweep
from hashpivot.model.tools.sweep.store import SweepFolder

TINY_BASE = 'name = "tiny"\n[run]\ndays = 40\n'

# Three float parameters; their scenario ranges do not matter here, the test functions read the
# design's unit coordinates. One metric, filled in by the test instead of by simulations.
SYNTHETIC = """\
name = "synthetic"
base = "tiny"

[[parameters]]
name = "price.drift_per_year"
low = -1.0
high = 1.0

[[parameters]]
name = "price.volatility_per_year"
low = 0.0
high = 1.0

[[parameters]]
name = "ai.spend_growth_per_year"
low = 0.0
high = 1.0

[design]
{design}
root_seed = 2024

[[outputs.metrics]]
name = "y"
column = "btc_price_usd"
reducer = "final"

[[outputs.metrics]]
name = "peak_date"
column = "btc_price_usd"
reducer = "date_of_max"
"""


def make_sweep(folder: Path, text: str) -> Path:
    (folder / "tiny.toml").write_text(TINY_BASE, encoding="utf-8")
    path = folder / "sweep.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def fake_sweep(tmp_path: Path, design: str, function, noise: float = 0.0) -> Path:
    """A sweep folder written by the sweep's own store, with ``function(unit row)`` as output."""
    plan = load_sweep(make_sweep(tmp_path, SYNTHETIC.format(design=design)))
    unit = build_design(plan.spec)
    out = tmp_path / "out"
    rng = np.random.default_rng(0)
    with SweepFolder.open(out, plan, unit) as folder:
        writer = folder.writer(flush_rows=5000)
        for task in tasks(plan.spec, unit):
            y = function(unit[task.point_id]) + noise * rng.standard_normal()
            row = {**task.values, "y": y, "status": "ok", "error": "", "wall_time_s": 0.0}
            writer.add({"run_id": task.run_id, "point_id": task.point_id,
                        "replication": task.replication, "seed": task.seed, **row})  # fmt: skip
        writer.flush()
    return out


def ishigami(u: np.ndarray) -> float:
    x = -np.pi + 2 * np.pi * u
    return float(np.sin(x[0]) + 7 * np.sin(x[1]) ** 2 + 0.1 * x[2] ** 4 * np.sin(x[0]))


ISHIGAMI_S1 = (0.3139, 0.4424, 0.0)
ISHIGAMI_ST = (0.5576, 0.4424, 0.2437)
ISHIGAMI_S13 = 0.2437


def test_sobol_recovers_the_ishigami_indices(tmp_path):
    design = 'method = "sobol"\nsamples = 1024\ncalc_second_order = true'
    out = fake_sweep(tmp_path, design, ishigami)
    result = analyze_sweep(out, "y", resamples=200)
    by_name = {r["parameter"]: r for r in result.rows}
    names = ["price.drift_per_year", "price.volatility_per_year", "ai.spend_growth_per_year"]
    for name, s1, st in zip(names, ISHIGAMI_S1, ISHIGAMI_ST, strict=True):
        assert by_name[name]["S1"] == pytest.approx(s1, abs=0.05), name
        assert by_name[name]["ST"] == pytest.approx(st, abs=0.05), name
        assert 0 < by_name[name]["ST_conf"] < 0.15
    assert result.ranking() == names  # ST: x1 > x2 > x3
    pairs = {(p["parameter_1"], p["parameter_2"]): p["S2"] for p in result.second_order}
    assert pairs[(names[0], names[2])] == pytest.approx(ISHIGAMI_S13, abs=0.1)
    assert pairs[(names[0], names[1])] == pytest.approx(0.0, abs=0.1)
    assert (result.points, result.runs) == (1024 * 8, 1024 * 8)


def test_replications_are_averaged_per_point(tmp_path):
    design = 'method = "sobol"\nsamples = 256\nreplications = 4'
    out = fake_sweep(tmp_path, design, ishigami, noise=0.5)
    means, runs = point_means(out, "y", 256 * 5)
    assert runs == 256 * 5 * 4
    plan = load_sweep(tmp_path / "sweep.toml")
    exact = np.array([ishigami(u) for u in build_design(plan.spec)])
    assert np.abs(means - exact).max() < 1.5  # 4 draws of sd 0.5: the mean has sd 0.25
    assert np.abs(means - exact).mean() < 0.3


def test_morris_gives_the_effects_of_a_linear_function(tmp_path):
    design = 'method = "morris"\nsamples = 20\nnum_levels = 4'
    out = fake_sweep(tmp_path, design, lambda u: 3.0 * u[0] - 1.0 * u[1])
    result = analyze_sweep(out, "y", resamples=100)
    by_name = {r["parameter"]: r for r in result.rows}
    assert by_name["price.drift_per_year"]["mu_star"] == pytest.approx(3.0)
    assert by_name["price.volatility_per_year"]["mu"] == pytest.approx(-1.0)
    assert by_name["ai.spend_growth_per_year"]["mu_star"] == pytest.approx(0.0)
    assert by_name["price.drift_per_year"]["sigma"] == pytest.approx(0.0, abs=1e-9)
    assert result.ranking()[0] == "price.drift_per_year"


def test_report_files_are_written_and_reproducible(tmp_path):
    out = fake_sweep(tmp_path, 'method = "sobol"\nsamples = 64', ishigami)
    first = write_report(out, analyze_sweep(out, "y", resamples=100))
    assert sorted(p.name for p in first) == ["y.csv", "y.md", "y.png", "y.svg"]
    contents = {p.name: p.read_bytes() for p in first}
    write_report(out, analyze_sweep(out, "y", resamples=100))
    for name in ("y.csv", "y.md", "y.svg"):
        assert (out / REPORT_DIR / name).read_bytes() == contents[name], name
    assert contents["y.csv"].decode().splitlines()[0] == (
        "rank,parameter,S1,S1_conf,ST,ST_conf,S1_low,S1_high,ST_low,ST_high,ST_half"
    )
    assert "| 1 | `price.drift_per_year` |" in contents["y.md"].decode()
    assert contents["y.png"].startswith(b"\x89PNG")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    sensitivity_cmd.add_arguments(parser)
    return parser.parse_args(argv)


REAL = """\
name = "real"
base = "tiny"
days = 30

[[parameters]]
name = "price.drift_per_year"
low = -1.0
high = 1.0

[[parameters]]
name = "price.volatility_per_year"
low = 0.1
high = 0.8

[design]
method = "sobol"
samples = 4
root_seed = 5

[[outputs.metrics]]
name = "price_final"
column = "btc_price_usd"
reducer = "final"

[[outputs.metrics]]
name = "price_first"  # the start price: the same in every run
column = "btc_price_usd"
reducer = "first"
"""


def test_sensitivity_command_on_a_small_real_sweep(tmp_path, capsys):
    plan = load_sweep(make_sweep(tmp_path, REAL))
    out = tmp_path / "out"
    summary = run_sweep(plan, out, workers=1)
    assert summary.ok == 4 * (2 + 2)
    assert sensitivity_cmd.main(parse([str(out), "--resamples", "50"])) == 0
    printed = capsys.readouterr()
    assert "Sensitivity of `price_final` (Sobol)" in printed.out
    for suffix in ("csv", "md", "png", "svg"):
        assert (out / REPORT_DIR / f"price_final.{suffix}").is_file()
    # A metric that is the same in every run is skipped with a note when not asked for by name.
    assert "note: skipped price_first: " in printed.err
    assert not (out / REPORT_DIR / "price_first.csv").exists()


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("hashpivot: error: "), err
    return err


def test_sensitivity_refuses_what_it_cannot_analyse(tmp_path, capsys):
    out = fake_sweep(tmp_path, 'method = "sobol"\nsamples = 16', ishigami)
    assert sensitivity_cmd.main(parse([str(out), "--output", "nope"])) == 2
    assert "'nope' is not an output of this sweep" in _one_line_error(capsys)
    assert sensitivity_cmd.main(parse([str(out), "--output", "peak_date"])) == 2
    assert "gives dates, not numbers" in _one_line_error(capsys)
    assert sensitivity_cmd.main(parse([str(tmp_path / "missing")])) == 2
    assert "not a folder" in _one_line_error(capsys)
    assert sensitivity_cmd.main(parse([str(tmp_path)])) == 2
    assert "not a sweep folder" in _one_line_error(capsys)


def test_sensitivity_needs_a_sobol_or_morris_design(tmp_path, capsys):
    out = fake_sweep(tmp_path, 'method = "lhs"\nsamples = 16', ishigami)
    assert sensitivity_cmd.main(parse([str(out)])) == 2
    assert "'sobol' or 'morris'" in _one_line_error(capsys)


def test_sensitivity_needs_every_design_point(tmp_path):
    out = fake_sweep(tmp_path, 'method = "sobol"\nsamples = 16', ishigami)
    parts = sorted((out / "results").glob("part-*.parquet"))
    import pyarrow.parquet as pq

    table = pq.read_table(parts[0])
    pq.write_table(table.slice(0, table.num_rows - 3), parts[0])  # drop the last three runs
    with pytest.raises(ConfigError, match="3 of 80 design points have no successful run"):
        analyze_sweep(out, "y")


def test_a_constant_output_asked_for_by_name_is_an_error(tmp_path, capsys):
    out = fake_sweep(tmp_path, 'method = "sobol"\nsamples = 16', lambda u: 1.0)
    assert sensitivity_cmd.main(parse([str(out), "--output", "y"])) == 2
    assert "constant" in _one_line_error(capsys)


def test_every_index_has_its_interval_and_the_n_half_check(tmp_path):
    out = fake_sweep(tmp_path, 'method = "sobol"\nsamples = 1024', ishigami)
    result = analyze_sweep(out, "y", resamples=200)
    # Converged and tight: no warning, and the N/2 indices (512 samples) agree with the full design.
    assert result.warnings == [], result.warnings
    assert result.samples == 1024 and set(result.half) == set(result.ranking())
    for row in result.rows:
        assert abs(result.half[row["parameter"]] - row["ST"]) < 0.05
    text = markdown(result)
    first = result.rows[0]
    low, high = first["S1"] - first["S1_conf"], first["S1"] + first["S1_conf"]
    assert f"{first['S1']:.3f} [{low:.3f}, {high:.3f}]" in text and "ST at N/2" in text and "Warning" not in text


def test_small_or_noisy_designs_are_flagged(tmp_path, capsys):
    # Issue 20: Sobol indices of 1.24, 1.78 and -0.56 printed with no caveat. A small design of a noisy
    # output gives such indices; they must come with visible warnings (in the table and on stderr).
    out = fake_sweep(tmp_path, 'method = "sobol"\nsamples = 8', ishigami, noise=3.0)
    result = analyze_sweep(out, "y", resamples=200)
    kinds = {w.split(":")[0] for w in result.warnings}
    assert "wide intervals" in kinds, result.warnings
    outside = [r[k] for r in result.rows for k in ("S1", "ST") if not -0.02 <= r[k] <= 1.02]
    assert ("indices outside [0, 1]" in kinds) == bool(outside)
    assert "> **Warning**: wide intervals" in markdown(result)
    assert sensitivity_cmd.main(parse([str(out), "--output", "y", "--resamples", "50"])) == 0
    assert "warning: y: wide intervals" in capsys.readouterr().err


def test_indices_outside_the_unit_interval_are_named(tmp_path):
    from hashpivot.model.tools.sensitivity import Sensitivity, trust_warnings

    rows = [
        {"rank": 1, "parameter": "a", "S1": 1.24, "S1_conf": 0.05, "ST": 1.78, "ST_conf": 0.05},
        {"rank": 2, "parameter": "b", "S1": -0.56, "S1_conf": 0.05, "ST": 0.3, "ST_conf": 0.05},
    ]
    found = trust_warnings(Sensitivity("y", "sobol", rows, samples=2))
    assert found[0].startswith("indices outside [0, 1]: 1.24 (S1 of a), 1.78 (ST of a), -0.56 (S1 of b)")
    assert found[-1].startswith("no convergence check")
