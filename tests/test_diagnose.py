"""Tests for ``hashpivot diagnose`` (model/tools/diagnose.py, model/cli/diagnose.py).

One real baseline run (130 days: five panel snapshots) is made once through the command line. Each test takes a
copy made clean (a smooth hashrate, positive cash, no idle profitable MW, no surplus AI capacity, no valuable
site sold for nothing), so what the model happens to do does not decide the outcome, then doctors one thing --
a hashrate jump, negative cash, a free sale -- and checks that the check concerned fails on it.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hashpivot.model.cli import main
from hashpivot.model.tools import diagnose as dg

DAYS = 130  # five panel snapshots: every 30 days and the last day
START = dt.date(2024, 4, 20)  # runs/baseline.toml's run.start_date


def date_of(day: int) -> str:
    return (START + dt.timedelta(days=day)).isoformat()


@pytest.fixture(scope="module")
def real_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("real") / "baseline"
    assert main(["run", "baseline", "--days", str(DAYS), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def snapshots(real_run: Path) -> list[int]:
    """The panel's snapshot days in the real run (agents.csv), in order (not the days firms left the model)."""
    with (real_run / "agents.csv").open(encoding="utf-8", newline="") as handle:
        days = dg.panel_snapshot_days(np.array([int(row["day"]) for row in csv.DictReader(handle)]))
    assert len(days) == 5
    return days


@pytest.fixture(scope="module")
def firm(real_run: Path, snapshots: list[int]) -> str:
    """A miner in every snapshot of the real run."""
    with (real_run / "agents.csv").open(encoding="utf-8", newline="") as handle:
        days: dict[str, set[int]] = {}
        for row in csv.DictReader(handle):
            days.setdefault(row["agent_id"], set()).add(int(row["day"]))
    return next(f for f, d in days.items() if d == set(snapshots))


def clean_series(columns: dict[str, np.ndarray]) -> None:
    day = np.arange(columns["day"].size)
    columns["network_hashrate_ehs"] = 600.0 * 1.001**day
    columns["mw_idle_profitable_90d"] = np.zeros(day.size)
    columns["ai_demand_mw"] = 100.0 + 5.0 * day
    columns["ai_demand_planned_mw"] = columns["ai_demand_mw"] + 50.0
    columns["ai_capacity_secured_mw"] = columns["ai_demand_planned_mw"].copy()


@pytest.fixture
def run_dir(real_run: Path, tmp_path: Path) -> Path:
    """A copy of the real run on which every check passes, free to doctor."""
    folder = Path(shutil.copytree(real_run, tmp_path / "run"))
    edit_timeseries(folder, clean_series)
    edit_table(folder, "agents.csv", lambda rows: [{**r, "cash_usd": "5000000.0"} for r in rows])
    edit_table(folder, "sales.csv", lambda rows: [{**r, "mining_value_usd": "0.0"} for r in rows])
    return folder


def edit_timeseries(folder: Path, edit: Callable[[dict[str, np.ndarray]], None]) -> None:
    """Change the daily series in place (in timeseries.parquet; the CSV copy is removed so none is stale)."""
    table = pq.read_table(folder / "timeseries.parquet")
    columns = {n: table.column(n).to_numpy(zero_copy_only=False).copy() for n in table.column_names}
    edit(columns)
    pq.write_table(pa.table(columns), folder / "timeseries.parquet")
    (folder / "timeseries.csv").unlink(missing_ok=True)


def edit_table(folder: Path, name: str, edit: Callable[[list[dict[str, str]]], list[dict[str, str]]]) -> None:
    """Rewrite ``name`` (e.g. ``agents.csv``) with ``edit(rows)``; the header follows the first row's keys."""
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows, header = list(reader), list(reader.fieldnames or ())
    rows = edit(rows)
    with (folder / name).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else header)
        writer.writeheader()
        writer.writerows(rows)


def edit_scenario(folder: Path, edit: Callable[[dict], None]) -> None:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    edit(manifest["scenario"])
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def result(folder: Path, name: str) -> dg.CheckResult:
    return dg.CHECKS[name](dg.load_run(folder))


def jump(day: int, factor: float = 1.3) -> Callable[[dict[str, np.ndarray]], None]:
    """A level shift of the network hashrate from ``day`` on: one day-to-day change, on ``day``."""

    def edit(columns: dict[str, np.ndarray]) -> None:
        columns["network_hashrate_ehs"][day:] *= factor

    return edit


# --------------------------------------------------------------------------------------------
# The real run, as written
# --------------------------------------------------------------------------------------------


def test_the_real_run_gives_one_row_per_check_and_the_exit_code_follows_the_statuses(real_run, capsys):
    code = main(["diagnose", str(real_run)])
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ") and not line.startswith("| check")]
    assert [r.split(" | ")[0].removeprefix("| ") for r in rows] == list(dg.CHECKS)
    statuses = [r.status for r in dg.diagnose(dg.load_run(real_run))]
    assert set(statuses) <= {"pass", "fail", "n/a"}
    assert code == (1 if "fail" in statuses else 0)


def test_the_clean_copy_passes_every_check_and_exits_0(run_dir, capsys):
    assert [r.status for r in dg.diagnose(dg.load_run(run_dir))] == ["pass"] * len(dg.CHECKS)
    assert main(["diagnose", str(run_dir)]) == 0
    assert capsys.readouterr().out.rstrip().endswith(f"{len(dg.CHECKS)} passed, 0 failed, 0 not measured")


def test_a_check_whose_columns_are_absent_is_not_measured_and_does_not_fail(run_dir):
    def drop(*names):
        return lambda columns: [columns.pop(n) for n in names]

    edit_timeseries(run_dir, drop("mw_idle_profitable_90d", "ai_capacity_secured_mw"))
    sales = "day,site,winner,price_usd,mw\n40,1,-1,0.0,50.0\n"  # a free sale, but no mining_value_usd
    (run_dir / "sales.csv").write_text(sales, encoding="utf-8")
    results = {r.name: r for r in dg.diagnose(dg.load_run(run_dir))}
    for name in (dg.IDLE_WHILE_PROFITABLE, dg.FREE_SALES, dg.AI_OVER_SECURED):
        assert results[name].status == "n/a"
        assert results[name].measured == "not measured (column absent in this run)"
    assert results[dg.AI_OVER_SECURED].details == ("timeseries has no column ai_capacity_secured_mw",)
    assert main(["diagnose", str(run_dir)]) == 0


def test_every_check_returns_a_result_of_its_own_name(real_run):
    run = dg.load_run(real_run)
    assert [dg.CHECKS[name](run).name for name in dg.CHECKS] == list(dg.CHECKS)
    assert [r.name for r in dg.diagnose(run, {dg.NEGATIVE_CASH: dg.negative_cash})] == [dg.NEGATIVE_CASH]


# --------------------------------------------------------------------------------------------
# 1. Hashrate swings
# --------------------------------------------------------------------------------------------


def test_a_30_percent_hashrate_jump_fails_and_names_its_day(run_dir):
    edit_timeseries(run_dir, jump(20))
    r = result(run_dir, dg.HASHRATE_SWINGS)
    assert r.status == "fail"
    assert len(r.details) == 1 and r.details[0].startswith(f"{date_of(20)}: +")


@pytest.mark.parametrize(("factor", "status"), [(1.14, "pass"), (1.16, "fail"), (0.86, "pass"), (0.84, "fail")])
def test_the_swing_threshold_is_fifteen_percent_either_way(run_dir, factor, status):
    def flat_then_jump(columns):
        columns["network_hashrate_ehs"] = np.full(columns["day"].size, 600.0)
        jump(60, factor)(columns)

    edit_timeseries(run_dir, flat_then_jump)
    assert result(run_dir, dg.HASHRATE_SWINGS).status == status


def test_the_first_seven_days_are_not_checked(run_dir):
    edit_timeseries(run_dir, jump(6))
    assert result(run_dir, dg.HASHRATE_SWINGS).status == "pass"
    edit_timeseries(run_dir, jump(7))
    assert result(run_dir, dg.HASHRATE_SWINGS).status == "fail"


def test_a_shock_window_excludes_a_jump_for_thirty_days_from_its_start(run_dir):
    edit_timeseries(run_dir, jump(40))
    shock = {"kind": "ban", "regions": ["CHINA"], "power_price_multiplier": 1.0, "duration_days": 0}
    edit_scenario(run_dir, lambda s: s.update(shocks=[{**shock, "date": date_of(11)}]))  # window: days 11-40
    assert result(run_dir, dg.HASHRATE_SWINGS).status == "pass"
    edit_scenario(run_dir, lambda s: s.update(shocks=[{**shock, "date": date_of(10)}]))  # window: days 10-39
    assert result(run_dir, dg.HASHRATE_SWINGS).status == "fail"


def test_a_power_price_shock_also_excludes_thirty_days_from_its_end(run_dir):
    edit_timeseries(run_dir, jump(70))
    shock = {"date": date_of(10), "regions": ["ERCOT"], "power_price_multiplier": 3.0, "duration_days": 50}
    edit_scenario(run_dir, lambda s: s.update(shocks=[{**shock, "kind": "power_price"}]))  # ends on day 60
    assert result(run_dir, dg.HASHRATE_SWINGS).status == "pass"
    edit_scenario(run_dir, lambda s: s.update(shocks=[{**shock, "kind": "ban"}]))  # a ban has no end window
    assert result(run_dir, dg.HASHRATE_SWINGS).status == "fail"


def test_a_swing_with_the_same_machines_switched_on_is_tagged_dispatch(run_dir):
    # Same switched-on MW, fewer hours run: the fleet answered that day's power prices (still a failing swing).
    def swing_by_curtailment(columns):
        jump(20, 0.7)(columns)
        on = columns["mw_mining"] + columns["mw_curtailed"]
        columns["mw_mining"], columns["mw_curtailed"] = 0.5 * on, 0.5 * on

    edit_timeseries(run_dir, swing_by_curtailment)
    r = result(run_dir, dg.HASHRATE_SWINGS)
    assert r.status == "fail" and "1 of them dispatch" in r.measured and r.details[0].endswith(" dispatch")
    edit_timeseries(run_dir, lambda c: c["mw_mining"].__setitem__(slice(20, None), 0.0))  # machines switched off
    r = result(run_dir, dg.HASHRATE_SWINGS)
    assert "0 of them dispatch" in r.measured and not r.details[0].endswith(" dispatch")


def test_a_dispatch_swing_after_a_retarget_is_tagged_retarget(run_dir):
    # The difficulty cycle: machines unchanged, the hours they run move with the new difficulty's hashprice.
    def swing_after(retarget_day):
        def edit(columns):
            jump(20, 0.7)(columns)
            on = columns["mw_mining"] + columns["mw_curtailed"]
            columns["mw_mining"], columns["mw_curtailed"] = 0.5 * on, 0.5 * on
            columns["difficulty"][:] = 1e14
            columns["difficulty"][retarget_day:] = 1.2e14

        return edit

    edit_timeseries(run_dir, swing_after(19))
    r = result(run_dir, dg.HASHRATE_SWINGS)
    assert r.status == "fail" and "1 of those the day of or after a retarget" in r.measured
    assert r.details[0].endswith(" dispatch retarget")
    edit_timeseries(run_dir, swing_after(17))  # the period began three days before the swing
    r = result(run_dir, dg.HASHRATE_SWINGS)
    assert "0 of those the day of or after a retarget" in r.measured and r.details[0].endswith(" dispatch")


def test_the_swing_check_reports_the_hash_supply_elasticity(run_dir):
    def elastic(columns):
        columns["hash_supply_elasticity"][:] = 0.2
        columns["hash_supply_elasticity"][30:44] = 1.3

    edit_timeseries(run_dir, elastic)
    r = result(run_dir, dg.HASHRATE_SWINGS)
    assert "hash supply elasticity up to 1.30" in r.measured and "above 1 on 14 days" in r.measured


def test_machines_taken_off_the_day_before_a_swing_make_it_a_decision_not_dispatch(run_dir):
    # The MW columns are end-of-day: an exit on day 19 shows in day 19's MW and in day 20's hashrate. The old tag
    # compared day 20's MW with day 19's only and called the swing dispatch (seed 3's -30.9% on 2027-11-21).
    def exit_the_day_before(columns):
        jump(20, 0.7)(columns)
        for name in ("mw_mining", "mw_curtailed"):
            columns[name][19:] *= 0.7

    edit_timeseries(run_dir, exit_the_day_before)
    r = result(run_dir, dg.HASHRATE_SWINGS)
    assert r.status == "fail" and "0 of them dispatch" in r.measured and not r.details[0].endswith(" dispatch")


def test_a_halving_excludes_a_jump_for_thirty_days_from_the_day_it_is_crossed(run_dir):
    # The subsidy halves overnight by protocol: the fleet's answer is the economics, as after a scenario shock.
    def halving_on(day: int) -> Callable[[dict[str, np.ndarray]], None]:
        def edit(columns: dict[str, np.ndarray]) -> None:
            columns["block_height"] = 1_050_000.0 - 144.0 * (day - np.arange(columns["day"].size))

        return edit

    edit_timeseries(run_dir, jump(40))
    edit_timeseries(run_dir, halving_on(11))  # height 1,050,000 reached on day 11: window days 11-40
    r = result(run_dir, dg.HASHRATE_SWINGS)
    assert r.status == "pass" and f"halving on {date_of(11)}" in r.measured
    edit_timeseries(run_dir, halving_on(10))  # window days 10-39
    assert result(run_dir, dg.HASHRATE_SWINGS).status == "fail"


# --------------------------------------------------------------------------------------------
# 2. Idle capacity while mining pays
# --------------------------------------------------------------------------------------------


def idle_share_on(days: int, share: float) -> Callable[[dict[str, np.ndarray]], None]:
    def edit(columns: dict[str, np.ndarray]) -> None:
        energised = columns["mw_mining"] + columns["mw_curtailed"] + columns["mw_idle"]
        idle = np.zeros_like(energised)
        idle[50 : 50 + days] = share * energised[50 : 50 + days]
        if days:  # the first day is the worst by a hair (not a tie decided by rounding: still 10.0%)
            idle[50] *= 1.001
        columns["mw_idle_profitable_90d"] = idle

    return edit


def test_idle_profitable_capacity_fails_on_more_than_thirty_days_above_five_percent(run_dir):
    edit_timeseries(run_dir, idle_share_on(31, 0.10))
    r = result(run_dir, dg.IDLE_WHILE_PROFITABLE)
    assert r.status == "fail"
    assert r.details == (f"{date_of(50)} to {date_of(80)} (31 days): worst 10.0% on {date_of(50)}",)


@pytest.mark.parametrize(("days", "share"), [(0, 0.0), (30, 0.10), (100, 0.049)])
def test_idle_profitable_capacity_passes_within_its_allowance(run_dir, days, share):
    edit_timeseries(run_dir, idle_share_on(days, share))
    assert result(run_dir, dg.IDLE_WHILE_PROFITABLE).status == "pass"


# --------------------------------------------------------------------------------------------
# 3. Firms with negative cash
# --------------------------------------------------------------------------------------------


def negative_cash(firm: str, days: set[int]) -> Callable[[list[dict[str, str]]], list[dict[str, str]]]:
    def edit(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        for row in rows:
            if row["agent_id"] == firm:
                row["cash_usd"] = str(-1e6 - int(row["day"])) if int(row["day"]) in days else "5e6"
        return rows

    return edit


def test_negative_cash_in_four_consecutive_snapshots_fails_with_the_dates(run_dir, snapshots, firm):
    edit_table(run_dir, "agents.csv", negative_cash(firm, set(snapshots[:4])))
    r = result(run_dir, dg.NEGATIVE_CASH)
    assert r.status == "fail"
    first, last = date_of(snapshots[0]), date_of(snapshots[3])
    assert r.details == (f"firm {firm}: 4 snapshots, {first} to {last}, minimum cash -1.0 M$",)


def test_a_firm_leaving_the_model_between_snapshots_does_not_end_the_others_runs(run_dir, snapshots, firm):
    # A firm that leaves gets one last row on its day (HashpivotModel.retire_miner). Read as a snapshot, that
    # day ended every other firm's run: four negative snapshots in a row passed.
    def edit(rows):
        rows = negative_cash(firm, set(snapshots[:4]))(rows)
        leaving = {**rows[0], "agent_id": "99999", "day": str(snapshots[1] + 5), "cash_usd": "0.0"}
        return [*rows, leaving]

    edit_table(run_dir, "agents.csv", edit)
    assert result(run_dir, dg.NEGATIVE_CASH).status == "fail"


@pytest.mark.parametrize(
    ("which", "status"), [((0, 1, 2), "pass"), ((0, 1, 2, 4), "pass"), ((1, 2, 3, 4), "fail"), ((), "pass")]
)
def test_only_more_than_three_consecutive_negative_snapshots_fail(run_dir, snapshots, firm, which, status):
    edit_table(run_dir, "agents.csv", negative_cash(firm, {snapshots[i] for i in which}))
    assert result(run_dir, dg.NEGATIVE_CASH).status == status


def test_a_firm_missing_from_a_snapshot_ends_its_run(run_dir, snapshots, firm):
    def edit(rows):
        rows = negative_cash(firm, set(snapshots))(rows)
        return [r for r in rows if not (r["agent_id"] == firm and int(r["day"]) == snapshots[2])]

    edit_table(run_dir, "agents.csv", edit)
    assert result(run_dir, dg.NEGATIVE_CASH).status == "pass"


# --------------------------------------------------------------------------------------------
# 4. Sites sold for nothing while mining pays
# --------------------------------------------------------------------------------------------


def with_mining_value(free_day: int | None, price: str = "0.0", value: str = "5000000.0"):
    """Sales with a ``mining_value_usd`` column (0 everywhere) and one extra sale on ``free_day``."""

    def edit(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        rows = [{**r, "mining_value_usd": "0.0"} for r in rows]
        if free_day is not None:
            extra = {"day": str(free_day), "site": "999", "winner": "-1", "price_usd": price, "mw": "50.0"}
            extra |= {"convertible_mw": "0.0", "region": "MISO", "buyer_kind": "developer", "mining_value_usd": value}
            rows.append(extra)
        return rows

    return edit


def test_a_free_sale_with_positive_mining_value_fails_and_names_its_date(run_dir):
    edit_table(run_dir, "sales.csv", with_mining_value(100))
    r = result(run_dir, dg.FREE_SALES)
    assert r.status == "fail"
    assert len(r.details) == 1 and r.details[0].startswith(f"{date_of(100)} (day 100): site 999")


@pytest.mark.parametrize(("price", "value"), [("0.0", "0.0"), ("1000.0", "5000000.0"), ("-5.0", "-1.0")])
def test_sales_at_a_price_or_without_mining_value_pass(run_dir, price, value):
    edit_table(run_dir, "sales.csv", with_mining_value(100, price, value))
    assert result(run_dir, dg.FREE_SALES).status == "pass"


def test_an_empty_sales_table_with_the_column_passes(run_dir):
    (run_dir / "sales.csv").write_text("day,site,winner,price_usd,mw,mining_value_usd\n", encoding="utf-8")
    assert result(run_dir, dg.FREE_SALES).status == "pass"


# --------------------------------------------------------------------------------------------
# 5. AI capacity secured above demand
# --------------------------------------------------------------------------------------------


def ai_surplus(day: int, surplus_mw: float) -> Callable[[dict[str, np.ndarray]], None]:
    def edit(columns: dict[str, np.ndarray]) -> None:
        demand = 100.0 + 5.0 * np.arange(columns["day"].size)
        columns["ai_demand_planned_mw"] = demand
        secured = demand + 100.0  # the allowance of the baseline: 20 MW blocks x 5 hyperscalers
        secured[day] += surplus_mw
        columns["ai_capacity_secured_mw"] = secured

    return edit


def test_ai_capacity_secured_above_one_block_per_hyperscaler_fails(run_dir):
    edit_timeseries(run_dir, ai_surplus(90, 1.0))
    r = result(run_dir, dg.AI_OVER_SECURED)
    assert r.status == "fail"
    assert r.details == (f"{date_of(90)} (1 day): worst 101.0 MW over demand on {date_of(90)}",)


def test_ai_capacity_secured_up_to_the_allowance_passes_and_the_allowance_comes_from_the_scenario(run_dir):
    edit_timeseries(run_dir, ai_surplus(90, 0.0))
    assert result(run_dir, dg.AI_OVER_SECURED).status == "pass"
    edit_timeseries(run_dir, ai_surplus(90, 10.0))
    edit_scenario(run_dir, lambda s: s["ai"].update(hyperscalers=6))  # allowance 120 MW
    assert result(run_dir, dg.AI_OVER_SECURED).status == "pass"


def test_ai_capacity_is_compared_with_planned_demand_and_with_todays_without_it(run_dir):
    # Campuses queued for demand at their live date are not over-ordering; a run without the planned column
    # (written before it existed) is checked against today's demand.
    def queued_ahead(columns):
        columns["ai_capacity_secured_mw"] = columns["ai_demand_mw"] + 500.0
        columns["ai_demand_planned_mw"] = columns["ai_demand_mw"] + 500.0

    edit_timeseries(run_dir, queued_ahead)
    assert result(run_dir, dg.AI_OVER_SECURED).status == "pass"
    edit_timeseries(run_dir, lambda columns: columns.pop("ai_demand_planned_mw"))
    r = result(run_dir, dg.AI_OVER_SECURED)
    assert r.status == "fail" and "ai_capacity_secured_mw - ai_demand_mw" in r.threshold


# --------------------------------------------------------------------------------------------
# The command: exit codes, output, bad folders
# --------------------------------------------------------------------------------------------


def test_a_failed_check_exits_1_and_json_output_parses(run_dir, snapshots, firm, capsys):
    edit_table(run_dir, "agents.csv", negative_cash(firm, set(snapshots[:4])))
    assert main(["diagnose", str(run_dir), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "fail" and data["run"] == str(run_dir)
    assert [c["name"] for c in data["checks"]] == list(dg.CHECKS)
    by_name = {c["name"]: c for c in data["checks"]}
    assert by_name[dg.NEGATIVE_CASH]["status"] == "fail"
    assert by_name[dg.NEGATIVE_CASH]["details"][0].startswith(f"firm {firm}: 4 snapshots")
    assert main(["diagnose", str(run_dir)]) == 1
    assert f"| {dg.NEGATIVE_CASH} | FAIL |" in capsys.readouterr().out


def test_the_details_under_the_table_are_capped(run_dir, capsys):
    def many_jumps(columns):
        for day in range(10, 10 + 2 * (dg.DETAILS_SHOWN + 3), 2):
            columns["network_hashrate_ehs"][day] *= 1.5  # up one day, down the next

    edit_timeseries(run_dir, many_jumps)
    assert main(["diagnose", str(run_dir)]) == 1
    out = capsys.readouterr().out
    assert f"- ... and {2 * (dg.DETAILS_SHOWN + 3) - dg.DETAILS_SHOWN} more (--json lists them all)" in out
    assert main(["diagnose", str(run_dir), "--json"]) == 1
    (swings,) = [c for c in json.loads(capsys.readouterr().out)["checks"] if c["name"] == dg.HASHRATE_SWINGS]
    assert len(swings["details"]) == 2 * (dg.DETAILS_SHOWN + 3)


def test_a_run_with_only_the_csv_series_gives_the_same_results(real_run, tmp_path):
    csv_only = Path(shutil.copytree(real_run, tmp_path / "csv_only"))
    (csv_only / "timeseries.parquet").unlink()
    ours, theirs = dg.diagnose(dg.load_run(csv_only)), dg.diagnose(dg.load_run(real_run))
    assert ours == theirs and len(ours) == len(dg.CHECKS)


def _bad_folders(tmp: Path, real_run: Path) -> dict[str, Path]:
    (tmp / "empty").mkdir()
    (tmp / "file.txt").write_text("x", encoding="utf-8")
    no_series = Path(shutil.copytree(real_run, tmp / "no_series"))
    for name in ("timeseries.parquet", "timeseries.csv"):
        (no_series / name).unlink()
    broken = Path(shutil.copytree(real_run, tmp / "broken_manifest"))
    (broken / "manifest.json").write_text("{not json", encoding="utf-8")
    (tmp / "not_a_run").mkdir()
    (tmp / "not_a_run" / "manifest.json").write_text('{"format": "hashpivot-sweep/1"}', encoding="utf-8")
    bad_shock = Path(shutil.copytree(real_run, tmp / "bad_shock"))
    edit_scenario(bad_shock, lambda s: s.update(shocks=[{"date": "soon", "kind": "ban"}]))
    junk = Path(shutil.copytree(real_run, tmp / "junk_cash"))
    edit_table(junk, "agents.csv", lambda rows: [{**r, "cash_usd": "lots"} for r in rows])
    return {
        "missing": tmp / "missing",
        "empty": tmp / "empty",
        "file": tmp / "file.txt",
        "no_series": no_series,
        "broken_manifest": broken,
        "not_a_run": tmp / "not_a_run",
        "bad_shock": bad_shock,
        "junk_cash": junk,
    }


BAD_FOLDERS = ["missing", "empty", "file", "no_series", "broken_manifest", "not_a_run", "bad_shock", "junk_cash"]


@pytest.mark.parametrize("kind", BAD_FOLDERS)
def test_a_folder_that_is_not_a_run_exits_2_with_one_line(tmp_path, real_run, capsys, kind):
    folder = _bad_folders(tmp_path, real_run)[kind]
    assert main(["diagnose", str(folder)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"hashpivot: error: {folder}")
    assert "accepted:" in lines[0] and "Traceback" not in captured.err
