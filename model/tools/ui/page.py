"""The SolaraViz page: ``UiModel`` (the model Mesa's Reset rebuilds) and the views laid out on it.

The sidebar holds Reset / Play / Step, the scenario, the seed and the main levers; the main area
shows the date and the settings in force, the charts (``charts.py``) and the largest miners.
A bad setting never breaks the page: the model is built without the user's changes and the page
shows a one-line error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import solara

from hashpivot.model.config.errors import ConfigError
from hashpivot.model.config.scenarios import BUILTIN
from hashpivot.model.config.schema import Scenario
from hashpivot.model.simulation import HashpivotModel
from hashpivot.model.tools.ui.charts import CHARTS, chart_spec
from hashpivot.model.tools.ui.params import (
    DEFAULT_SEED,
    SCENARIO_ENV,
    apply_settings,
    initial_kwargs,
    load_base,
    model_params,
    moved_settings,
    parse_seed,
)
from hashpivot.model.tools.ui.views import fmt, miners_table_html, settings_line


class UiModel(HashpivotModel):
    """``HashpivotModel`` built from the page's flat parameters (what Mesa's Reset passes).

    Every setting defaults to None, "as in the scenario". A value that does not fit the schema
    does not raise: the model runs the scenario without the page's changes and ``ui_error`` says
    why in one line. (The signature must take neither ``scenario`` nor ``**kwargs``: Mesa's
    Reset would then pass in a Mesa ``Scenario`` of its own.)

    Args:
        scenario_name: A scenario in ``runs/`` (file stem) or a path; None: the default scenario.
        seed: Seed of the model's rng (int or the text of one).
        btc_drift_per_year: ``price.drift_per_year``.
        btc_volatility_per_year: ``price.volatility_per_year``.
        ai_spend_growth_per_year: ``ai.spend_growth_per_year``.
        conversion_capex_musd_per_mw: ``ai.colocation.conversion_capex_usd_per_mw`` in M$/MW.
        lease_rent_usd_per_kw_month: ``ai.reference_rent_usd_per_kw_month``.
        interconnection_delay_scale: ``grid.study_scale``.
        dr_payment_scale: ``grid.dr_scale``.
        texas_rule_strict: ``grid.texas_rule_strict``.
        n_miners: Total miners; the ``us_tail`` and ``row_fringe`` counts are scaled to match.
        ui_defaults: Where the page's controls started (from ``model_params``); a value equal to
            its start is not applied, so the scenario's own value stands.

    Attributes:
        ui_error: One-line reason the settings were not applied, or None.
        ui_settings: The settings applied (UI names and units).
        ui_scenario: The scenario name or path the model was built from.
    """

    def __init__(
        self,
        scenario_name: str | None = None,
        seed: int | str | None = DEFAULT_SEED,
        *,
        btc_drift_per_year: float | None = None,
        btc_volatility_per_year: float | None = None,
        ai_spend_growth_per_year: float | None = None,
        conversion_capex_musd_per_mw: float | None = None,
        lease_rent_usd_per_kw_month: float | None = None,
        interconnection_delay_scale: float | None = None,
        dr_payment_scale: float | None = None,
        texas_rule_strict: bool | None = None,
        n_miners: int | None = None,
        ui_defaults: Mapping[str, Any] | None = None,
    ):
        settings = moved_settings(
            {
                "btc_drift_per_year": btc_drift_per_year,
                "btc_volatility_per_year": btc_volatility_per_year,
                "ai_spend_growth_per_year": ai_spend_growth_per_year,
                "conversion_capex_musd_per_mw": conversion_capex_musd_per_mw,
                "lease_rent_usd_per_kw_month": lease_rent_usd_per_kw_month,
                "interconnection_delay_scale": interconnection_delay_scale,
                "dr_payment_scale": dr_payment_scale,
                "texas_rule_strict": texas_rule_strict,
                "n_miners": n_miners,
            },
            ui_defaults,
        )
        scenario, applied, errors = self._scenario(scenario_name, settings)
        seed_value = DEFAULT_SEED
        try:
            seed_value = parse_seed(DEFAULT_SEED if seed is None else seed)
        except ConfigError as exc:
            errors.append(f"{exc}; using seed {DEFAULT_SEED}")
        super().__init__(scenario, seed=seed_value)
        self.ui_scenario = scenario_name or BUILTIN
        self.ui_settings = applied
        self.ui_error = " | ".join(errors) or None

    @staticmethod
    def _scenario(name: str | None, settings: dict[str, Any]) -> tuple[Scenario, dict, list[str]]:
        """The scenario with the settings applied, or the best fallback and why."""
        try:
            base = load_base(name)
        except ValueError as exc:
            return Scenario(), {}, [f"{' '.join(str(exc).split())}; showing the built-in defaults"]
        try:
            return apply_settings(base, settings), settings, []
        except ValueError as exc:
            return base, {}, [f"{' '.join(str(exc).split())}; running the scenario without the page's changes"]


# Mesa re-renders every view that is a plain function after each step, one whole-page render pass
# per view (about 10 ms each). So only the status view is a plain function; once per new day or
# model it bumps ``redraws`` from an effect, and the charts and the table -- Solara components,
# which Mesa leaves alone -- all redraw in the single render pass that follows.
redraws = solara.reactive(0)
"""Bumped by the status view whenever the model or its day changes (per browser session)."""


@solara.component
def VegaChart(name: str, model: HashpivotModel):  # noqa: N802 - a component
    """Chart ``name`` of ``model``, redrawn on every ``redraws`` bump.

    The spec is not a prop but set on the widget in an effect: reacton walks every prop value
    looking for nested elements, and for a spec holding hundreds of rows that costs more than
    building it. (A prop would also be set again on every re-render, overwriting the data.)
    """
    element = solara.widgets.VegaLite.element()

    def push():
        solara.get_widget(element).spec = chart_spec(name, model)

    solara.use_effect(push, [model, redraws.value])
    return element


def chart_component(name: str) -> Callable:
    """A Solara component of the model (what Mesa's ``components`` take) drawing chart ``name``."""

    @solara.component
    def Chart(model: HashpivotModel):  # noqa: N802 - a component
        return VegaChart(name, model)

    Chart.name = f"{name.title()}Chart"
    return Chart


def status_view(model: HashpivotModel):
    """Date, scenario, headline numbers, the settings in force and any settings error.

    Mesa re-renders it after every step; it then tells the other views to redraw (``redraws``).
    """
    solara.use_effect(lambda: redraws.set(redraws.peek() + 1), [model, model.day])
    rec = model.recorder
    with solara.Column(gap="4px", style={"padding": "8px"}) as col:
        solara.HTML(
            tag="div",
            unsafe_innerHTML=(
                f"<span style='font-size:1.6em;font-weight:600' class='hp-date'>{model.date}</span>"
                f" &nbsp; day <span class='hp-day'>{model.day}</span>"
            ),
            classes=["hp-status"],
        )
        solara.Text(f"Scenario {model.config.name!r} ({getattr(model, 'ui_scenario', '')}), seed {model.seed}")
        solara.Text(
            f"BTC {fmt(model.btc_price_usd)} USD · hashrate "
            f"{fmt(rec.last('network_hashrate_ehs'))} EH/s · AI leases "
            f"{fmt(rec.last('leases_signed_total', 0.0))} "
            f"({fmt(rec.last('lease_mw_signed_total', 0.0))} MW)"
        )
        solara.Text(f"Settings: {settings_line(model)}", style={"font-size": "0.85em"})
        if getattr(model, "ui_error", None):
            solara.Error(model.ui_error, dense=True, classes=["hp-error"])
    return col


@solara.component
def MinersTable(model: HashpivotModel):  # noqa: N802 - a component
    """The largest miners by MW (see ``miners_table_html``), redrawn on every ``redraws`` bump."""
    html = solara.use_memo(lambda: miners_table_html(model), [model, redraws.value])
    style = {"padding": "8px", "overflow": "auto"}
    return solara.HTML(tag="div", unsafe_innerHTML=html, style=style)


COMPONENTS: list[Callable] = [
    status_view,
    *(chart_component(name) for name in CHARTS),
    MinersTable,
]
"""The main area, in order (Mesa lays them out two to a row)."""


@solara.component
def Page():  # noqa: N802 - Solara looks for a component named Page
    """The HashPivot page: one model per browser session, rebuilt by Reset."""
    from mesa.visualization import SolaraViz

    scenario = os.environ.get(SCENARIO_ENV) or None
    params = solara.use_memo(lambda: model_params(scenario), [scenario])
    model = solara.use_memo(lambda: UiModel(**initial_kwargs(params)), [params])
    return SolaraViz(
        model,
        components=[(c, 0) for c in COMPONENTS],
        model_params=params,
        name="HashPivot: Bitcoin miners pivoting to AI",
    )
