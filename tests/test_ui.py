"""The Mesa browser UI (model/tools/ui/) rendered headless with ``solara.render``: no browser.

SolaraViz puts its controls in a sidebar, which only renders inside an ``AppLayout`` (as
``solara run`` provides), so every page here is wrapped in one. The views redraw after every
step here (``every_day_redrawn``); in a browser they redraw at most every REDRAW_PERIOD_S.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import json
import math

import altair as alt
import ipyvuetify as v
import networkx as nx
import numpy as np
import pytest
import solara

from hashpivot.model.config.scenarios import builtin_names, load_scenario
from hashpivot.model.tools import ui
from hashpivot.model.tools.run import collect
from hashpivot.model.tools.ui import charts, export, geo, panels, params, server, vega, views
from hashpivot.model.tools.ui.params import KNOBS, PageSettings

SHIPPED = builtin_names()
FIDELITY_DAYS = 25


@pytest.fixture
def viz(built, every_day_redrawn):
    box, rc = solara.render(solara.AppLayout(children=[ui.Page()]), handle_error=False)
    yield rc
    rc.close()


def button(rc, label: str):
    return rc.find(v.Btn, children=[label]).widget


def field(rc, label: str):
    return rc.find(v.TextField, label=label).widget


def type_into(rc, label: str, text: str) -> None:
    """Type ``text`` into a number field and press Enter, as a user does."""
    widget = field(rc, label)
    widget.v_model = text
    widget.fire_event("keyup.enter", {})


def choose_scenario(rc, name: str) -> None:
    rc.find(v.Select, label="Scenario").widget.v_model = name


def step_days(rc, days: int) -> None:
    """Step ``days`` days with one press of Step: Mesa's Render Interval is the days a Step runs."""
    interval = rc.find(v.Slider, label="Render Interval (steps)").widget
    interval.v_model = days
    button(rc, "Step").click()
    interval.v_model = 1


def page_text(rc) -> str:
    """Every text and HTML snippet on the page, joined."""
    texts = [str(c) for w in rc.find(v.Html).widgets for c in w.children]
    texts += [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets]
    return "\n".join(texts)


def cli_timeseries(tmp_path, scenario: str, seed: int, days: int, sets: tuple[str, ...] = ()) -> dict[str, list]:
    """``hashpivot run SCENARIO --seed S --days N [--set ...]``'s timeseries.csv, by column."""
    from hashpivot.model import cli

    out = tmp_path / f"cli-{scenario}-{seed}-{days}"
    argv = ["run", scenario, "--seed", str(seed), "--days", str(days), "--out", str(out)]
    argv += [part for s in sets for part in ("--set", s)]
    assert cli.main(argv) == 0
    with (out / "timeseries.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return {name: [row[i] for row in rows[1:]] for i, name in enumerate(rows[0])}


def assert_same_timeseries(model, table: dict[str, list]) -> None:
    ts = collect(model).timeseries
    assert set(ts) == set(table)
    assert list(ts["date"]) == table["date"]
    for name, values in ts.items():
        if name != "date":
            expected = np.array([float(x) if x else math.nan for x in table[name]])
            np.testing.assert_array_equal(np.asarray(values, float), expected, err_msg=name)


# ------------------------------------------------------------------------------------------------
# Controls -> the scenario that runs
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_value_fits_its_control(name):
    """A shipped scenario's value sits on its slider's steps, so the slider cannot round it."""
    base = params.load_base(name)
    for key, knob in KNOBS.items():
        assert knob.on_slider(knob.read(base)), (name, key, knob.read(base))


def test_a_value_off_the_slider_is_left_to_the_number_field():
    knob = KNOBS["ai_spend_growth_per_year"]
    assert knob.on_slider(0.266) and knob.on_slider(0.0)
    assert not knob.on_slider(0.2661)  # a slider would round it to 0.266 and run that instead
    assert not knob.on_slider(knob.hi + knob.step)


def test_moved_controls_become_set_overrides():
    base = params.load_base("baseline")
    values = {"btc_drift_per_year": 0.4, "conversion_capex_musd_per_mw": 6.5, "texas_rule_strict": True}
    values |= {"dr_payment_scale": base.grid.dr_scale, "n_miners": 120}  # the first as in the file
    sets = params.overrides(base, values)
    assert sets[:2] == ["price.drift_per_year=0.4", "ai.colocation.conversion_capex_usd_per_mw=6500000.0"]
    assert sets[-1] == "grid.texas_rule_strict=true"
    assert all(s.startswith("miners.") for s in sets[2:-1]) and not any("dr_scale" in s for s in sets)
    loaded = params.load("baseline", sets)
    assert loaded.scenario.price.drift_per_year == 0.4
    assert params.total_miners(loaded.scenario) == 120
    named = {a.name: a.count for a in base.miners if a.name not in params.TAIL_ARCHETYPES}
    assert {a.name: a.count for a in loaded.scenario.miners if a.name in named} == named


@pytest.mark.parametrize(
    "name, raw, words",
    [
        ("btc_volatility_per_year", "-1", ["BTC price volatility", "price.volatility_per_year", ">= 0 and <= 3"]),
        ("ai_spend_growth_per_year", "abc", ["AI demand growth", "'abc' is not a number", ">= -0.5 and <= 2"]),
        ("lease_rent_usd_per_kw_month", "0", ["Lease rent reference", "out of range", "(accepted: > 0"]),
        ("btc_drift_per_year", "nan", ["BTC price drift", "not a number"]),
        ("n_miners", "2", ["Number of miners", "(the named miners) to 500"]),
        ("n_miners", "70.5", ["Number of miners", "not valid"]),
    ],
)
def test_bad_values_are_refused_in_one_line_naming_the_control_and_the_range(name, raw, words):
    with pytest.raises(params.InputError) as caught:
        params.parse_control(name, raw, params.named_miner_count(params.load_base("baseline")))
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_the_seed_is_the_command_lines_and_is_checked():
    from hashpivot.model.cli import build_parser

    assert params.DEFAULT_SEED == build_parser().parse_args(["run"]).seed == 0
    assert params.parse_seed(" 7 ") == 7
    for bad in ("abc", "-1", "1.5", "２", str(2**63)):
        with pytest.raises(params.InputError, match="Seed: .* is not valid"):
            params.parse_seed(bad)


def test_ui_model_is_the_command_lines_model():
    model = ui.UiModel(PageSettings("btc_bear", "3", {"btc_volatility_per_year": 0.6}))
    assert model.ui_error is None and model.seed == 3
    assert model.ui_overrides == ("price.volatility_per_year=0.6",)
    assert model.config == load_scenario(params.find_scenario("btc_bear"), ["price.volatility_per_year=0.6"]).scenario
    assert model.horizon_days == model.config.run.days


@pytest.mark.parametrize(
    "settings, words",
    [
        (PageSettings("baseline", "abc"), ["Seed: 'abc' is not valid", "using seed 0"]),
        (PageSettings("no_such_scenario"), ["no_such_scenario", "showing the default scenario"]),
        (PageSettings("baseline", "0", {"btc_volatility_per_year": -1.0}), ["price.volatility_per_year", "its file"]),
    ],
)
def test_unusable_settings_run_the_file_and_say_so_in_one_line(settings, words):
    model = ui.UiModel(settings)
    assert model.ui_error and "\n" not in model.ui_error
    for word in words:
        assert word in model.ui_error
    assert model.ui_overrides == ()
    model.step()  # and it runs


def test_play_stops_at_the_scenario_horizon(short_scenario):
    model = ui.UiModel(PageSettings(str(short_scenario)))
    assert model.horizon_days == 3
    for _ in range(2):
        model.step()
    assert model.running and not model.at_horizon
    model.step()
    assert not model.running and model.at_horizon


# ------------------------------------------------------------------------------------------------
# Views
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stepped():
    model = ui.UiModel()
    for _ in range(45):
        model.step()
    return model


@pytest.mark.parametrize("name", list(charts.CHARTS))
def test_chart_specs_are_valid_vega_lite(name, stepped):
    for model in (None, stepped):
        spec = charts.chart_spec(name, model)
        schema = alt.TopLevelLayerSpec if "layer" in spec else alt.TopLevelUnitSpec
        schema.from_dict(spec)  # raises on anything Vega-Lite would not accept
        assert spec["title"] and "NaN" not in json.dumps(spec["datasets"])
        assert charts.CHARTS[name].caption


def test_series_come_from_the_recorder(stepped):
    rows = charts.price_data(stepped)["series"]
    assert len(rows) == stepped.recorder.n
    assert rows[-1]["price"] == pytest.approx(stepped.recorder.last("btc_price_usd"), rel=1e-4)
    assert rows[0]["date"] == stepped.config.run.start_date.isoformat()
    folded = charts.mw_data(stepped)["series"][-1]
    assert folded[charts.series_key(0)] == pytest.approx(stepped.recorder.last("mw_mining") / 1e3, rel=1e-4)


ENTRY_DAYS = 400  # long enough for the baseline to see an entrant and machines scrapped


@pytest.fixture(scope="module")
def entry_run():
    model = ui.UiModel()
    for _ in range(ENTRY_DAYS):
        model.step()
    return model


def test_entry_and_used_machine_views_show_the_recorders_columns(entry_run):
    """The "Entry & used machines" charts: capacity, hibernating, queued and entered MW and miners; ASIC prices;
    and the "Firms" chart: defaults, restructurings, acquisitions and wind-downs, and the firms in the model."""
    assert {c.name for c in panels.COMPONENTS} >= {"EntryChart", "MachinesChart", "FirmsChart"}
    rec, n = entry_run.recorder, entry_run.recorder.n
    stride = views.bin_days(n)
    last_bin = slice((math.ceil(n / stride) - 1) * stride, n)
    machine_divisors = (1.0, 1.0, 1e6, 1e6)  # USD/TH as recorded; TH sold and scrapped shown in EH/s
    for name, columns, divisors in (
        ("entry", charts.ENTRY_COLUMNS, (1.0,) * len(charts.ENTRY_COLUMNS)),
        ("machines", charts.MACHINE_COLUMNS, machine_divisors),
        ("firms", charts.FIRMS_COLUMNS, (1.0,) * len(charts.FIRMS_COLUMNS)),
    ):
        rows = charts.CHARTS[name].data(entry_run)["series"]
        assert len(rows) == math.ceil(n / stride) and rows[-1]["date"] < entry_run.date.isoformat()
        for i, (column, divisor) in enumerate(zip(columns, divisors, strict=True)):
            expected = np.nanmean(rec.column(column)[last_bin]) / divisor
            assert rows[-1][charts.series_key(i)] == pytest.approx(expected, rel=1e-4, abs=1e-9), column
        spec = charts.chart_spec(name, entry_run)
        assert spec["resolve"]["scale"]["y"] == "independent"
        assert spec["layer"][1]["encoding"]["y"]["axis"]["orient"] == "right"

    def last_row(name: str, columns: tuple[str, ...]) -> dict[str, float]:
        row = charts.CHARTS[name].data(entry_run)["series"][-1]
        return {c: row[charts.series_key(i)] for i, c in enumerate(columns)}

    entry = last_row("entry", charts.ENTRY_COLUMNS)
    assert entry["mw_mining_capacity"] > 0 and entry["mw_entered_total"] > 0 and entry["miners_active"] > 0
    used = last_row("machines", charts.MACHINE_COLUMNS)
    assert used["asic_price_usd_per_th_new"] > used["asic_price_usd_per_th_used"] > 0
    assert used["used_asic_th_sold_total"] > 0 and used["used_asic_th_scrapped_total"] > 0
    assert "USD/TH" in charts.CHARTS["machines"].caption and "EH/s" in charts.CHARTS["machines"].caption
    assert set(charts.FIRMS_COLUMNS) >= {
        "miners_defaulted_total",
        "miners_restructured_total",
        "acquisitions_total",
        "miners_in_model",
    }
    assert list(charts.FIRMS_COLORS)[charts.FIRMS_EVENTS :] == ["Firms in the model"]  # the level, on the right
    firms = last_row("firms", charts.FIRMS_COLUMNS)
    assert all(firms[c] >= 0 for c in charts.FIRMS_COLUMNS[: charts.FIRMS_EVENTS]) and firms["miners_in_model"] > 0
    assert rec.last("miners_in_model") == len(entry_run.miners) <= len(entry_run.all_miners())


def retire(model, miner, status: str) -> None:
    """Let ``miner`` leave the model as a wound-down, defaulted or acquired firm does (``retire_miner``).

    Its holdings stay where they are: the model is not stepped again.
    """
    miner.status = status
    model.retire_miner(miner)


def test_the_miners_table_and_card_follow_firms_out_of_the_model():
    """Firms that leave Mesa's agent set drop out of the table, keep their card (with their status) and their
    leases' names; one in default stays listed and says so. Two leave just after a monthly snapshot, so the
    table's BTC shares must be looked up past their last rows."""
    model = ui.UiModel()
    for _ in range(30):  # to the first monthly snapshot: the table's shares then come from it
        model.step()
    top = {r["agent_id"] for r in views.largest_miners(model)}
    leaving = [m for m in reversed(model.all_miners()) if m.unique_id not in top][:2]
    for miner, status in zip(leaving, ("acquired", "exited"), strict=True):
        retire(model, miner, status)
    gone = {m.unique_id for m in leaving}
    assert len(model.miners) == len(model.all_miners()) - 2 and all(m.gone for m in leaving)
    rows = views.largest_miners(model)
    assert len(rows) == views.TABLE_ROWS and not gone & {r["agent_id"] for r in rows}
    assert all(math.isfinite(r["btc_revenue_share"]) for r in rows)
    card = views.miner_card(model, leaving[0].unique_id)
    assert card is not None and dict(card["facts"])["Status"] == "taken over, left the model"
    assert "taken over, left the model" in panels.miner_card_html(card)
    assert dict(views.miner_card(model, leaving[1].unique_id)["facts"])["Status"] == "wound down, left the model"
    assert dict(views.miner_card(model, rows[0]["agent_id"])["facts"])["Status"] == "active"
    defaulted = model.agent_by_uid(rows[0]["agent_id"])
    defaulted.status = "defaulted"  # in default: it stays in the model until its estate is sold
    cells = {r["uid"]: r["cells"] for r in views.miners_table_rows(model)}
    assert cells[defaulted.unique_id][1] == f"{defaulted.strategy} (in default)"
    assert all(c[1] == model.agent_by_uid(uid).strategy for uid, c in cells.items() if uid != defaulted.unique_id)
    g = views.lease_graph(model)
    assert nx.is_bipartite(g) and all(not d["label"].startswith("miner #") for _, d in g.nodes(data=True))


def test_the_feed_names_the_firms_events():
    labels = {k: views.event_kind_label(k) for k in ("default", "restructuring", "acquisition", "acquired")}
    assert labels == {
        "default": "Default",
        "restructuring": "Restructuring",
        "acquisition": "Acquisition",
        "acquired": "Taken over",
    }
    assert views.event_kind_label("liquidation") == "Liquidated" and views.event_kind_label("wind_down") == "Wound down"


def test_long_runs_are_binned_into_a_fixed_number_of_points():
    assert [views.bin_days(n) for n in (1, views.MAX_POINTS, views.MAX_POINTS + 1, 10 * views.MAX_POINTS)] == [
        1,
        1,
        2,
        16,
    ]
    model = ui.UiModel()
    for _ in range(views.MAX_POINTS + 40):
        model.step()
    rows = views.series_rows(model, {"p": ("btc_price_usd", 1.0)})
    assert len(rows) <= views.MAX_POINTS
    assert rows[0]["p"] == pytest.approx(model.recorder.column("btc_price_usd")[:2].mean(), rel=1e-4)
    assert "Each point averages 2 days." in charts.caption("price", model)
    assert "averages" not in charts.caption("regions", model)


def test_the_date_axis_spans_a_month_at_least():
    """A short run gets day ticks rather than hours ("12 PM")."""
    spec = charts.compiled_template("price", dt.date(2024, 4, 20))
    assert '"unionWith"' in json.dumps(spec) and '"utc"' in json.dumps(spec)
    assert charts.MIN_WINDOW_DAYS >= 14


def test_lease_graph_is_bipartite_and_weighted_by_mw(stepped):
    g = views.lease_graph(stepped)
    assert nx.is_bipartite(g)
    kinds = nx.get_node_attributes(g, "kind")
    assert {kinds[h.unique_id] for h in stepped.hyperscalers} == {"hyperscaler"}
    live = [x for x in stepped.leases.leases if not 0 <= x.end_day <= stepped.day]
    assert live, "the baseline signs leases in its first weeks"
    assert g.size(weight="weight") == pytest.approx(sum(x.mw for x in live))
    for a, b in g.edges:
        assert {kinds[a], kinds[b]} == {"miner", "hyperscaler"}
    data = views.lease_data(stepped)
    assert {row["uid"] for row in data["miners"]} == {n for n in g if kinds[n] == "miner"}


def test_region_rows_cover_every_region(stepped):
    rows = views.region_rows(stepped)
    assert [r["region"] for r in rows] == list(stepped.regions.ids)
    assert sum(r["hashrate_ehs"] for r in rows) == pytest.approx(
        stepped.recorder.last("network_hashrate_ehs"), rel=1e-3
    )
    assert all(0 <= r["ai_share"] <= 1 for r in rows)


def test_the_projection_inverts():
    for lon, lat in ((-99.0, 31.5), (100.0, 54.0), (0.0, 0.0), (-55.0, -25.5)):
        assert geo.unproject(*geo.project(lon, lat)) == pytest.approx((lon, lat), abs=1e-9)


def test_map_labels_do_not_collide_and_stay_on_the_map(stepped):
    data = views.region_data(stepped)
    frame = geo.Frame.fitted()
    boxes = geo.label_boxes([geo.Placed(r["label"], r["lon"], r["lat"], None, None) for r in data["labels"]], frame)
    assert len(boxes) == len(stepped.regions.ids)
    for i, a in enumerate(boxes):
        assert a[0] >= 0 and a[1] >= 0 and a[2] <= frame.width_px and a[3] <= frame.height_px, data["labels"][i]
        for b in boxes[:i]:
            assert not geo._boxes_overlap(a, b)
    # North America is crowded: some label had to move and is joined to its region by a leader line.
    assert data["leaders"]


def test_labels_avoid_a_crowd_of_points():
    points = [(f"Region {i}", -100.0 + 0.5 * i, 40.0, 6.0) for i in range(8)]
    boxes = geo.label_boxes(geo.place_labels(points))
    assert not any(geo._boxes_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[:i])


def test_the_map_uses_the_offline_base_map_when_installed(stepped, monkeypatch, tmp_path):
    monkeypatch.setenv(charts.ASSETS_ENV, str(tmp_path))
    spec, _ = charts.chart_data("regions", stepped)
    assert charts.BASE_MAP not in json.dumps(spec)
    (tmp_path / charts.BASE_MAP).parent.mkdir(parents=True)
    (tmp_path / charts.BASE_MAP).write_text("{}", encoding="utf-8")
    spec, _ = charts.chart_data("regions", stepped)
    assert charts.BASE_MAP in json.dumps(spec) and "http" not in json.dumps(spec).replace("https://vega", "")


def test_event_feed_shows_every_kind_with_dates(stepped):
    html = panels.event_feed_html(stepped)
    first = stepped.events[0]
    assert first["date"] in html and views.event_kind_label(first["kind"]) in html
    newest = views.event_rows(stepped)[0]
    assert newest["date"] == stepped.events[-1]["date"]
    model = ui.UiModel()
    model.events.append({"day": 0, "date": "2024-04-20", "agent": 1, "kind": "loan_default", "text": "ran out"})
    assert "Loan default" in panels.event_feed_html(model) and "ran out" in panels.event_feed_html(model)


def test_miner_card_shows_the_values_behind_its_last_choice(stepped):
    miner = next(m for m in stepped.miners if m.last_choice is not None)
    card = views.miner_card(stepped, miner.unique_id)
    assert card["name"] == views.miner_name(miner) and card["strategy"] == miner.strategy
    assert card["reason"] == miner.last_choice.reason and card["decided"]
    assert {s for s, _, _ in card["values"]} == set(miner.last_choice.values_usd)
    assert [s for s, _, chosen in card["values"] if chosen] == [miner.last_choice.strategy]
    html = panels.miner_card_html(card)
    assert miner.last_choice.reason in html and "NPV" in html
    assert views.miner_card(stepped, stepped.hyperscalers[0].unique_id) is None


def test_numbers_never_print_minus_zero():
    assert views.fmt(-0.0) == "0" and views.fmt(-1e-12) == "0" and views.fmt(-0.04, 1) == "0.0"
    assert views.fmt(float("nan")) == "—" and views.fmt(1234.5) == "1,234"


def test_settings_line_stars_only_what_differs_from_the_file():
    model = ui.UiModel(PageSettings("btc_bear", "0", {"btc_volatility_per_year": 0.6}))
    line = views.settings_line(model)
    assert "BTC price volatility (1/yr) 0.6*" in line and "BTC price drift (1/yr) -0.25 " in line
    assert line.count("*") == 1


def test_largest_miners_table(stepped):
    rows = views.miners_table_rows(stepped)
    assert len(rows) == views.TABLE_ROWS
    assert all(len(r["cells"]) == len(views.TABLE_HEAD) for r in rows)
    totals = [r["mw_total"] for r in views.largest_miners(stepped)]
    assert totals == sorted(totals, reverse=True)
    assert "nan" not in str(rows) and "-0" not in str([r["cells"][2:8] for r in rows])


# ------------------------------------------------------------------------------------------------
# The page
# ------------------------------------------------------------------------------------------------


def test_page_builds_with_its_controls_and_views(viz, built):
    for label in ("Reset", "Step", "Export run"):
        button(viz, label)
    model = built[-1]
    for name, knob in KNOBS.items():
        assert field(viz, knob.label).v_model == views.control_text(name, knob.read(model.config))
        viz.find(v.Slider, label=knob.label).assert_single()
    assert field(viz, "Seed (whole number, as --seed)").v_model == "0"
    viz.find(v.Checkbox, label=params.TEXAS_LABEL).assert_single()
    assert viz.find(v.Select, label="Scenario").widget.v_model == "baseline"
    assert model.date.isoformat() in page_text(viz) and "hp-day'>0</span> of 3,650" in page_text(viz)
    assert "No day simulated yet" in page_text(viz)  # not an empty chart that warns in the browser


def test_step_advances_the_date_and_redraws_every_view(viz, built):
    model = built[-1]
    start = model.date
    for _ in range(3):
        button(viz, "Step").click()
    assert model.day == 3 and model.date == start + dt.timedelta(days=3)
    assert model.date.isoformat() in page_text(viz)
    last = (model.date - dt.timedelta(days=1)).isoformat()  # the last day recorded
    drawn = viz.find(vega.VegaWidget).widgets
    assert len(drawn) >= len(charts.CHARTS) - 1  # the lease network waits for a first lease
    for chart in drawn:
        dates = {r["date"] for rows in chart.datasets.values() for r in rows if "date" in r}
        assert not dates or max(dates) == last, chart.spec["title"]
        assert json.loads(chart.data_json) == chart.datasets
    assert "<td" in page_text(viz) or viz.find(v.Html, tag="td").widgets


@pytest.mark.parametrize("name", SHIPPED)
def test_the_page_runs_what_the_command_line_runs(viz, built, tmp_path, name):
    """Pick a shipped scenario, Reset, step N days: the timeseries of `hashpivot run NAME --seed 0 --days N`."""
    choose_scenario(viz, name)
    button(viz, "Reset").click()
    model = built[-1]
    assert model.config.name == params.load_base(name).name and model.ui_overrides == () and model.ui_error is None
    assert "*" not in views.settings_line(model)
    base = params.load_base(name)
    for key, knob in KNOBS.items():  # every control reloaded from the new file
        assert field(viz, knob.label).v_model == views.control_text(key, knob.read(base))
    step_days(viz, FIDELITY_DAYS)
    assert model.day == FIDELITY_DAYS
    assert_same_timeseries(model, cli_timeseries(tmp_path, name, 0, FIDELITY_DAYS))


def test_moved_controls_and_seed_run_as_set_overrides(viz, built, tmp_path):
    choose_scenario(viz, "btc_bear")
    viz.find(v.Slider, label=KNOBS["btc_volatility_per_year"].label).widget.v_model = 0.6
    type_into(viz, KNOBS["lease_rent_usd_per_kw_month"].label, "155")
    type_into(viz, "Seed (whole number, as --seed)", "7")
    assert "BTC price volatility (1/yr) *" in page_text(viz) and "Changes run at Reset." in page_text(viz)
    button(viz, "Reset").click()
    model = built[-1]
    assert model.seed == 7 and model.ui_error is None
    sets = ("price.volatility_per_year=0.6", "ai.reference_rent_usd_per_kw_month=155.0")
    assert model.ui_overrides == sets
    assert "Changes run at Reset." not in page_text(viz)
    step_days(viz, 10)
    assert_same_timeseries(model, cli_timeseries(tmp_path, "btc_bear", 7, 10, sets))
    button(viz, "Scenario's values").click()  # back to the file: no star, no override at the next Reset
    button(viz, "Reset").click()
    assert built[-1].ui_overrides == () and field(viz, KNOBS["btc_volatility_per_year"].label).v_model == "0.45"


def test_switching_scenario_reloads_every_control(viz, built):
    viz.find(v.Slider, label=KNOBS["btc_drift_per_year"].label).widget.v_model = 0.5
    choose_scenario(viz, "no_ai_boom")
    base = params.load_base("no_ai_boom")
    for key, knob in KNOBS.items():
        assert field(viz, knob.label).v_model == views.control_text(key, knob.read(base))
    assert not [w for w in viz.find(v.Html, class_="hp-control-label").widgets if "*" in str(w.children)]
    button(viz, "Reset").click()
    model = built[-1]
    assert model.config.ai.spend_growth_per_year == 0.0 and model.config.price.drift_per_year == 0.15


def test_a_bad_value_is_refused_with_a_visible_line_and_not_run(viz, built):
    label = KNOBS["ai_spend_growth_per_year"].label
    type_into(viz, label, "abc")
    shown = page_text(viz)
    assert "AI demand growth (1/yr) (ai.spend_growth_per_year): 'abc' is not a number" in shown
    assert "accepted: >= -0.5 and <= 2" in shown
    type_into(viz, "Seed (whole number, as --seed)", "abc")
    assert "Seed: 'abc' is not valid (accepted: a whole number from 0 to 2**63 - 1)" in page_text(viz)
    button(viz, "Reset").click()
    model = built[-1]
    assert model.ui_overrides == () and model.seed == 0 and model.ui_error is None
    type_into(viz, label, "0.3")
    assert "is not a number" not in page_text(viz)


def test_play_and_step_stop_at_the_horizon(built, every_day_redrawn, short_scenario, monkeypatch):
    monkeypatch.setenv(params.SCENARIO_ENV, str(short_scenario))
    box, rc = solara.render(solara.AppLayout(children=[ui.Page()]), handle_error=False)
    try:
        step_days(rc, 5)  # asks for more days than the horizon: Mesa stops when running is False
        model = built[-1]
        assert model.day == 3 and not model.running
        assert button(rc, "Step").disabled and button(rc, "▶").disabled
        assert "Reached the scenario's horizon: 3 days simulated" in page_text(rc)
    finally:
        rc.close()


def test_clicking_a_miner_opens_its_card(viz, built):
    step_days(viz, 30)
    model = built[-1]
    row = viz.find(v.Html, tag="tr", class_="hp-row").widgets[1]
    row.fire_event("click", {})
    uid = panels.selected_miner.value
    card = views.miner_card(model, uid)
    assert card is not None and card["name"] in page_text(viz)
    panels.select_from_datum({"uid": model.hyperscalers[0].unique_id, "name": "x"})  # a network click on a hyperscaler
    assert "Click a miner" in page_text(viz)
    leased = views.lease_data(model)["miners"][0]
    panels.select_from_datum(leased)
    assert leased["name"] in page_text(viz)


def test_export_writes_the_run_folder_of_the_command_line(viz, built, tmp_path):
    from hashpivot.model import cli

    button(viz, "Export run").click()
    assert "no day simulated yet" in page_text(viz)
    choose_scenario(viz, "btc_bear")
    viz.find(v.Slider, label=KNOBS["dr_payment_scale"].label).widget.v_model = 2.0
    button(viz, "Reset").click()
    step_days(viz, 12)
    out = tmp_path / "exported"
    type_into(viz, "Folder (empty: runs/out/ui/<scenario>-seed<S>-day<N>)", str(out))
    button(viz, "Export run").click()
    assert f"Wrote {out}" in page_text(viz)
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["seed"], manifest["days"], manifest["overrides"]) == (0, 12, ["grid.dr_scale=2.0"])
    command = manifest["command"]
    assert command[:-1] == "hashpivot run btc_bear --seed 0 --days 12 --set grid.dr_scale=2.0 --out".split()
    assert "Same again: hashpivot run btc_bear --seed 0 --days 12 --set grid.dr_scale=2.0 --out" in page_text(viz)
    again = tmp_path / "again"
    assert cli.main([*command[1:-1], str(again)]) == 0
    for table in ("timeseries.csv", "agents.csv", "leases.csv", "sites.csv", "events.csv", "sales.csv"):
        assert (out / table).read_bytes() == (again / table).read_bytes(), table
    rerun = json.loads((again / "manifest.json").read_text())
    assert {k: rerun[k] for k in ("scenario_sha256", "overrides", "seed", "days")} == {
        k: manifest[k] for k in ("scenario_sha256", "overrides", "seed", "days")
    }
    assert set(rerun) == set(manifest)


def test_export_refuses_a_folder_that_is_not_a_run(built, tmp_path):
    model = ui.UiModel()
    model.step()
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ValueError, match="refusing to replace it"):
        export.export_run(model, tmp_path)
    assert export.default_folder(model).as_posix() == "runs/out/ui/baseline-seed0-day1"


def test_views_redraw_at_once_after_a_step_and_periodically_while_playing(monkeypatch):
    monkeypatch.setattr(panels, "REDRAW_PERIOD_S", 0.3)
    model = ui.UiModel()
    before = panels.redraws.peek()
    panels._new_day(model, 100.0)  # a new model: at once
    assert panels.redraws.peek() == before + 1
    assert not panels._redraw(model, 100.1, 0.3)  # the same day again: nothing to draw
    model.step()
    panels._new_day(model, 100.2)  # days 0.2 s apart: playing, left to the catch-up thread
    assert panels.redraws.peek() == before + 1
    assert not panels._redraw(model, 100.25, 0.3)  # the catch-up thread's period has not passed
    assert panels._redraw(model, 100.31, 0.3)
    model.step()
    panels._new_day(model, 101.5)  # a Step long after the last day: at once
    assert panels.redraws.peek() == before + 3


# ------------------------------------------------------------------------------------------------
# Serving and the command line
# ------------------------------------------------------------------------------------------------


def test_page_starts_on_the_served_scenario(monkeypatch, built):
    assert params.scenario_label("runs/btc_bear.toml") == "btc_bear"
    monkeypatch.setenv(params.SCENARIO_ENV, "btc_bear")
    box, rc = solara.render(solara.AppLayout(children=[ui.Page()]), handle_error=False)
    try:
        assert rc.find(v.Select, label="Scenario").widget.v_model == "btc_bear"
        assert built[-1].config.price.drift_per_year == params.load_base("btc_bear").price.drift_per_year
        assert field(rc, KNOBS["btc_drift_per_year"].label).v_model == "-0.25"
    finally:
        rc.close()


def test_serve_runs_solara_on_this_page_offline_and_local(monkeypatch, tmp_path):
    calls = []

    class FakeServer:
        def __init__(self, cmd, env):
            calls.append((cmd, env))

        def wait(self, timeout=None):
            return 0

        def poll(self):
            return 0

    monkeypatch.setattr(server.subprocess, "Popen", FakeServer)
    monkeypatch.setattr(server, "assets_dir", lambda: tmp_path)
    monkeypatch.delenv(server.ASSETS_ENV, raising=False)
    assert ui.serve("btc_bear") == 0
    cmd, env = calls[-1]
    assert cmd[1:5] == ["-m", "solara", "run", "hashpivot.model.tools.ui.page:Page"]
    module, name = cmd[4].split(":")
    assert getattr(importlib.import_module(module), name) is ui.Page
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1" and cmd[cmd.index("--port") + 1] == "8765"
    assert env[server.ASSETS_ENV] == str(tmp_path) and env[params.SCENARIO_ENV] == "btc_bear"
    ui.serve(None, host="0.0.0.0", port=9000)
    cmd, env = calls[-1]
    assert cmd[cmd.index("--host") + 1] == "0.0.0.0" and cmd[cmd.index("--port") + 1] == "9000"
    assert params.SCENARIO_ENV not in env


def test_serve_rejects_a_bad_scenario_before_starting(monkeypatch):
    monkeypatch.setattr(server.subprocess, "Popen", lambda *a, **k: pytest.fail("server started"))
    with pytest.raises(ValueError, match="no_such_scenario"):
        ui.serve("no_such_scenario")


def test_ui_command(monkeypatch, capsys):
    from hashpivot.model import cli
    from hashpivot.model.cli import ui as command

    seen = []
    monkeypatch.setattr(ui, "serve", lambda scenario, host, port: seen.append((scenario, host, port)) or 0)
    assert "ui" in cli.COMMAND_MODULES and command.NAME == "ui" and command.HELP
    assert cli.main(["ui"]) == 0
    assert cli.main(["ui", "btc_bear", "--host", "0.0.0.0", "--port", "9001"]) == 0
    assert seen == [(None, "127.0.0.1", 8765), ("btc_bear", "0.0.0.0", 9001)]
    assert cli.main(["ui", "--port", "70000"]) == 2
    assert "--port" in capsys.readouterr().err
