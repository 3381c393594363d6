"""Tests for research reports: ``hashpivot ensemble``, ``report`` and ``compare``, the ODD table
and the citation file.

One 60-day run, one 2-seed ensemble of 45 days (through the spawn pool) and one tiny sweep are made
once per module; every report is built from them into ``tmp_path`` folders.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest

from hashpivot.model.cli import main
from hashpivot.model.config.schema import RunSection, Scenario
from hashpivot.model.tools.odd import END_MARKER, START_MARKER, parameter_table_markdown, scenario_rows, schema_rows
from hashpivot.model.tools.output import ENSEMBLE_FILE, REPORT_FILE
from hashpivot.model.tools.report import (
    FIGURES,
    Table,
    key_dates,
    latex_escape,
    markdown_to_html,
    table_latex,
    table_markdown,
)

# One xdist worker runs the whole module, so the run, ensemble and sweep are made once.
pytestmark = pytest.mark.xdist_group("report")

REPO = Path(__file__).resolve().parents[1]
RUN_DAYS, ENSEMBLE_DAYS = "60", "45"
LINK = re.compile(r"\]\(([^)\s]+)\)")


def cli(*argv: str) -> int:
    return main(list(argv))


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("hashpivot: error: ") and "Traceback" not in err
    return lines[0]


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("report")


@pytest.fixture(scope="module")
def run_dir(work: Path) -> Path:
    out = work / "run"
    assert cli("run", "--days", RUN_DAYS, "--out", str(out)) == 0
    return out


@pytest.fixture(scope="module")
def ensemble_dir(work: Path) -> Path:
    out = work / "ensemble"
    argv = ["ensemble", "--seeds", "2", "--workers", "2", "--days", ENSEMBLE_DAYS, "--out", str(out)]
    assert cli(*argv) == 0
    return out


@pytest.fixture(scope="module")
def sweep_dir(work: Path) -> Path:
    from hashpivot.model.cli import sweep as sweep_cmd

    (work / "tiny.toml").write_text('name = "tiny"\n[run]\ndays = 30\n', encoding="utf-8")
    spec = work / "tiny_sweep.toml"
    spec.write_text(
        textwrap.dedent(
            """\
            name = "tiny_sweep"
            base = "tiny"
            days = 20
            [[parameters]]
            name = "price.drift_per_year"
            low = -0.5
            high = 0.6
            [[parameters]]
            name = "ai.hyperscalers"
            kind = "int"
            low = 2
            high = 6
            [design]
            method = "lhs"
            samples = 4
            root_seed = 3
            [outputs]
            keep_series = ["btc_price_usd"]
            [[outputs.metrics]]
            name = "price_final"
            column = "btc_price_usd"
            reducer = "final"
            """
        ),
        encoding="utf-8",
    )
    out = work / "sweep"
    parser = __import__("argparse").ArgumentParser()
    sweep_cmd.add_arguments(parser)
    assert sweep_cmd.main(parser.parse_args([str(spec), "--workers", "1", "--out", str(out)])) == 0
    return out


@pytest.fixture(scope="module")
def ensemble_report(ensemble_dir: Path, work: Path) -> Path:
    out = work / "ensemble-report"
    assert cli("report", str(ensemble_dir), "--out", str(out)) == 0
    return out


def links_resolve(document: Path) -> list[str]:
    """Every relative link or image of a Markdown document that does not point at a file."""
    text = document.read_text(encoding="utf-8")
    targets = [t for t in LINK.findall(text) if not re.match(r"[a-z]+://", t)]
    assert targets, "the document links nothing"
    return [t for t in targets if not (document.parent / t).is_file()]


def check_figures(report: Path, names: list[str], sha256: str, seeds: str) -> None:
    from PIL import Image

    for name in names:
        svg, png = report / "figures" / f"{name}.svg", report / "figures" / f"{name}.png"
        assert svg.stat().st_size > 1000 and png.stat().st_size > 1000, name
        text = svg.read_text(encoding="utf-8")
        assert f"config-sha256:{sha256}" in text and f"seeds:{seeds}" in text
        assert "hashpivot-version:" in text and "<dc:date>" not in text
        with Image.open(png) as image:
            info = image.info
        assert sha256 in info["Description"] and f"seeds {seeds}" in info["Description"]
        assert f"config-sha256:{sha256}" in info["Keywords"] and "Creation Time" not in info


# --------------------------------------------------------------------------------------------
# ensemble
# --------------------------------------------------------------------------------------------


def test_ensemble_writes_one_run_folder_per_seed(ensemble_dir: Path, work: Path):
    info = json.loads((ensemble_dir / ENSEMBLE_FILE).read_text())
    assert info["seeds"] == [0, 1] and info["runs"] == ["seed-0000", "seed-0001"]
    assert info["days"] == int(ENSEMBLE_DAYS)
    for seed, name in zip(info["seeds"], info["runs"], strict=True):
        manifest = json.loads((ensemble_dir / name / "manifest.json").read_text())
        assert manifest["seed"] == seed and manifest["scenario_sha256"] == info["scenario_sha256"]
    assert not [p for p in work.iterdir() if ".tmp-" in p.name]
    # A seed of an ensemble is the same run as `hashpivot run --seed` (byte for byte).
    single = work / "seed1"
    assert cli("run", "--seed", "1", "--days", ENSEMBLE_DAYS, "--out", str(single)) == 0
    for table in ("timeseries.csv", "agents.csv", "leases.csv"):
        assert (single / table).read_bytes() == (ensemble_dir / "seed-0001" / table).read_bytes()


def test_ensemble_refuses_a_foreign_output_folder(tmp_path: Path, capsys):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    assert cli("ensemble", "--seeds", "2", "--days", "5", "--out", str(foreign)) == 2
    assert "not a HashPivot ensemble" in one_error_line(capsys)
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--seeds", "0"], "--seeds"),
        (["--seeds", "2", "--workers", "0"], "--workers"),
        (["--seeds", "2", "--until", "2020-01-01"], "--until"),
        (["--seeds", "2", "--set", "price.kind=nope"], "price.kind"),
    ],
)
def test_bad_ensemble_arguments_are_one_line(argv, words, tmp_path: Path, capsys):
    out = tmp_path / "ens"
    assert cli("ensemble", *argv, "--out", str(out)) == 2
    assert words in one_error_line(capsys)
    assert not out.exists()


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------


def test_report_of_an_ensemble(ensemble_dir: Path, ensemble_report: Path):
    info = json.loads((ensemble_dir / ENSEMBLE_FILE).read_text())
    document = ensemble_report / "report.md"
    text = document.read_text(encoding="utf-8")
    check_figures(ensemble_report, [f.name for f in FIGURES], info["scenario_sha256"], "0, 1")
    assert links_resolve(document) == []
    # Order of the sections, and what the brief asks of each.
    heads = [
        "## Scenario",
        "### Parameters",
        "## Key results",
        "## Calibration",
        "## Methods",
        "## How to cite / how to regenerate",
    ]
    positions = [text.index(h) for h in heads]
    assert positions == sorted(positions)
    assert "hashpivot ensemble --seeds 2" in text and "&& hashpivot report" in text
    assert info["scenario_sha256"] in text and info["git"]["commit"] in text
    assert "5th, 95th percentile" in text
    assert "With 2 seeds the 90% intervals are rough" in text  # issue 20: few seeds, rough intervals
    for table in ("parameters", "key_results"):
        for ext in ("csv", "md", "tex"):
            assert (ensemble_report / "tables" / f"{table}.{ext}").stat().st_size > 0


def test_key_results_hold_the_ensemble_mean_and_90_percent_interval(ensemble_dir, ensemble_report):
    import csv

    with (ensemble_report / "tables" / "key_results.csv").open() as handle:
        rows = {(r["column"], r["date"]): r for r in csv.DictReader(handle)}
    hashrate = [
        float(np.genfromtxt(ensemble_dir / s / "timeseries.csv", delimiter=",", names=True)["network_hashrate_ehs"][-1])
        for s in ("seed-0000", "seed-0001")
    ]
    last = [d for c, d in rows if c == "network_hashrate_ehs"][-1]
    row = rows[("network_hashrate_ehs", last)]
    assert float(row["mean"]) == pytest.approx(np.mean(hashrate))
    assert float(row["p05"]) == pytest.approx(np.percentile(hashrate, 5))
    assert float(row["p95"]) == pytest.approx(np.percentile(hashrate, 95))
    assert row["runs"] == "2"


def test_regenerating_gives_identical_tables_and_figures(ensemble_dir, ensemble_report, tmp_path):
    import shutil

    again = tmp_path / "again"
    shutil.copytree(ensemble_report, again)  # a previous report (it holds report.json) is replaced
    (again / "figures" / "stale.png").write_bytes(b"old")
    assert cli("report", str(ensemble_dir), "--out", str(again)) == 0
    for sub in ("tables", "figures"):
        first = sorted(p.name for p in (ensemble_report / sub).iterdir())
        assert first == sorted(p.name for p in (again / sub).iterdir())
        for name in first:
            assert (ensemble_report / sub / name).read_bytes() == (again / sub / name).read_bytes()


def test_report_of_a_run_as_html_in_the_default_folder(run_dir: Path, tmp_path: Path):
    out = run_dir / "report"  # the default: inside the input folder
    assert cli("report", str(run_dir), "--format", "html") == 0
    manifest = json.loads((run_dir / "manifest.json").read_text())
    check_figures(out, [f.name for f in FIGURES], manifest["scenario_sha256"], "0")
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<table>" in page
    # Self-contained: every figure is embedded, every link to a file of the folder is a data URI, so the
    # page copied alone (mailed) shows all of them (the hand-written converter linked figures/*.png).
    targets = re.findall(r'(?:src|href)="([^"]+)"', page)
    images = re.findall(r'<img src="([^"]+)"', page)
    assert len(images) == len(FIGURES)
    assert all(src.startswith("data:image/png;base64,") for src in images)
    assert all(t.startswith(("data:", "https://", "http://", "#")) for t in targets), targets
    lonely = tmp_path / "mailed.html"
    lonely.write_text(page, encoding="utf-8")
    assert not [t for t in targets if not t.startswith("data:") and (tmp_path / t).exists()]
    import base64

    first = base64.b64decode(images[0].split(",", 1)[1])
    assert first == (out / "figures" / "network.png").read_bytes()
    assert json.loads((out / REPORT_FILE).read_text())["kind"] == "run"


def test_pdf_report_is_printed_from_the_html(run_dir: Path, tmp_path: Path):
    from hashpivot.model.tools.report.markdown_html import chromium

    if chromium() is None:
        pytest.skip("no Chromium on PATH (apt-get install chromium)")
    out = tmp_path / "pdf"
    assert cli("report", str(run_dir), "--format", "pdf", "--out", str(out)) == 0
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF-")
    assert (out / "report.pdf").stat().st_size > 50_000  # the figures are in it
    assert json.loads((out / REPORT_FILE).read_text())["document"] == "report.pdf"


def test_pdf_without_chromium_is_one_line_and_writes_nothing(run_dir, tmp_path, capsys, monkeypatch):
    from hashpivot.model.tools.report import markdown_html

    monkeypatch.setattr(markdown_html.shutil, "which", lambda name: None)
    out = tmp_path / "pdf"
    assert cli("report", str(run_dir), "--format", "pdf", "--out", str(out)) == 2
    assert "--format pdf: needs Chromium" in one_error_line(capsys)
    assert not out.exists()


@pytest.fixture(scope="module")
def bear_until(work: Path) -> Path:
    """btc_bear to a date, as the issue ran it (shorter): a horizon that is not the scenario's run.days."""
    out = work / "bear"
    assert cli("run", "btc_bear", "--until", "2024-06-30", "--out", str(out)) == 0
    return out


def _parameter_rows(report: Path) -> dict[str, dict]:
    import csv

    with (report / "tables" / "parameters.csv").open(encoding="utf-8") as handle:
        return {r["key"]: r for r in csv.DictReader(handle)}


def test_report_states_the_inputs_the_run_used(bear_until: Path, tmp_path: Path):
    # Issue 20: a btc_bear run with --until reported run.days | 3650 and named runs/baseline.toml as the
    # source of btc_bear; values set by a file must cite that file, the horizon the flag that set it.
    out = tmp_path / "bear-report"
    assert cli("report", str(bear_until), "--out", str(out)) == 0
    rows = _parameter_rows(out)
    assert rows["run.days"]["value"] == "72" and rows["run.days"]["source"] == "--until 2024-06-30"
    assert rows["name"]["value"] == "btc_bear" and rows["name"]["source"] == "runs/btc_bear.toml"
    assert rows["price.drift_per_year"]["source"] == "runs/btc_bear.toml"
    assert rows["price.csv_path"]["source"] == "runs/baseline.toml"  # inherited from the base file
    assert rows["ai.gpu_cloud.term_years"]["value"] == "5"
    assert "10-15 yr" not in rows["ai.gpu_cloud.term_years"]["source"]
    assert "~20%" not in rows["miners[0].convertible_share"]["source"]  # 0.6: a default archetype's value
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "(72 days, one step per day)" in text and "from `runs/btc_bear.toml`" in text


def test_every_report_note_agrees_with_its_value(bear_until, ensemble_dir, ensemble_report, tmp_path):
    from hashpivot.model.tools.notes import contradictions
    from hashpivot.model.tools.report.source import open_source

    out = tmp_path / "bear-report"
    assert cli("report", str(bear_until), "--out", str(out)) == 0
    for folder, report in ((bear_until, out), (ensemble_dir, ensemble_report)):
        source = open_source(folder)
        rows = scenario_rows(source.parameters(), source.parameter_sources)
        shown = _parameter_rows(report)
        assert [(r.key, r.value, r.source) for r in rows] == [(k, v["value"], v["source"]) for k, v in shown.items()]
        assert contradictions(rows) == []


def test_outputs_hold_no_absolute_paths_or_internal_references(bear_until, ensemble_dir, tmp_path, capsys):
    # Issue 20: absolute paths of the machine appeared in reports and in `hashpivot show`; "issue 3" in
    # the notes of the parameter table.
    out = tmp_path / "bear-report"
    assert cli("report", str(bear_until), "--format", "html", "--out", str(out)) == 0
    capsys.readouterr()
    assert cli("show", "backtest_2024_2025") == 0
    shown = capsys.readouterr().out
    texts = {
        "report.html": (out / "report.html").read_text(encoding="utf-8"),
        "parameters.md": (out / "tables" / "parameters.md").read_text(encoding="utf-8"),
        "run manifest": (bear_until / "manifest.json").read_text(encoding="utf-8"),
        "ensemble.json": (ensemble_dir / ENSEMBLE_FILE).read_text(encoding="utf-8"),
        "show": shown,
    }
    roots = {str(REPO), str(Path.cwd()), str(tmp_path), str(Path(tmp_path).parents[1])}
    for name, text in texts.items():
        for root in roots:  # as an absolute path; "../../tmp/..." (relative to the project) is fine
            assert not re.search(r"(?<![\w.])" + re.escape(root), text), (name, root)
        assert not re.search(r"\bissue \d", text, re.IGNORECASE), name


def test_show_writes_data_paths_relative_to_the_file(tmp_path: Path, capsys):
    from hashpivot.model.config.scenarios import load_scenario

    target = tmp_path / "deep" / "resolved.toml"
    assert cli("show", "backtest_2024_2025", "--out", str(target)) == 0
    text = target.read_text(encoding="utf-8")
    (path,) = re.findall(r'csv_path = "([^"]+)"', text)
    assert (
        not Path(path).is_absolute()
        and (target.parent / path).resolve() == (REPO / "runs/data/btc_monthly_2024_2025.csv").resolve()
    )
    again, original = load_scenario(target), load_scenario(Path("backtest_2024_2025"))
    assert again.scenario == original.scenario and again.sha256 == original.sha256


def test_report_of_a_sweep(sweep_dir: Path, tmp_path: Path):
    out = tmp_path / "sweep-report"
    assert cli("report", str(sweep_dir), "--out", str(out)) == 0
    document = out / "report.md"
    assert links_resolve(document) == []
    text = document.read_text(encoding="utf-8")
    assert "price.drift_per_year" in text and "spearman_rho" in text
    for table in ("sweep_parameters", "sweep_outputs", "sweep_summary", "base_parameters"):
        assert (out / "tables" / f"{table}.csv").is_file()
    assert (out / "figures" / "sweep_price_final.svg").is_file()
    assert (out / "figures" / "prices.png").is_file()  # the kept btc_price_usd series, banded


def test_sweep_report_includes_the_sensitivity_analysis(work: Path, tmp_path: Path):
    # Issue 20: the sweep report left out the sensitivity results already computed.
    from hashpivot.model.cli import sweep as sweep_cmd
    from hashpivot.model.tools.sensitivity import analyze_sweep

    spec = work / "sobol_sweep.toml"
    spec.write_text(
        textwrap.dedent(
            """\
            name = "sobol_sweep"
            base = "tiny"
            days = 10
            [[parameters]]
            name = "price.drift_per_year"
            low = -0.5
            high = 0.6
            [[parameters]]
            name = "price.volatility_per_year"
            low = 0.1
            high = 0.8
            [design]
            method = "sobol"
            samples = 4
            root_seed = 7
            [[outputs.metrics]]
            name = "price_final"
            column = "btc_price_usd"
            reducer = "final"
            """
        ),
        encoding="utf-8",
    )
    (work / "tiny.toml").write_text('name = "tiny"\n[run]\ndays = 30\n', encoding="utf-8")
    folder = tmp_path / "sobol"
    parser = __import__("argparse").ArgumentParser()
    sweep_cmd.add_arguments(parser)
    assert sweep_cmd.main(parser.parse_args([str(spec), "--workers", "1", "--out", str(folder)])) == 0
    out = tmp_path / "sobol-report"
    assert cli("report", str(folder), "--out", str(out)) == 0
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "## Sensitivity" in text and "### Sensitivity of `price_final`" in text and "ST at N/2" in text
    assert "> **Warning**: " in text  # N = 4: wide intervals at least
    assert (out / "figures" / "sensitivity_price_final.png").is_file()
    assert links_resolve(out / "report.md") == []
    import csv

    with (out / "tables" / "sensitivity_price_final.csv").open() as handle:
        shown = {r["parameter"]: r for r in csv.DictReader(handle)}
    direct = analyze_sweep(folder, "price_final")  # the same numbers as `hashpivot sensitivity`
    for row in direct.rows:
        assert float(shown[row["parameter"]]["ST"]) == row["ST"]


ENTRY_DAYS = "400"  # long enough for the baseline to see an entrant, scrapped machines and relocations
ENTRY_FIGURES = {
    "entry": ("mw_mining_capacity", "mw_hibernating", "mw_mining_queue_pending", "mw_entered_total", "miners_active"),
    "asic_market": ("asic_price_usd_per_th_new", "asic_price_usd_per_th_used", "used_asic_th_sold_total"),
}
NEWER_FIGURES = {  # figures whose columns came later (2026-12-02); checked like the entry figures
    "network": ("network_hashrate_ehs", "difficulty", "hash_supply_elasticity"),
    "ai_capacity": ("ai_demand_mw", "ai_demand_planned_mw", "ai_capacity_secured_mw", "ai_capacity_live_mw"),
}
ENTRY_ROWS = {  # key result -> its scale from the daily column (each is positive at the 400-day run's end)
    "mw_entered_total": 1.0,
    "miners_entered_total": 1.0,
    "used_asic_th_sold_total": 1e-6,
    "used_asic_th_scrapped_total": 1e-6,
    "mw_relocated_total": 1.0,
}
FIRMS_TOTALS = (  # the firms' running totals: how many defaults, takeovers, ... is the model's to say
    "miners_defaulted_total",
    "miners_wound_down_total",
    "miners_restructured_total",
    "acquisitions_total",
    "payouts_usd_total",
    "debt_written_off_usd_total",
    "debt_to_equity_usd_total",
    "acquisitions_usd_total",
)
FIRMS_COLUMNS = (*FIRMS_TOTALS, "miners_in_model")  # and the firms still in the model, a level
FIRMS_ROWS = {  # key result -> its scale from the daily column (any may be 0)
    "miners_defaulted_total": 1.0,
    "miners_restructured_total": 1.0,
    "acquisitions_total": 1.0,
    "payouts_usd_total": 1e-9,
    "miners_in_model": 1.0,
}


def test_report_shows_entry_and_the_used_machine_market(work: Path, tmp_path: Path, monkeypatch):
    """The "Entry and mining capacity", "ASIC market", network (with the hash supply's elasticity) and AI capacity
    figures and the entry rows, from a 400-day baseline."""
    import csv

    from hashpivot.model.tools.report import figures as figures_module

    run = work / "run-400"
    assert cli("run", "--days", ENTRY_DAYS, "--out", str(run)) == 0
    drawn = {}
    real = figures_module.save_figure

    def keep(fig, folder, name, *args, **kwargs):
        drawn[name] = fig
        return real(fig, folder, name, *args, **kwargs)

    monkeypatch.setattr(figures_module, "save_figure", keep)
    out = tmp_path / "entry"
    assert cli("report", str(run), "--no-svg", "--out", str(out)) == 0
    specs = {f.name: f for f in FIGURES}
    assert specs["entry"].title == "Entry and mining capacity" and specs["asic_market"].title == "ASIC market"
    text = (out / "report.md").read_text(encoding="utf-8")
    series = np.genfromtxt(run / "timeseries.csv", delimiter=",", names=True)
    assert series["mw_mining_capacity"][-1] > 0 and series["asic_price_usd_per_th_new"][-1] > 0
    for name, columns in {**ENTRY_FIGURES, **NEWER_FIGURES, "firms": ("miners_in_model",)}.items():
        assert f"### {specs[name].title}" in text and (out / "figures" / f"{name}.png").stat().st_size > 1000
        # Every line the spec states is drawn, from its column, in the panel's unit.
        lines = {ln.get_label(): ln for ax in drawn[name].axes for ln in ax.get_lines()}
        assert [ax.get_ylabel() for ax in drawn[name].axes] == [p.ylabel for p in specs[name].panels]
        assert len(lines) == sum(len(p.lines) for p in specs[name].panels)
        for line in (x for p in specs[name].panels for x in p.lines):
            y = np.asarray(lines[line.label].get_ydata(), float)
            np.testing.assert_allclose(y, series[line.column] * line.scale, err_msg=line.column)
        for column in columns:
            assert np.nanmax(series[column]) > 0 or column == "mw_hibernating", column
    with (out / "tables" / "key_results.csv").open() as handle:
        rows = {(r["column"], r["date"]): r for r in csv.DictReader(handle)}
    last = str(np.datetime64("2024-04-20", "D") + np.timedelta64(int(ENTRY_DAYS) - 1, "D"))
    for column, scale in ENTRY_ROWS.items():
        row = rows[(column, last)]
        assert float(row["mean"]) == pytest.approx(series[column][-1] * scale), column
        assert float(row["mean"]) > 0, column
    assert rows[("used_asic_th_sold_total", last)]["unit"] == "EH/s"
    shown = (out / "tables" / "key_results.md").read_text(encoding="utf-8")
    assert "| entrant firms (cumulative) | firms |" in shown and "| used machines sold (cumulative) | EH/s |" in shown
    assert_firms_shown(specs["firms"], series, rows, last, shown)


def assert_firms_shown(spec, series, rows, last: str, shown: str) -> None:
    """The firms figure plots every firm column, and the key results hold its rows, in the units they state."""
    assert spec.title == "Firms: defaults, restructurings, takeovers, payouts"
    assert {x.column for p in spec.panels for x in p.lines} == set(FIRMS_COLUMNS)
    money = {x.column: x.scale for p in spec.panels for x in p.lines if x.column.endswith("_usd_total")}
    assert money == dict.fromkeys(money, 1e-9) and len(money) == 4  # B USD
    for column in FIRMS_TOTALS:  # running totals: never negative, never falling
        assert np.nanmin(series[column]) >= 0 and np.all(np.diff(series[column]) >= 0), column
    assert np.nanmin(series["miners_in_model"]) > 0
    for column, scale in FIRMS_ROWS.items():
        assert float(rows[(column, last)]["mean"]) == pytest.approx(series[column][-1] * scale), column
    assert rows[("payouts_usd_total", last)]["unit"] == "B USD"
    assert "| firms defaulted (cumulative) | firms |" in shown and "| firms in the model | firms |" in shown


def test_report_of_a_run_without_the_entry_columns_leaves_them_out(run_dir: Path, tmp_path: Path):
    """Older runs recorded no entry, used-machine or firm columns: their figures and rows are left out, the rest
    stays."""
    import shutil

    old = tmp_path / "old-run"
    shutil.copytree(run_dir, old, ignore=shutil.ignore_patterns("report", "timeseries.parquet"))
    dropped = {c for columns in ENTRY_FIGURES.values() for c in columns} | set(ENTRY_ROWS)
    dropped |= {"asic_j_per_th_new", "used_asic_mw_on_offer", "used_asic_th_scrapped_total", *FIRMS_COLUMNS}
    lines = (run_dir / "timeseries.csv").read_text(encoding="utf-8").splitlines()
    keep = [i for i, name in enumerate(lines[0].split(",")) if name not in dropped]
    assert len(keep) < len(lines[0].split(","))
    text = "\n".join(",".join(line.split(",")[i] for i in keep) for line in lines) + "\n"
    (old / "timeseries.csv").write_text(text, encoding="utf-8")
    out = tmp_path / "old-report"
    assert cli("report", str(old), "--no-svg", "--out", str(out)) == 0
    figures = sorted(p.stem for p in (out / "figures").glob("*.png"))
    assert figures == sorted(f.name for f in FIGURES if f.name not in {*ENTRY_FIGURES, "firms"})
    table = (out / "tables" / "key_results.csv").read_text(encoding="utf-8")
    assert "network_hashrate_ehs" in table and not [c for c in (*ENTRY_ROWS, *FIRMS_ROWS) if c in table]


def test_png_only_report_links_no_svg(run_dir: Path, tmp_path: Path):
    out = tmp_path / "png"
    assert cli("report", str(run_dir), "--no-svg", "--out", str(out)) == 0
    assert not list((out / "figures").glob("*.svg")) and list((out / "figures").glob("*.png"))
    assert links_resolve(out / "report.md") == []
    assert "One run." in (out / "report.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("case", ["missing", "not_a_run", "a_file", "bad_format", "foreign_out"])
def test_bad_report_input_is_one_line_and_writes_nothing(case, run_dir, tmp_path, capsys):
    out = tmp_path / "out"
    folder = tmp_path / "input"
    argv = ["report", str(folder), "--out", str(out)]
    if case == "missing":
        words = "no such folder"
    elif case == "not_a_run":
        folder.mkdir()
        (folder / "data.csv").write_text("a,b\n")
        words = "not a HashPivot run, ensemble or sweep folder"
    elif case == "a_file":
        folder.write_text("x")
        words = "is a file"
    elif case == "bad_format":
        argv = ["report", str(run_dir), "--format", "docx", "--out", str(out)]
        words = "accepted: md, html, pdf"
    else:
        out.mkdir()
        (out / "thesis.tex").write_text("keep me")
        argv = ["report", str(run_dir), "--out", str(out)]
        words = "not a HashPivot report"
    assert cli(*argv) == 2
    assert words in one_error_line(capsys)
    if case == "foreign_out":
        assert [p.name for p in out.iterdir()] == ["thesis.tex"]
    else:
        assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


# --------------------------------------------------------------------------------------------
# compare
# --------------------------------------------------------------------------------------------


def test_compare_puts_folders_side_by_side(run_dir, ensemble_dir, tmp_path, monkeypatch):
    import csv

    from hashpivot.model.tools import compare

    figures = []
    real = compare.save_figure

    def keep(fig, *args, **kwargs):
        figures.append(fig)
        return real(fig, *args, **kwargs)

    monkeypatch.setattr(compare, "save_figure", keep)
    out = tmp_path / "cmp"
    assert cli("compare", str(run_dir), str(ensemble_dir), "--out", str(out)) == 0
    document = out / "compare.md"
    assert links_resolve(document) == []
    for spec in FIGURES:
        assert (out / "figures" / f"compare_{spec.name}.png").stat().st_size > 1000
        assert (out / "figures" / f"compare_{spec.name}.svg").stat().st_size > 1000
    # One column per folder; every row of panels shares its y-limits.
    assert len(figures) == len(FIGURES)
    for fig in figures:
        for left, right in np.array(fig.axes).reshape(-1, 2):
            assert left.get_ylim() == right.get_ylim()
    with (out / "tables" / "compare_metrics.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert {r["date"] for r in rows} == {"2024-06-03"}  # the last day both simulated (45th)
    first = [r for r in rows if r["scenario"].endswith("(run)")]
    assert first and all(float(r["diff_vs_first"]) == 0 for r in first if r["mean"] != "nan")
    text = document.read_text(encoding="utf-8")
    assert "hashpivot ensemble --seeds 2" in text and "hashpivot compare" in text


@pytest.mark.parametrize("case", ["one", "sweep", "missing"])
def test_bad_compare_input_is_one_line(case, run_dir, sweep_dir, tmp_path, capsys):
    out = tmp_path / "cmp"
    folders = {"one": [run_dir], "sweep": [run_dir, sweep_dir], "missing": [run_dir, tmp_path / "x"]}
    assert cli("compare", *map(str, folders[case]), "--out", str(out)) == 2
    line = one_error_line(capsys)
    assert {"one": "nothing to compare", "sweep": "sweep folder", "missing": "no such folder"}[case] in line
    assert not out.exists()


# --------------------------------------------------------------------------------------------
# Tables, HTML, ODD, citation
# --------------------------------------------------------------------------------------------


def test_latex_and_markdown_writers():
    assert latex_escape("a_b & 5% #1 {x} ~ ^ \\") == (
        r"a\_b \& 5\% \#1 \{x\} \textasciitilde{} \textasciicircum{} \textbackslash{}"
    )
    table = Table("t", "A title", ("name", "value"), (("x|y", 1234.5), ("z", float("nan"))))
    md = table_markdown(table)
    assert md.splitlines()[1] == "|---|---:|" and "x\\|y" in md and "1,234" in md and "n/a" in md
    tex = table_latex(table)
    assert "\\begin{tabular}{lr}" in tex and "x|y & 1,234 \\\\" in tex and tex.endswith("\\end{tabular}\n")


def test_markdown_to_html_handles_what_reports_write(tmp_path: Path):
    (tmp_path / "f.png").write_bytes(b"\x89PNG fake")
    (tmp_path / "f.svg").write_text("<svg/>")
    page = markdown_to_html(
        "# T\n\n- **a**: `x|y`\n\n| h | n |\n|---|---:|\n| a\\|b | 1.5 |\n\n![alt](f.png) [l](f.svg) "
        "[w](https://example.org)\n\n```sh\na && b\n```\n<!-- dropped -->\n",
        "T",
        tmp_path,
    )
    assert "<h1>T</h1>" in page and "<li><strong>a</strong>: <code>x|y</code></li>" in page
    assert "<td>a|b</td>" in page and '<td style="text-align:right">1.5</td>' in page
    assert '<img src="data:image/png;base64,iVBORyBmYWtl" alt="alt" />' in page
    assert 'href="data:image/svg+xml;base64,PHN2Zy8+" download="f.svg">l</a>' in page
    assert '<a href="https://example.org">w</a>' in page and "dropped" not in page
    assert '<pre><code class="language-sh">a &amp;&amp; b\n</code></pre>' in page


def test_source_notes_are_checked_against_their_values():
    from hashpivot.model.tools.notes import contradiction
    from hashpivot.model.tools.odd import ParamRow

    # The three contradictions issue 20 found in a report, and notes that agree with their values.
    bad = [
        ParamRow("ai.gpu_cloud.term_years", "5", "years", "cal: recent miner leases 10-15 yr"),
        ParamRow("miners[0].convertible_share", "0.6", "share of MW", "cal: ~20% of a portfolio convertible"),
        ParamRow("run.days", "730", "days", "ten years of daily steps (issue 3)"),
    ]
    good = [
        ParamRow("ai.colocation.term_years", "15", "years", "cal: recent miner leases 10-15 yr"),
        ParamRow("miners[].convertible_share", "0.2", "share of MW", "cal: ~20% of a portfolio convertible"),
        ParamRow("run.days", "3650", "days", "ten years of daily steps"),
        ParamRow("x.escalator", "0.03", "1/yr", "cal: 2-3% escalators (Hut 8 3%)"),
        ParamRow("x.capex", "11000000", "USD/MW IT", "assumption: new build, above 8-10 M$ conversion"),
        ParamRow("x.adder", "8", "USD/MWh over regional price", "cal: delivered cost median ~45 $/MWh"),
        ParamRow("x.rent", "140", "USD/kW-month", "cal: recent miner leases ~100-160 $/kW-month"),
        ParamRow("x.opex", "250", "USD/MW-day", "cal: opex 55.5 vs power 45 $/MWh -> ~10.5 $/MWh x 24 h"),
        ParamRow("x.gpu", "0.3", "share", "~20% of a portfolio", inherited=True),  # a section's note
    ]
    assert all(contradiction(r) for r in bad), [r.key for r in bad if not contradiction(r)]
    assert [r.key for r in good if contradiction(r)] == []
    assert "'10-15 yr'" in contradiction(bad[0])


def test_schema_notes_agree_with_their_defaults():
    # Every note of model/config/schema.py next to its default (the ODD table): numbers in the note's own
    # unit must not contradict the default they justify.
    from hashpivot.model.tools.notes import contradictions

    assert contradictions(schema_rows()) == []
    assert contradictions(scenario_rows(Scenario().model_dump(mode="json"))) == []


def test_key_dates_are_year_ends_and_the_last_day():
    dates = np.arange(np.datetime64("2024-04-20"), np.datetime64("2034-04-18"))
    picked = [str(dates[i]) for i in key_dates(dates)]
    assert picked[-1] == "2034-04-17" and len(picked) == 5
    assert all(d.endswith("-12-31") for d in picked[:-1])
    short = dates[:60]
    assert [str(short[i]) for i in key_dates(short)] == ["2024-06-18"]


def test_odd_parameter_table_matches_the_schema():
    text = (REPO / "docs" / "ODD.md").read_text(encoding="utf-8")
    block = text.split(START_MARKER, 1)[1].split(END_MARKER, 1)[0]
    assert block.strip() == parameter_table_markdown().strip(), (
        "docs/ODD.md's parameter table is out of date: run `python -m hashpivot.model.tools.odd --write docs/ODD.md`"
    )
    keys = {r.key for r in schema_rows()}
    assert {f"run.{name}" for name in RunSection.model_fields} <= keys
    assert {"miners", "miners[].mw", "mining.generations[].j_per_th", "shocks[].kind"} <= keys
    assert all(
        r.unit or r.value == "(section)" or r.key in {"description"}
        for r in schema_rows()
        if not r.key.endswith("description")
    )


def test_scenario_rows_expand_every_list_item():
    rows = {r.key: r for r in scenario_rows(Scenario().model_dump(mode="json"))}
    assert rows["miners[5].name"].value == "us_tail" and rows["miners[5].count"].value == "24"
    assert rows["mining.generations[2].j_per_th"].unit == "J/TH"
    assert rows["ai.spend_growth_per_year"].source.startswith("econ:")


def test_citation_file_is_cff_1_2_0():
    yaml = pytest.importorskip("yaml")
    data = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    assert {"cff-version", "message", "title", "authors"} <= set(data)
    assert data["cff-version"] == "1.2.0" and data["title"] == "HashPivot"
    assert data["authors"] == [{"name": "HashPivot developers"}]
    assert data["version"] == "0.1.0" and data["license"] == "MIT" and data["type"] == "software"
    allowed = {
        "cff-version",
        "message",
        "title",
        "authors",
        "version",
        "license",
        "type",
        "abstract",
        "keywords",
        "repository-code",
        "url",
        "date-released",
        "doi",
    }
    assert set(data) <= allowed
    for key in ("repository-code", "url"):
        assert key not in data or re.match(r"https?://\S+$", data[key])
