"""The Mesa browser UI (model/tools/ui/) rendered headless with ``solara.render``: no browser.

SolaraViz puts its controls in a sidebar, which only renders inside an ``AppLayout`` (as
``solara run`` provides), so every page here is wrapped in one.
"""

from __future__ import annotations

import datetime as dt
import importlib

import altair as alt
import ipyvuetify as v
import networkx as nx
import pytest
import solara

from hashpivot.model.config.scenarios import builtin_names
from hashpivot.model.tools import ui
from hashpivot.model.tools.ui import charts, params, server, views


@pytest.fixture
def viz(built):
    box, rc = solara.render(solara.AppLayout(children=[ui.Page()]), handle_error=False)
    yield rc
    rc.close()


def button(rc, label: str):
    return rc.find(v.Btn, children=[label]).widget


def slider(rc, label: str):
    return rc.find(v.Slider, label=label).widget


def page_text(rc) -> str:
    """Every text and HTML snippet on the viz, joined."""
    texts = [str(c) for w in rc.find(v.Html).widgets for c in w.children]
    texts += [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets]
    return "\n".join(texts)


def status_html(rc) -> str:
    return "\n".join(
        w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets if "hp-date" in (w.unsafe_innerHTML or "")
    )


# ------------------------------------------------------------------------------------------------
# Parameters -> scenario
# ------------------------------------------------------------------------------------------------


def test_defaults_build_the_scenario_unchanged():
    model = ui.UiModel()
    assert model.ui_error is None
    assert model.ui_settings == {}
    assert model.config == params.load_base(None)


def test_settings_reach_the_scenario():
    model = ui.UiModel(
        btc_drift_per_year=0.4,
        conversion_capex_musd_per_mw=6.5,
        interconnection_delay_scale=2.0,
        texas_rule_strict=True,
        seed="7",
    )
    cfg = model.config
    assert model.ui_error is None
    assert cfg.price.drift_per_year == pytest.approx(0.4)
    assert cfg.ai.colocation.conversion_capex_usd_per_mw == pytest.approx(6.5e6)
    assert cfg.grid.study_scale == 2.0
    assert cfg.grid.texas_rule_strict is True
    assert model.seed == 7


def test_number_of_miners_scales_the_tail_only():
    base = params.load_base(None)
    model = ui.UiModel(n_miners=200)
    assert model.ui_error is None
    assert len(model.miners) == 200
    named = {a.name: a.count for a in base.miners if a.name not in params.TAIL_ARCHETYPES}
    assert {a.name: a.count for a in model.config.miners if a.name in named} == named


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"btc_volatility_per_year": -1.0}, "price.volatility_per_year"),
        ({"lease_rent_usd_per_kw_month": 0.0}, "ai.reference_rent_usd_per_kw_month"),
        ({"n_miners": 2}, "n_miners"),
        ({"btc_drift_per_year": float("nan")}, "price.drift_per_year"),
    ],
)
def test_out_of_range_values_give_one_line_and_a_working_model(kwargs, field):
    model = ui.UiModel(**kwargs)
    assert model.ui_error and field in model.ui_error and "\n" not in model.ui_error
    assert model.config == params.load_base(None)  # the scenario without the page's changes
    model.step()  # and it runs


def test_bad_seed_and_bad_scenario_are_reported_not_raised():
    assert "seed" in ui.UiModel(seed="abc").ui_error
    model = ui.UiModel(scenario_name="no_such_scenario")
    assert "no_such_scenario" in model.ui_error and "\n" not in model.ui_error
    model.step()


def test_untouched_controls_keep_the_scenario_values():
    """Switching scenario with the sliders where the page started keeps that scenario's values."""
    if "btc_bear" not in builtin_names():
        pytest.skip("runs/btc_bear.toml is not there")
    controls = params.model_params()
    kwargs = params.initial_kwargs(controls) | {"scenario_name": "btc_bear"}
    model = ui.UiModel(**kwargs)
    assert model.ui_error is None
    assert model.config.price.drift_per_year == params.load_base("btc_bear").price.drift_per_year
    moved = ui.UiModel(**kwargs | {"btc_drift_per_year": 0.3})
    assert moved.config.price.drift_per_year == pytest.approx(0.3)


def test_model_params_cover_every_control():
    controls = params.model_params()
    names = {k for k, p in controls.items() if isinstance(p, dict) and "type" in p}
    assert names == {"scenario_name", "seed", "texas_rule_strict", "n_miners", *params.KNOBS}
    for name in params.KNOBS:
        p = controls[name]
        assert p["min"] <= p["value"] <= p["max"], name


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
        assert spec["title"] and "NaN" not in str(spec["datasets"])


def test_series_come_from_the_recorder(stepped):
    rows = charts.price_data(stepped)["series"]
    assert len(rows) == stepped.recorder.n
    assert rows[-1]["price"] == pytest.approx(stepped.recorder.last("btc_price_usd"))
    assert rows[0]["date"] == stepped.config.run.start_date.isoformat()


def test_valuation_chart_shows_the_gap_in_million_usd_per_mw(stepped):
    rows = charts.valuation_data(stepped)["series"]
    last = {r["series"]: r["value"] for r in rows[-len(charts.VALUATION_COLORS) :]}
    assert set(last) == set(charts.VALUATION_COLORS)
    assert last["Market cap, BTC-focused"] == pytest.approx(
        stepped.recorder.last("market_cap_usd_per_mw_btc_focused") / 1e6
    )


def test_long_runs_are_binned(stepped):
    model = ui.UiModel()
    for _ in range(views.MAX_POINTS + 40):
        model.step()
    rows = views.series_rows(model, {"p": ("btc_price_usd", 1.0)})
    assert len(rows) <= views.MAX_POINTS
    assert rows[0]["p"] == pytest.approx(model.recorder.column("btc_price_usd")[:2].mean())


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


def test_region_rows_cover_every_region(stepped):
    rows = views.region_rows(stepped)
    assert [r["region"] for r in rows] == list(stepped.regions.ids)
    assert sum(r["hashrate_ehs"] for r in rows) == pytest.approx(
        stepped.recorder.last("network_hashrate_ehs"), rel=1e-3
    )
    assert all(0 <= r["ai_share"] <= 1 for r in rows)


def test_largest_miners_table(stepped):
    rows = views.largest_miners(stepped)
    assert len(rows) == views.TABLE_ROWS
    totals = [r["mw_total"] for r in rows]
    assert totals == sorted(totals, reverse=True)
    html = views.miners_table_html(stepped)
    assert html.count("<tr>") == views.TABLE_ROWS + 1 and "nan" not in html


# ------------------------------------------------------------------------------------------------
# The page
# ------------------------------------------------------------------------------------------------


def test_page_builds_with_its_controls_and_views(viz, built):
    for label in ("Reset", "Step"):
        button(viz, label)
    labels = {w.label for w in viz.find(v.Slider).widgets}
    assert {k.label for k in params.KNOBS.values()} | {"Number of miners"} <= labels
    viz.find(v.Checkbox, label="Texas large-load rule strict (SB 6)").assert_single()
    viz.find(v.Select, label="Scenario").assert_single()
    viz.find(v.TextField, label="Seed (whole number)").assert_single()
    drawn = viz.find(solara.widgets.VegaLite).widgets
    assert len(drawn) == len(charts.CHARTS)
    assert all(c.spec.get("datasets") is not None for c in drawn)
    assert built[-1].date.isoformat() in status_html(viz)


def test_step_advances_the_date_and_redraws_every_chart(viz, built):
    model = built[-1]
    start = model.date
    for _ in range(3):
        button(viz, "Step").click()
    assert model.day == 3 and model.date == start + dt.timedelta(days=3)
    assert model.date.isoformat() in status_html(viz)
    last = (model.date - dt.timedelta(days=1)).isoformat()  # the last day recorded
    for chart in viz.find(solara.widgets.VegaLite).widgets:
        rows = [r for data in chart.spec["datasets"].values() for r in data]
        dates = {r["date"] for r in rows if "date" in r}
        assert not dates or max(dates) == last, chart.spec["title"]
        assert rows or "leases" in chart.spec["title"].lower()
    assert "<td>" in page_text(viz)


def test_changing_a_slider_then_reset_rebuilds_with_that_value(viz, built):
    button(viz, "Step").click()
    slider(viz, "BTC price drift (1/yr)").v_model = 0.4
    slider(viz, "Number of miners").v_model = 120
    viz.find(v.Checkbox, label="Texas large-load rule strict (SB 6)").widget.v_model = True
    button(viz, "Reset").click()
    model = built[-1]
    assert model.day == 0
    assert model.config.price.drift_per_year == pytest.approx(0.4)
    assert model.config.grid.texas_rule_strict is True
    assert len(model.miners) == 120
    assert model.ui_error is None
    assert "BTC price drift (1/yr) 0.4*" in page_text(viz)


def test_changing_scenario_then_reset_loads_it(viz, built):
    names = builtin_names()
    if "btc_bear" not in names:
        pytest.skip("runs/btc_bear.toml is not there")
    viz.find(v.Select, label="Scenario").widget.v_model = "btc_bear"
    button(viz, "Reset").click()
    assert built[-1].config.name == "btc_bear"
    assert built[-1].config.price.drift_per_year == params.load_base("btc_bear").price.drift_per_year


def test_out_of_range_slider_shows_one_line_error_in_the_page(viz, built):
    slider(viz, "BTC price volatility (1/yr)").v_model = -1.0  # below the slider's own minimum
    button(viz, "Reset").click()
    model = built[-1]
    assert model.ui_error and "price.volatility_per_year" in model.ui_error
    alert = viz.find(v.Alert, class_="hp-error").widget
    assert "price.volatility_per_year" in str(alert.children)
    button(viz, "Step").click()  # the page still works
    assert model.day == 1


# ------------------------------------------------------------------------------------------------
# Serving and the command line
# ------------------------------------------------------------------------------------------------


def test_page_starts_on_the_served_scenario(monkeypatch):
    if "btc_bear" not in builtin_names():
        pytest.skip("runs/btc_bear.toml is not there")
    assert params.scenario_label("runs/btc_bear.toml") == "btc_bear"
    controls = params.model_params("btc_bear")
    assert controls["scenario_name"]["value"] == "btc_bear"
    assert controls["btc_drift_per_year"]["value"] == params.load_base("btc_bear").price.drift_per_year
    monkeypatch.setenv(params.SCENARIO_ENV, "btc_bear")
    box, rc = solara.render(solara.AppLayout(children=[ui.Page()]), handle_error=False)
    try:
        assert rc.find(v.Select, label="Scenario").widget.v_model == "btc_bear"
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
    assert ui.serve("btc_bear" if "btc_bear" in builtin_names() else None) == 0
    cmd, env = calls[-1]
    assert cmd[1:5] == ["-m", "solara", "run", "hashpivot.model.tools.ui.page:Page"]
    module, name = cmd[4].split(":")
    assert getattr(importlib.import_module(module), name) is ui.Page
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1" and cmd[cmd.index("--port") + 1] == "8765"
    assert env[server.ASSETS_ENV] == str(tmp_path)
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
