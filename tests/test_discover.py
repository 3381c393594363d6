"""Scenario discovery (issue 20, item 5): `hashpivot discover` finds PRIM boxes on a sweep's results.

A synthetic sweep written by the sweep's own store, whose output is known in closed form: the cases of
interest are the runs with drift above 0.4 *and* the strict Texas rule, so PRIM must find that box.
"""

from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path

import pytest

from hashpivot.model.cli import discover as discover_cmd
from hashpivot.model.cli import main
from hashpivot.model.tools.discover import REPORT_DIR, discover
from hashpivot.model.tools.sweep.design import build_design, tasks
from hashpivot.model.tools.sweep.spec import load_sweep
from hashpivot.model.tools.sweep.store import SweepFolder

SPEC = """\
name = "synthetic_discovery"
base = "tiny"

[[parameters]]
name = "price.drift_per_year"
low = -1.0
high = 1.0

[[parameters]]
name = "ai.hyperscalers"
kind = "int"
low = 2
high = 6

[[parameters]]
name = "grid.texas_rule_strict"
kind = "bool"

[design]
method = "lhs"
samples = 300
root_seed = 99

[[outputs.metrics]]
name = "y"
column = "btc_price_usd"
reducer = "final"

[[outputs.metrics]]
name = "when"
column = "btc_price_usd"
reducer = "date_of_max"
"""


def outcome(values: dict) -> float:
    """10 above drift 0.4 with the strict rule, else below: the box is drift > 0.4 and strict = true."""
    return 10.0 * (values["price.drift_per_year"] > 0.4) * values["grid.texas_rule_strict"] + values["ai.hyperscalers"]


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("discover")
    (folder / "tiny.toml").write_text('name = "tiny"\n[run]\ndays = 10\n', encoding="utf-8")
    (folder / "sweep.toml").write_text(textwrap.dedent(SPEC), encoding="utf-8")
    plan = load_sweep(folder / "sweep.toml")
    unit = build_design(plan.spec)
    out = folder / "out"
    with SweepFolder.open(out, plan, unit) as store:
        writer = store.writer(flush_rows=10_000)
        for task in tasks(plan.spec, unit):
            row = {**task.values, "y": outcome(task.values), "when": "2024-05-01", "status": "ok", "error": ""}
            writer.add({"run_id": task.run_id, "point_id": task.point_id, "replication": task.replication,
                        "seed": task.seed, "wall_time_s": 0.0, **row})  # fmt: skip
        writer.flush()
    return out


def test_prim_finds_the_box_that_holds_the_cases(sweep_dir: Path):
    found = discover(sweep_dir, "y", above=8.0)
    box = found.boxes[0]
    values = {"runs": found.runs, "cases": found.cases}
    assert values["runs"] == 300 and 0 < values["cases"] < 300
    assert box.coverage >= 0.9 and box.density >= 0.9
    limits = {r.parameter: r for r in box.restrictions}
    assert set(limits) == {"price.drift_per_year", "grid.texas_rule_strict"}  # hyperscalers does not matter
    assert limits["grid.texas_rule_strict"].levels == (True,)
    assert 0.3 <= limits["price.drift_per_year"].low <= 0.5 and limits["price.drift_per_year"].high > 0.9
    assert limits["price.drift_per_year"].quasi_p < 0.05


def test_command_prints_and_writes_the_boxes_reproducibly(sweep_dir: Path, capsys):
    argv = ["discover", str(sweep_dir), "--output", "y", "--above", "8"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "## Scenario discovery: `y > 8`" in printed and "**Box 1**: coverage" in printed and "density" in printed
    assert "`price.drift_per_year`" in printed and "`grid.texas_rule_strict` | x in {true}" in printed
    files = {p.suffix: p for p in (sweep_dir / REPORT_DIR).glob("y_above_8.*")}
    assert set(files) == {".md", ".csv", ".json", ".png", ".svg"}
    first = {k: p.read_bytes() for k, p in files.items() if k != ".png"}
    assert main(argv) == 0
    assert {k: files[k].read_bytes() for k in first} == first
    data = json.loads(files[".json"].read_text())
    assert data["question"] == "y > 8" and data["boxes"][0]["coverage"] >= 0.9


def test_report_of_the_sweep_includes_the_discovery(sweep_dir: Path, tmp_path: Path):
    assert main(["discover", str(sweep_dir), "--output", "y", "--above", "8"]) == 0
    out = tmp_path / "report"
    assert main(["report", str(sweep_dir), "--out", str(out)]) == 0
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "## Scenario discovery: `y > 8`" in text and (out / "figures" / "discover_y_above_8.png").is_file()


def parse(argv):
    parser = argparse.ArgumentParser()
    discover_cmd.add_arguments(parser)
    return parser.parse_args(argv)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--output", "nope", "--above", "1"], "'nope' is not an output of this sweep"),
        (["--output", "when", "--above", "1"], "gives dates, not numbers"),
        (["--output", "y", "--above", "100"], "no run has y above 100"),
        (["--output", "y", "--below", "100"], "every one of the 300 runs has y below 100"),
        (["--output", "y", "--above", "nan"], "--above: 'nan' is not valid"),
        (["--output", "y", "--above", "1", "--below", "2"], "not allowed with argument"),
        (["--output", "y"], "one of the arguments --above --below is required"),
    ],
)
def test_bad_discover_input_is_one_line(argv, words, sweep_dir, capsys):
    assert main(["discover", str(sweep_dir), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("hashpivot: error: ") and words in err, err


def test_not_a_sweep_folder(tmp_path: Path, capsys):
    assert main(["discover", str(tmp_path / "absent"), "--output", "y", "--above", "1"]) == 2
    assert "not a folder" in capsys.readouterr().err
