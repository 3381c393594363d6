"""The charts: an Altair template per chart, built and compiled once; each step only swaps its data.

Building and compiling Altair charts costs 10-60 ms each, so doing it every step for nine charts
would blow the ~200 ms budget of a step. A template reads named data sets ("series", "edges", ...);
``chart_spec`` puts the model's current rows into the compiled template's ``datasets``. The tests
validate every filled spec against the Vega-Lite schema.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt

from hashpivot.model.simulation import HashpivotModel
from hashpivot.model.tools.ui.views import lease_data, long_rows, region_data, series_rows

CHART_HEIGHT = 250  # px: fits Mesa's grid cell (10 rows of 30 px) with the title and legend

CONVERTING = "Converting (also in hybrid/exit)"
STRATEGY_COLORS = {"Hold": "#f2a900", "Hybrid": "#4c78a8", "Exit": "#9d755d"}
STATE_COLORS = {
    "Mining": "#f2a900",
    "Curtailed": "#f7d37a",
    "Idle": "#bab0ac",
    "Converting": "#72b7b2",
    "AI leased": "#4c78a8",
}
STATE_COLUMNS = ("mw_mining", "mw_curtailed", "mw_idle", "mw_converting", "mw_ai_leased")

REVENUE_COLORS = {"Mining": "#f2a900", "AI leases": "#4c78a8", "Demand response": "#54a24b"}
REVENUE_COLUMNS = ("mining_revenue_usd", "ai_revenue_usd", "dr_payments_usd")

CONCENTRATION_COLORS = {
    "HHI of hashrate over regions": "#333333",
    "Hashrate share, US": "#f2a900",
    "Hashrate share, Texas": "#e45756",
    "AI MW share, US": "#4c78a8",
    "AI MW share, Texas": "#72b7b2",
}
CONCENTRATION_COLUMNS = (
    "hhi_hashrate_region",
    "hashrate_share_us",
    "hashrate_share_texas",
    "ai_mw_share_us",
    "ai_mw_share_texas",
)

VALUATION_COLORS = {
    "Market cap, AI-focused": "#4c78a8",
    "Market cap, BTC-focused": "#f2a900",
    "EV, AI-focused": "#9ecae9",
    "EV, BTC-focused": "#ffbf79",
}
VALUATION_COLUMNS = (
    "market_cap_usd_per_mw_ai_focused",
    "market_cap_usd_per_mw_btc_focused",
    "valuation_usd_per_mw_ai_focused",
    "valuation_usd_per_mw_btc_focused",
)


def _date_x() -> alt.X:
    return alt.X("date:T", title="Date", axis=alt.Axis(labelOverlap=True))


def _titled(chart: alt.TopLevelMixin, title: str) -> alt.TopLevelMixin:
    return chart.properties(title=title, width="container", height=CHART_HEIGHT)


def _folded_marks(colors: dict[str, str], y_title: str, stacked: bool, dataset: str = "series") -> alt.Chart:
    """Several series of one unit (long rows, ``long_rows``) as stacked areas or lines.

    The colour scale lists every series of ``colors`` in order, so layers drawing different
    data sets can share one scale and legend.
    """
    domain = list(colors)
    # The scale's domain orders the legend; a ``sort`` list would compile to an expression.
    color = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=domain, range=list(colors.values())),
        legend=alt.Legend(orient="bottom", columns=3),
    )
    base = alt.Chart(alt.NamedData(dataset))
    mark = base.mark_area(opacity=0.85) if stacked else base.mark_line()
    return mark.encode(
        x=_date_x(),
        y=alt.Y("value:Q", title=y_title, stack="zero" if stacked else None),
        color=color,
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("date:T"), "series:N", alt.Tooltip("value:Q", format=",.3~f")],
    )


def _long_series(
    model: HashpivotModel, colors: Mapping[str, str], columns: Sequence[str], divisor: float
) -> dict[str, list]:
    """The ``series`` data set of a ``_folded_marks`` chart: recorder ``columns`` / ``divisor``, named as ``colors``."""
    rows = series_rows(model, {name: (column, divisor) for name, column in zip(colors, columns, strict=True)})
    return {"series": long_rows(rows, list(colors))}


def _dual(title: str, left: tuple[str, str, str], right: tuple[str, str, str]) -> alt.LayerChart:
    """Two series with their own y axes: (field, axis title, colour) each."""
    base = alt.Chart(alt.NamedData("series")).encode(x=_date_x())
    layers = []
    for (field, axis_title, color), orient in ((left, "left"), (right, "right")):
        axis = alt.Axis(title=axis_title, titleColor=color, orient=orient, format="~s")
        layers.append(
            base.mark_line(color=color).encode(
                y=alt.Y(f"{field}:Q", axis=axis, scale=alt.Scale(zero=False)),
                tooltip=[alt.Tooltip("date:T"), alt.Tooltip(f"{field}:Q", format=",.4~r")],
            )
        )
    return _titled(alt.layer(*layers).resolve_scale(y="independent"), title)


def price_template() -> alt.TopLevelMixin:
    """BTC price (USD/BTC) and hashprice (USD per PH/s per day), two axes."""
    return _dual(
        "BTC price and hashprice",
        ("price", "BTC price (USD/BTC)", "#f2a900"),
        ("hashprice", "Hashprice (USD per PH/s per day)", "#4c78a8"),
    )


def price_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``price_template``."""
    return {
        "series": series_rows(model, {"price": ("btc_price_usd", 1.0), "hashprice": ("hashprice_usd_per_ph_day", 1.0)})
    }


def hashrate_template() -> alt.TopLevelMixin:
    """Network hashrate (EH/s) and difficulty (trillions), two axes."""
    return _dual(
        "Network hashrate and difficulty",
        ("hashrate", "Network hashrate (EH/s)", "#e45756"),
        ("difficulty", "Difficulty (T)", "#333333"),
    )


def hashrate_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``hashrate_template``."""
    return {
        "series": series_rows(model, {"hashrate": ("network_hashrate_ehs", 1.0), "difficulty": ("difficulty", 1e12)})
    }


def strategy_template() -> alt.TopLevelMixin:
    """Miners by strategy (stacked areas), and those converting sites to AI (dashed line).

    Converting miners are also counted in their strategy (hybrid or exit): stacking them on top
    would count them twice.
    """
    colors = {**STRATEGY_COLORS, CONVERTING: "#e45756"}
    stack = _folded_marks(colors, "Miners (count)", True, "strategies")
    line = _folded_marks(colors, "Miners (count)", False, "converting").mark_line(strokeDash=[4, 2], strokeWidth=2)
    return _titled(alt.layer(stack, line), "Strategy mix (miners)")


def strategy_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``strategy_template``."""
    rows = series_rows(
        model,
        {
            "Hold": ("miners_hold", 1.0),
            "Hybrid": ("miners_hybrid", 1.0),
            "Exit": ("miners_exit", 1.0),
            CONVERTING: ("miners_converting", 1.0),
        },
    )
    return {"strategies": long_rows(rows, list(STRATEGY_COLORS)), "converting": long_rows(rows, [CONVERTING])}


def mw_template() -> alt.TopLevelMixin:
    """Capacity on pivot sites by state, stacked (GW)."""
    return _titled(_folded_marks(STATE_COLORS, "Capacity (GW)", True), "Capacity by state (pivot sites)")


def mw_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``mw_template`` (MW columns shown in GW)."""
    return _long_series(model, STATE_COLORS, STATE_COLUMNS, 1e3)


def revenue_template() -> alt.TopLevelMixin:
    """Miners' daily revenue by source, stacked (M$/day)."""
    return _titled(_folded_marks(REVENUE_COLORS, "Revenue (M$/day)", True), "Revenue mix (all miners)")


def revenue_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``revenue_template`` (USD columns shown in M$)."""
    return _long_series(model, REVENUE_COLORS, REVENUE_COLUMNS, 1e6)


def concentration_template() -> alt.TopLevelMixin:
    """Regional concentration of hashrate and of AI MW (shares and HHI, 0-1)."""
    return _titled(_folded_marks(CONCENTRATION_COLORS, "Share / HHI (0-1)", False), "Concentration")


def concentration_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``concentration_template``."""
    return _long_series(model, CONCENTRATION_COLORS, CONCENTRATION_COLUMNS, 1.0)


def valuation_template() -> alt.TopLevelMixin:
    """Value per MW of listed miners, AI-focused vs BTC-focused: the valuation gap (SF-4), M$/MW."""
    return _titled(_folded_marks(VALUATION_COLORS, "Value per MW (M$/MW)", False), "Valuation gap (listed miners)")


def valuation_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``valuation_template`` (USD per MW shown in M$ per MW)."""
    return _long_series(model, VALUATION_COLORS, VALUATION_COLUMNS, 1e6)


def region_template() -> alt.TopLevelMixin:
    """Regions at their longitude/latitude: size = hashrate, colour = AI share of site MW."""
    x = alt.X("lon:Q", title="Longitude (°)", scale=alt.Scale(domain=[-180, 180]))
    y = alt.Y("lat:Q", title="Latitude (°)", scale=alt.Scale(domain=[-60, 80]))
    lines = (
        alt.Chart(alt.NamedData("edges"))
        .mark_rule(color="#bbb", strokeWidth=1)
        .encode(x=x, y=y, x2="lon2:Q", y2="lat2:Q")
    )
    nodes = (
        alt.Chart(alt.NamedData("nodes"))
        .mark_circle(stroke="#333", strokeWidth=0.5)
        .encode(
            x=x,
            y=y,
            size=alt.Size("hashrate_ehs:Q", title="Hashrate (EH/s)", scale=alt.Scale(range=[15, 1200], zero=True)),
            color=alt.Color(
                "ai_share:Q", title="AI share of site MW", scale=alt.Scale(domain=[0, 1], scheme="viridis")
            ),
            tooltip=[
                alt.Tooltip("name:N", title="Region"),
                alt.Tooltip("hashrate_ehs:Q", title="Hashrate (EH/s)"),
                alt.Tooltip("ai_mw:Q", title="AI MW (converting + leased)"),
                alt.Tooltip("ai_share:Q", title="AI share of site MW", format=".0%"),
            ],
        )
    )
    labels = (
        alt.Chart(alt.NamedData("nodes")).mark_text(dy=-10, fontSize=9, color="#333").encode(x=x, y=y, text="region:N")
    )
    return _titled(alt.layer(lines, nodes, labels), "Regions: hashrate and AI share")


def lease_template() -> alt.TopLevelMixin:
    """The lease network drawn bipartite: miners left, hyperscalers right, line width = MW."""
    x = alt.X("x:Q", axis=None, scale=alt.Scale(domain=[-0.9, 1.5]))
    y = alt.Y("y:Q", axis=None, scale=alt.Scale(domain=[-0.08, 1.08]))
    lines = (
        alt.Chart(alt.NamedData("edges"))
        .mark_rule(color="#4c78a8", opacity=0.6)
        .encode(
            x=x,
            y=y,
            x2="x2:Q",
            y2="y2:Q",
            strokeWidth=alt.StrokeWidth("mw:Q", title="Leased MW", scale=alt.Scale(range=[0.5, 8])),
            tooltip=[alt.Tooltip("pair:N", title="Lease"), alt.Tooltip("mw:Q", title="MW")],
        )
    )
    layers = [lines]
    for dataset, color, align, dx in (("miners", "#f2a900", "right", -7), ("hyperscalers", "#4c78a8", "left", 7)):
        nodes = alt.Chart(alt.NamedData(dataset)).encode(x=x, y=y)
        layers.append(
            nodes.mark_circle(size=60, opacity=1, color=color).encode(
                tooltip=[alt.Tooltip("name:N", title="Agent"), alt.Tooltip("mw:Q", title="Leased MW")]
            )
        )
        layers.append(nodes.mark_text(fontSize=9, align=align, dx=dx).encode(text="label:N"))
    chart = _titled(alt.layer(*layers), "AI leases: miners (left) ↔ hyperscalers (right)")
    return chart.configure_view(stroke=None)  # no frame: there are no axes to frame


@dataclass(frozen=True)
class ChartDef:
    """A chart: its Altair template and the function giving its named data sets."""

    template: Callable[[], alt.TopLevelMixin]
    data: Callable[[HashpivotModel], dict[str, list]]


CHARTS: dict[str, ChartDef] = {
    "price": ChartDef(price_template, price_data),
    "hashrate": ChartDef(hashrate_template, hashrate_data),
    "strategy": ChartDef(strategy_template, strategy_data),
    "mw": ChartDef(mw_template, mw_data),
    "revenue": ChartDef(revenue_template, revenue_data),
    "concentration": ChartDef(concentration_template, concentration_data),
    "valuation": ChartDef(valuation_template, valuation_data),
    "regions": ChartDef(region_template, region_data),
    "leases": ChartDef(lease_template, lease_data),
}


@functools.cache
def compiled_template(name: str) -> dict:
    """The chart's Vega-Lite spec without data (compiled once; callers must not modify it).

    Templates use no Vega expressions (``calculate``, ``filter``, a custom ``sort``): with the
    vega@5.9 that an offline asset cache may hold, Vega-Lite 5 fails to compile any of them
    ("parseExpression is not a function") and the chart stays blank.
    """
    spec = CHARTS[name].template().to_dict(validate=False)
    # Altair 6 labels specs Vega-Lite v6, but Solara's page loads Vega-Lite 5; the templates use
    # nothing v6-only (each chart is drawn in Chromium by tests/ui), so say v5 and spare the
    # browser console a version warning per chart.
    spec["$schema"] = "https://vega.github.io/schema/vega-lite/v5.json"
    return spec


def dataset_names(spec: Any) -> set[str]:
    """Names of the data sets a spec reads (``{"data": {"name": ...}}`` anywhere in it)."""
    if isinstance(spec, dict):
        data = spec.get("data")
        found = {data["name"]} if isinstance(data, dict) and "name" in data else set()
        return found.union(*(dataset_names(v) for k, v in spec.items() if k != "datasets"))
    if isinstance(spec, list):
        return set().union(*(dataset_names(v) for v in spec))
    return set()


def chart_spec(name: str, model: HashpivotModel | None) -> dict:
    """The chart's Vega-Lite spec with the model's current data (empty data when no model)."""
    spec = dict(compiled_template(name))
    if model is None:
        spec["datasets"] = {n: [] for n in dataset_names(spec)}
    else:
        spec["datasets"] = CHARTS[name].data(model)
    return spec
