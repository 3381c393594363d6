"""Tests for the command line (model/cli/__init__.py, model/cli/), scenario loading and run output.

Most cases call ``main([...])`` in-process; a few go through ``python -m hashpivot`` in a subprocess
to check the real entry point, exit codes and cross-process reproducibility. Runs are 40 days.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from hashpivot.model import cli
from hashpivot.model.cli import COMMAND_MODULES, load_commands, main
from hashpivot.model.config.errors import ConfigError
from hashpivot.model.config.scenarios import RUNS_DIR, find_scenario, load_scenario
from hashpivot.model.config.schema import Scenario
from hashpivot.model.tools.output import EMPTY_COLUMNS, MANIFEST, PACKAGES, csv_cell, write_run
from hashpivot.model.tools.portable import absolute_scenario
from hashpivot.model.tools.run import simulate

DAYS = "40"
REPO = Path(__file__).resolve().parents[1]
TABLES = ("timeseries.csv", "agents.csv", "leases.csv", "sites.csv", "events.csv", "sales.csv")
ALL_FILES = {*TABLES, "timeseries.parquet", MANIFEST}
VARIANTS = sorted(RUNS_DIR.glob("*.toml"))
MANIFEST_KEYS = {
    "scenario", "scenario_sha256", "scenario_chain", "scenario_source", "seed", "days", "git",
    "python", "packages", "command", "wall_time_s", "data_files", "overrides",
}  # fmt: skip


def run_cli(*args: str, out: Path | None = None) -> int:
    """``main(["run", *args, "--days", "40", "--out", out])``."""
    extra = ["--out", str(out)] if out is not None else []
    return main(["run", *args, *extra])


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def run_subprocess(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "hashpivot", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def leftovers(folder: Path) -> list[str]:
    """Hidden temporary or backup folders a write may have left."""
    return [p.name for p in folder.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


# --------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------


def test_every_registered_command_has_the_interface():
    for module in load_commands():
        assert module.__name__ == f"hashpivot.model.cli.{module.NAME}"
        assert module.NAME in COMMAND_MODULES
        assert isinstance(module.HELP, str) and module.HELP
        assert callable(module.add_arguments) and callable(module.main)


def test_help_and_version_exit_zero(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMAND_MODULES:
        assert name in out
    assert main(["run", "--help"]) == 0
    assert main(["--version"]) == 0
    assert "hashpivot" in capsys.readouterr().out


def test_python_dash_m_model_runs_and_writes(tmp_path):
    out = tmp_path / "run"
    done = run_subprocess("run", "baseline", "--days", DAYS, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert set(os.listdir(out)) == ALL_FILES
    assert "network hashrate" in done.stdout and str(out) in done.stdout
    assert done.stderr == ""  # no progress bar when stderr is not a terminal


# --------------------------------------------------------------------------------------------
# run: outputs, manifest, reproducibility
# --------------------------------------------------------------------------------------------


def test_run_writes_every_table_and_the_manifest(tmp_path, capsys):
    out = tmp_path / "out"
    assert run_cli("--days", DAYS, "--seed", "3", out=out) == 0
    assert set(os.listdir(out)) == ALL_FILES
    assert leftovers(tmp_path) == []

    rows = read_csv(out / "timeseries.csv")
    assert len(rows) == 40
    assert rows[0]["date"] == "2024-04-20" and rows[-1]["date"] == "2024-05-29"
    assert "network_hashrate_ehs" in rows[0] and "hashprice_usd_per_ph_day" in rows[0]
    for table in TABLES[1:]:
        assert (out / table).read_text(encoding="utf-8").startswith(tuple(f"{c}," for c in ("day", "site", "lease_id")))

    table = pq.read_table(out / "timeseries.parquet")
    assert table.num_rows == 40
    assert table.column("date")[0].as_py() == dt.date(2024, 4, 20)
    parquet_prices = table.column("btc_price_usd").to_pylist()
    assert parquet_prices == [float(r["btc_price_usd"]) for r in rows]  # repr round-trips

    meta = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert MANIFEST_KEYS <= set(meta)
    assert meta["seed"] == 3 and meta["days"] == 40
    assert meta["scenario"]["name"] == "baseline"
    assert meta["scenario_chain"] == ["runs/baseline.toml"]  # relative to the project, on any machine
    assert len(meta["scenario_sha256"]) == 64
    assert set(meta["git"]) == {"commit", "dirty"}
    assert set(meta["packages"]) == set(PACKAGES)
    assert meta["command"][:2] == ["hashpivot", "run"]
    assert meta["data_files"]["grid.regions_file"]["path"].endswith("regions.toml")
    assert meta["scenario"]["price"]["csv_path"] == "runs/data/btc_monthly_2024_2025.csv"
    assert Scenario.model_validate(absolute_scenario(meta["scenario"])) == load_scenario(None).scenario

    printed = capsys.readouterr().out
    for label in ("final date", "network hashrate", "hashprice", "MW mining / AI leased",
                  "miners hold/hybrid/exit", "leases signed", "hashrate share US / TX",
                  "BTC revenue share", str(out)):  # fmt: skip
        assert label in printed


def test_same_seed_gives_byte_identical_tables(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert run_cli("--days", DAYS, "--seed", "7", out=a) == 0
    assert run_cli("--days", DAYS, "--seed", "7", out=b) == 0
    for table in (*TABLES, "timeseries.parquet"):
        assert (a / table).read_bytes() == (b / table).read_bytes(), table


def test_same_seed_is_identical_across_processes(tmp_path):
    outs = [tmp_path / "p1", tmp_path / "p2"]
    for out in outs:
        done = run_subprocess("run", "--days", DAYS, "--seed", "11", "--out", str(out))
        assert done.returncode == 0, done.stderr
    assert run_cli("--days", DAYS, "--seed", "11", out=tmp_path / "inproc") == 0
    for table in ("timeseries.csv", "agents.csv"):
        data = {(out / table).read_bytes() for out in (*outs, tmp_path / "inproc")}
        assert len(data) == 1, table


def test_different_seeds_give_different_price_paths(tmp_path):
    # The baseline follows observed prices until Dec 2025, so take a GBM path from the start.
    a, b = tmp_path / "a", tmp_path / "b"
    assert run_cli("--days", DAYS, "--seed", "1", "--set", "price.kind=gbm", out=a) == 0
    assert run_cli("--days", DAYS, "--seed", "2", "--set", "price.kind=gbm", out=b) == 0
    assert (a / "timeseries.csv").read_bytes() != (b / "timeseries.csv").read_bytes()
    prices_a = [r["btc_price_usd"] for r in read_csv(a / "timeseries.csv")]
    prices_b = [r["btc_price_usd"] for r in read_csv(b / "timeseries.csv")]
    assert prices_a[0] == prices_b[0]  # same start price
    assert prices_a[1:] != prices_b[1:]  # different GBM draws


def test_until_runs_to_and_including_the_date(tmp_path):
    out = tmp_path / "out"
    assert run_cli("--until", "2024-05-29", out=out) == 0
    rows = read_csv(out / "timeseries.csv")
    assert len(rows) == 40 and rows[-1]["date"] == "2024-05-29"
    assert json.loads((out / MANIFEST).read_text())["days"] == 40


def test_until_and_days_give_the_same_run(tmp_path):
    assert run_cli("--until", "2024-05-29", out=tmp_path / "u") == 0
    assert run_cli("--days", DAYS, out=tmp_path / "d") == 0
    for table in ("timeseries.csv", "agents.csv"):
        assert (tmp_path / "u" / table).read_bytes() == (tmp_path / "d" / table).read_bytes()


def test_default_out_dir_is_runs_out_scenario_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "btc_bear", "--days", "5"]) == 0
    assert (tmp_path / "runs" / "out" / "btc_bear" / MANIFEST).is_file()


def test_run_with_overrides_never_writes_over_another_run(tmp_path, monkeypatch, capsys):
    # Issue 20: `run --set ...` without --out overwrote runs/out/baseline, the output of `make run`.
    from hashpivot.model.cli.common import overrides_tag

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "runs" / "out"
    assert main(["run", "btc_bear", "--days", "5"]) == 0
    before = (out / "btc_bear" / "timeseries.csv").read_bytes()
    tag = overrides_tag(["price.kind=constant"])
    assert main(["run", "btc_bear", "--days", "5", "--set", "price.kind=constant"]) == 0
    assert (out / "btc_bear" / "timeseries.csv").read_bytes() == before
    assert json.loads((out / f"btc_bear-{tag}" / MANIFEST).read_text())["overrides"] == ["price.kind=constant"]
    # Another seed (or horizon) is another run: a new folder; the same command again refreshes its own.
    assert main(["run", "btc_bear", "--days", "5", "--seed", "2"]) == 0
    assert json.loads((out / "btc_bear-2" / MANIFEST).read_text())["seed"] == 2
    assert main(["run", "btc_bear", "--days", "5"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["btc_bear", "btc_bear-2", f"btc_bear-{tag}"]
    assert f"wrote runs/out/btc_bear-{tag} " in capsys.readouterr().out


def test_check_invariants_flag_runs(tmp_path):
    assert run_cli("--days", "10", "--check-invariants", out=tmp_path / "out") == 0


@pytest.mark.parametrize("path", VARIANTS, ids=[p.stem for p in VARIANTS])
def test_every_scenario_in_runs_validates_and_runs(path, tmp_path, capsys):
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out.startswith(f"ok: {path} (sha256 ")
    out = tmp_path / path.stem
    assert run_cli(str(path), "--days", DAYS, out=out) == 0
    meta = json.loads((out / MANIFEST).read_text())
    assert meta["scenario"]["name"] == path.stem  # every file names itself
    assert len(read_csv(out / "timeseries.csv")) == 40


def test_variants_inherit_from_baseline_and_differ_from_it():
    base = load_scenario(RUNS_DIR / "baseline.toml")
    # The baseline relies on the schema defaults except its price path: observed history, then GBM.
    differs = {"name", "description", "price"}
    assert base.scenario.model_dump(exclude=differs) == Scenario().model_dump(exclude=differs)
    assert base.scenario.price.kind == "csv_gbm"
    assert base.scenario.price.drift_per_year == Scenario().price.drift_per_year
    for path in VARIANTS:
        if path.stem == "baseline":
            continue
        loaded = load_scenario(path)
        assert loaded.chain == [path, RUNS_DIR / "baseline.toml"]
        assert loaded.sha256 != base.sha256


def test_variant_settings():
    sc = {p.stem: load_scenario(p).scenario for p in VARIANTS}
    assert sc["no_ai_boom"].ai.spend_growth_per_year == 0.0
    assert sc["btc_150k"].price.drift_per_year > sc["baseline"].price.drift_per_year
    assert sc["btc_150k"].price.start_usd == sc["baseline"].price.start_usd
    # The GBM median reaches ~150k USD in 2026 (within 1.8 to 2.7 years of 2024-04-20).
    p = sc["btc_150k"].price
    years = math.log(150_000 / p.start_usd) / (p.drift_per_year - p.volatility_per_year**2 / 2)
    assert 1.8 <= years <= 2.7
    assert sc["btc_bear"].price.drift_per_year < 0
    assert sc["fast_interconnection"].grid.study_scale == 0.3
    assert sc["texas_large_load_rule_strict"].grid.texas_rule_strict is True
    (shock,) = sc["mass_exit_2026"].shocks
    assert (shock.kind, shock.date) == ("ban", dt.date(2026, 1, 15))
    assert set(shock.regions) == {"CHINA", "RUSSIA", "KAZAKHSTAN"}
    bt = sc["backtest_2024_2025"]
    last = bt.run.start_date + dt.timedelta(days=bt.run.days - 1)
    assert (bt.run.start_date, last) == (dt.date(2024, 4, 20), dt.date(2025, 12, 31))
    assert bt.price.kind == "csv" and Path(bt.price.csv_path).is_absolute()


def test_backtest_price_csv_is_monthly_and_plausible():
    rows = read_csv(RUNS_DIR / "data" / "btc_monthly_2024_2025.csv")
    dates = [dt.date.fromisoformat(r["date"]) for r in rows]
    assert dates[0] == dt.date(2024, 4, 1) and dates[-1] == dt.date(2025, 12, 1)
    assert all(d.day == 1 for d in dates) and len(dates) == 21
    prices = [float(r["price_usd"]) for r in rows]
    assert all(50_000 < p < 130_000 for p in prices)


def test_mass_exit_removes_a_large_share_of_mining_within_a_quarter(tmp_path):
    out = tmp_path / "out"
    assert run_cli("mass_exit_2026", "--until", "2026-04-15", out=out) == 0
    rows = {r["date"]: r for r in read_csv(out / "timeseries.csv")}
    before = float(rows["2026-01-14"]["mw_mining"])
    after = float(rows["2026-04-15"]["mw_mining"])
    assert after < 0.8 * before


# --------------------------------------------------------------------------------------------
# overrides, scenario names, show
# --------------------------------------------------------------------------------------------


def test_overrides_change_the_run_and_are_recorded(tmp_path):
    out = tmp_path / "out"
    sets = ["--set", "price.kind=constant", "--set", "price.start_usd=50000"]
    assert run_cli("--days", DAYS, *sets, out=out) == 0
    prices = {r["btc_price_usd"] for r in read_csv(out / "timeseries.csv")}
    assert prices == {"50000.0"}
    meta = json.loads((out / MANIFEST).read_text())
    assert meta["overrides"] == ["price.kind=constant", "price.start_usd=50000"]
    assert meta["scenario"]["price"]["start_usd"] == 50000.0
    assert meta["scenario_sha256"] != load_scenario(None).sha256


def test_override_on_a_named_scenario_and_array_index():
    loaded = load_scenario(Path("mass_exit_2026"), ['shocks.0.regions=["CHINA"]'])
    assert loaded.scenario.shocks[0].regions == ("CHINA",)
    assert loaded.scenario.name == "mass_exit_2026"


def test_scenario_by_name_and_default():
    assert find_scenario("btc_bear") == RUNS_DIR / "btc_bear.toml"
    assert find_scenario("btc_bear.toml") == RUNS_DIR / "btc_bear.toml"
    assert load_scenario(None).chain == [RUNS_DIR / "baseline.toml"]


def test_builtin_scenario_when_there_is_no_baseline_file(tmp_path, monkeypatch):
    import hashpivot.model.config.scenarios as scenarios

    monkeypatch.setattr(scenarios, "DEFAULT_SCENARIO", tmp_path / "absent.toml")
    loaded = load_scenario(None, ["run.days=12"])
    assert loaded.source == "built-in" and loaded.chain == []
    assert loaded.scenario == Scenario.model_validate({"run": {"days": 12}})
    with pytest.raises(ConfigError, match=r"^--set run.days=0: run.days: 0 is out of range"):
        load_scenario(None, ["run.days=0"])


@pytest.mark.parametrize(
    ("scenario", "overrides"),
    [
        ("baseline", []),
        ("backtest_2024_2025", []),
        ("mass_exit_2026", ["finance.rate_mining=0.3", "run.stochastic_blocks=true"]),
        ("btc_bear", ["miners.0.count=3", "price.kind=constant"]),
    ],
)
def test_show_round_trips(scenario, overrides, tmp_path, capsys, monkeypatch):
    original = load_scenario(Path(scenario), overrides)
    monkeypatch.chdir(tmp_path)  # printed data paths are relative to the working directory: save it there
    args = ["show", scenario, *[a for o in overrides for a in ("--set", o)]]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert text.startswith("# HashPivot scenario")
    assert "sha256: " in text.splitlines()[4]
    shown = tmp_path / "shown.toml"
    shown.write_text(text, encoding="utf-8")
    assert not re.search(r'= "/', text)  # no absolute path: data files relative to the working directory
    again = load_scenario(shown)
    assert again.scenario == original.scenario
    assert again.sha256 == original.sha256
    # Every field is written out: nothing is left to the schema defaults.
    assert "[ai.gpu_cloud]" in text and "[[miners]]" in text and "anchor_bits" in text


def test_price_csv_is_resolved_against_the_file_that_names_it(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "p.csv").write_text("date,price_usd\n2024-04-01,70000\n")
    (tmp_path / "sub" / "mine.toml").write_text('name = "mine"\n[price]\nkind = "csv"\ncsv_path = "p.csv"\n')
    # A child elsewhere inherits the path: it stays relative to sub/mine.toml.
    (tmp_path / "child.toml").write_text('base = "sub/mine.toml"\nname = "child"\n')
    # A child inheriting the built-in backtest resolves against runs/.
    (tmp_path / "bt.toml").write_text('base = "backtest_2024_2025"\nname = "bt"\n')
    monkeypatch.chdir(tmp_path / "sub")
    child = load_scenario(tmp_path / "child.toml")
    assert child.scenario.price.csv_path == str(tmp_path / "sub" / "p.csv")
    assert child.data_paths["price.csv_path"] == str(tmp_path / "sub" / "p.csv")
    bt = load_scenario(tmp_path / "bt.toml")
    assert bt.scenario.price.csv_path == str(RUNS_DIR / "data" / "btc_monthly_2024_2025.csv")
    # --set paths are relative to the working directory.
    over = load_scenario(tmp_path / "bt.toml", ["price.csv_path=p.csv"])
    assert over.scenario.price.csv_path == str(tmp_path / "sub" / "p.csv")


def test_fingerprint_does_not_depend_on_where_the_files_are(tmp_path):
    copy = tmp_path / "runs"
    copy.mkdir()
    (copy / "data").mkdir()
    for name in ("baseline.toml", "backtest_2024_2025.toml", "data/btc_monthly_2024_2025.csv"):
        (copy / name).write_bytes((RUNS_DIR / name).read_bytes())
    here = load_scenario(RUNS_DIR / "backtest_2024_2025.toml")
    there = load_scenario(copy / "backtest_2024_2025.toml")
    assert here.sha256 == there.sha256
    (copy / "data" / "btc_monthly_2024_2025.csv").write_text("date,price_usd\n2024-04-01,1\n")
    assert load_scenario(copy / "backtest_2024_2025.toml").sha256 != here.sha256


def test_validate_several_files_reports_each(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[price]\nbogus = 1\n')
    assert main(["validate", "baseline", str(bad), "btc_bear"]) == 2
    captured = capsys.readouterr()
    assert captured.out.count("ok: ") == 2
    assert captured.err.strip().splitlines() == [
        f"hashpivot: error: {bad}: price.bogus: unknown key 'bogus' (accepted: kind, start_usd, "
        "drift_per_year, volatility_per_year, csv_path)"
    ]


# --------------------------------------------------------------------------------------------
# Writing: atomic replacement, refusal, determinism of cells
# --------------------------------------------------------------------------------------------


def test_rerun_replaces_a_previous_output(tmp_path):
    out = tmp_path / "out"
    assert run_cli("--days", "5", out=out) == 0
    (out / "stale.txt").write_text("from an older run")
    assert run_cli("--days", "6", out=out) == 0
    assert not (out / "stale.txt").exists()
    assert len(read_csv(out / "timeseries.csv")) == 6
    assert leftovers(tmp_path) == []


def test_failed_write_keeps_the_previous_output_and_leaves_no_temp(tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert run_cli("--days", "5", out=out) == 0
    before = (out / "timeseries.csv").read_bytes()

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("hashpivot.model.tools.output.write_parquet", boom)
    assert run_cli("--days", "6", out=out) == 2
    assert (out / "timeseries.csv").read_bytes() == before
    assert leftovers(tmp_path) == []


def test_failed_write_removes_the_folders_it_created(tmp_path):
    result = simulate(days=3)

    class Unserialisable:
        pass

    with pytest.raises(TypeError):
        write_run(result, tmp_path / "a" / "b" / "out", {"x": Unserialisable()})
    assert list(tmp_path.iterdir()) == []


def test_empty_tables_still_have_a_header(tmp_path):
    result = simulate(days=2)
    result.sales, result.events = [], []
    write_run(result, tmp_path / "out", {})
    for table in ("sales", "events"):
        header = (tmp_path / "out" / f"{table}.csv").read_text().strip()
        assert header == ",".join(EMPTY_COLUMNS[table])


def test_cells_are_formatted_deterministically():
    assert csv_cell(np.float64(0.1)) == "0.1" == csv_cell(0.1)
    assert csv_cell(float("nan")) == "nan"
    assert csv_cell(np.int64(3)) == "3"
    assert csv_cell(True) == "true" and csv_cell(None) == ""
    assert csv_cell(1e-300) == "1e-300"


# --------------------------------------------------------------------------------------------
# Bad input: one line, exit 2, no traceback, no output
# --------------------------------------------------------------------------------------------


def _bad_inputs(tmp: Path) -> dict[str, tuple[list[str], str]]:
    """Case name -> (command line, text the one-line error must contain)."""
    files = {
        "syntax.toml": 'name = "x"\n[price\n',
        "unknown.toml": 'name = "x"\n[price]\nbogus = 1\n',
        "wrongtype.toml": 'name = "x"\n[run]\ndays = "ten"\n',
        "nan.toml": 'name = "x"\n[price]\nstart_usd = nan\n',
        "negative.toml": 'name = "x"\n[mining]\nopex_usd_per_mw_day = -5\n',
        "region.toml": 'base = "baseline"\nname = "x"\n[[miners]]\nregion = "ATLANTIS"\n',
        "shock.toml": 'base = "baseline"\nname = "x"\n[[shocks]]\nregions = ["CHINA", "MARS"]\n',
        "dup.csv": "date,price_usd\n2024-04-01,70000\n2024-04-01,71000\n",
        "dupcsv.toml": 'name = "x"\n[price]\nkind = "csv"\ncsv_path = "dup.csv"\n',
        "nocsv.toml": 'name = "x"\n[price]\nkind = "csv"\ncsv_path = "absent.csv"\n',
        "noregions.toml": 'name = "x"\n[grid]\nregions_file = "absent.toml"\n',
        "empty.toml": "# nothing\n",
        "cycle.toml": 'base = "cycle"\n',
        "afile": "not a folder\n",
    }
    for name, text in files.items():
        (tmp / name).write_text(text, encoding="utf-8")
    packaged = (REPO / "model" / "data" / "regions.toml").read_text(encoding="utf-8")
    (tmp / "texasless.toml").write_text(packaged.replace("ERCOT", "TEXAS"), encoding="utf-8")
    (tmp / "notexas.toml").write_text('name = "x"\n[grid]\nregions_file = "texasless.toml"\n', encoding="utf-8")
    (tmp / "notarun").mkdir()
    (tmp / "notarun" / "keep.txt").write_text("precious")
    t = str(tmp)
    return {
        "missing file": (["run", f"{t}/absent.toml"], "absent.toml: file not found"),
        "directory as scenario": (["run", t], f"{t}: is a directory"),
        "syntax error": (["run", f"{t}/syntax.toml"], "syntax.toml: TOML syntax error"),
        "empty file": (["run", f"{t}/empty.toml"], "empty.toml: file has only comments"),
        "base cycle": (["run", f"{t}/cycle.toml"], "cycle.toml: base: base cycle"),
        "unknown key": (["run", f"{t}/unknown.toml"], "unknown.toml: price.bogus: unknown key"),
        "wrong type": (["run", f"{t}/wrongtype.toml"], 'wrongtype.toml: run.days: "ten" is not'),
        "NaN": (["run", f"{t}/nan.toml"], "nan.toml: price.start_usd: nan is not a finite"),
        "negative": (["run", f"{t}/negative.toml"], "negative.toml: mining.opex_usd_per_mw_day"),
        "unknown miner region": (["run", f"{t}/region.toml"], "region.toml: miners.0.region"),
        "unknown shock region": (["run", f"{t}/shock.toml"], "shock.toml: shocks.0.regions.1"),
        "duplicate csv dates": (["run", f"{t}/dupcsv.toml"], "dup.csv:3: date '2024-04-01'"),
        "missing csv": (["run", f"{t}/nocsv.toml"], "nocsv.toml: price.csv_path:"),
        "missing regions file": (["run", f"{t}/noregions.toml"], "grid.regions_file:"),
        "regions file without ERCOT": (["run", f"{t}/notexas.toml"], "no region 'ERCOT'"),
        "set unknown region": (
            ["run", "--set", "miners.0.region=MARS"],
            "--set miners.0.region=MARS: miners.0.region: unknown region 'MARS'",
        ),
        "set index out of range": (["run", "--set", "miners.99.count=1"], "not an index"),
        "seed negative": (["run", "--seed", "-1"], "argument --seed: '-1' is not valid"),
        "seed not int": (["run", "--seed", "1.5"], "argument --seed: '1.5' is not valid"),
        "days zero": (["run", "--days", "0"], "argument --days: '0' is not valid"),
        "days too many": (["run", "--days", "36501"], "(accepted: an integer from 1 to 36500)"),
        "until invalid": (["run", "--until", "2024-02-30"], "argument --until: '2024-02-30'"),
        "until before start": (["run", "--until", "2024-04-01"], "--until 2024-04-01: is not"),
        "until and days": (["run", "--days", "3", "--until", "2025-01-01"], "not allowed with"),
        "set without =": (["run", "--set", "price.kind"], "--set: \"price.kind\" has no '='"),
        "set unknown key": (["run", "--set", "nosuch.key=1"], "--set nosuch.key=1: nosuch:"),
        "set bad choice": (["run", "--set", "price.kind=bitcoin"], 'price.kind: "bitcoin"'),
        "set out of range": (["validate", "--set", "run.days=0"], "run.days: 0 is out of range"),
        "set bad toml": (["show", "--set", "price.start_usd=[1,"], "price.start_usd: [1, is"),
        "out is a file": (["run", "--days", "3", "--out", f"{t}/afile"], "is an existing file"),
        "out not a run": (["run", "--days", "3", "--out", f"{t}/notarun"], "not a HashPivot"),
        "unknown command": (["fly"], "invalid choice: 'fly'"),
        "no command": ([], "the following arguments are required: COMMAND"),
    }


def _case_names() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        return list(_bad_inputs(Path(tmp)))


@pytest.mark.parametrize("case", _case_names())
def test_bad_input_is_one_line_exit_2_and_writes_nothing(case, tmp_path, capsys):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    argv, expected = _bad_inputs(inputs)[case]
    out = tmp_path / "out"
    if argv and argv[0] == "run" and "--out" not in argv:
        argv = [*argv, "--out", str(out)]
    before = sorted(p.name for p in inputs.iterdir())

    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("hashpivot: error: ")
    assert expected in lines[0]
    assert "Traceback" not in captured.err + captured.out
    assert not out.exists()
    assert leftovers(tmp_path) == [] and leftovers(inputs) == []
    assert sorted(p.name for p in inputs.iterdir()) == before
    assert (inputs / "afile").read_text() == "not a folder\n"
    assert (inputs / "notarun" / "keep.txt").read_text() == "precious"


def test_bad_input_through_the_real_entry_point(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[run]\ndays = -3\n')
    out = ["--out", str(tmp_path / "out")]
    for args in (["run", str(bad), *out], ["run", "--seed", "x", *out], ["validate", "nope"]):
        done = run_subprocess(*args)
        assert done.returncode == 2, done
        assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
        assert done.stderr.startswith("hashpivot: error: ")
    assert not (tmp_path / "out").exists()


def test_keyboard_interrupt_exits_130_without_traceback(monkeypatch, capsys, tmp_path):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("hashpivot.model.cli.run.simulate", interrupted)
    assert run_cli("--days", "3", out=tmp_path / "out") == cli.EXIT_INTERRUPTED
    assert capsys.readouterr().err == "hashpivot: interrupted\n"
    assert not (tmp_path / "out").exists()
