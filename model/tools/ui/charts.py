"""The charts: an Altair template per chart, compiled once; each day only its data sets change.

Building and compiling Altair charts costs 10-60 ms each, so doing it every step for a dozen charts
would blow the budget of a step. A template reads named data sets ("series", "edges", ...);
``chart_data`` computes the model's current rows for them and ``compiled_template`` is the spec
the browser embeds once (``vega.VegaChart``). Each chart carries a one-line caption saying what
it shows and in which units. The tests validate every filled spec against the Vega-Lite schema.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import altair as alt

from hashpivot.model.config.schema import Scenario
from hashpivot.model.simulation import HashpivotModel
from hashpivot.model.tools.ui import geo
from hashpivot.model.tools.ui.views import (
    AI_AREA_PX2,
    HASH_AREA_PX2,
    bin_days,
    lease_data,
    region_data,
    series_rows,
)

CHART_HEIGHT = 210  # px: with title, axis, legend and caption it fits Mesa's grid cell (10 rows of 30 px)

BASE_MAP = "world-atlas@2/countries-110m.json"
"""Natural Earth country outlines (npm ``world-atlas``, ISC), in Solara's local asset cache (make setup)."""
ASSETS_ENV = "SOLARA_ASSETS_PROXY_CACHE_DIR"

CONVERTING = "Converting (also in hybrid/exit)"
STRATEGY_COLORS = {"Hold": "#f2a900", "Hybrid": "#4c78a8", "Exit": "#9d755d"}
STRATEGY_COLUMNS = ("miners_hold", "miners_hybrid", "miners_exit", "miners_converting")  # and CONVERTING
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
ENTRY_COLORS = {
    "Mining capacity": "#f2a900",
    "Hibernating": "#bab0ac",
    "Queued for connection": "#72b7b2",
    "Entered (cumulative)": "#54a24b",
    "Miners with machines": "#333333",
}
ENTRY_COLUMNS = (
    "mw_mining_capacity",
    "mw_hibernating",
    "mw_mining_queue_pending",
    "mw_entered_total",
    "miners_active",
)
ENTRY_MW = 4  # the first four are MW (left axis); miners are counted on the right

FIRMS_COLORS = {
    "Defaulted (cumulative)": "#e45756",
    "Restructured (cumulative)": "#f58518",
    "Acquisitions (cumulative)": "#4c78a8",
    "Wound down (cumulative)": "#9d755d",
    "Firms in the model": "#333333",
}
FIRMS_COLUMNS = (
    "miners_defaulted_total",
    "miners_restructured_total",
    "acquisitions_total",
    "miners_wound_down_total",
    "miners_in_model",
)
FIRMS_EVENTS = 4  # the first four are running totals of events (left axis); firms in the model, a level, on the right

MACHINE_COLORS = {
    "New ASIC price": "#4c78a8",
    "Used ASIC price": "#f58518",
    "Used sold (cumulative)": "#e45756",
    "Scrapped unsold (cumulative)": "#9d755d",
}
MACHINE_COLUMNS = (
    "asic_price_usd_per_th_new",
    "asic_price_usd_per_th_used",
    "used_asic_th_sold_total",
    "used_asic_th_scrapped_total",
)
MACHINE_PRICES = 2  # the first two are USD/TH (left axis); the TH totals are shown in EH/s on the right
TH_PER_EH = 1e6

HASHRATE_COLOR = "#f2a900"
AI_COLOR = "#2b6cb0"


MIN_WINDOW_DAYS = 30
"""The date axis spans at least this many days from the start, so a short run gets day ticks, not hours."""


def _utc(day: dt.date) -> alt.DateTime:
    return alt.DateTime(year=day.year, month=day.month, date=day.day, utc=True)


def _date_x(start: dt.date | None) -> alt.X:
    """The date axis from ``start``; None for a second layer, which shares the first layer's scale.

    UTC: the dates are calendar days, and a browser west of Greenwich would draw them the evening before.
    (Only one layer may name the domain: Vega-Lite warns when layers repeat it.)
    """
    if start is None:
        return alt.X("date:T", title=None, scale=alt.Scale(type="utc"))
    window = alt.Scale(
        type="utc", domain=alt.DomainUnionWith(unionWith=[_utc(start), _utc(start + dt.timedelta(MIN_WINDOW_DAYS))])
    )
    return alt.X("date:T", title=None, scale=window, axis=alt.Axis(labelOverlap=True, tickCount=8))


def _date_tooltip() -> alt.Tooltip:
    return alt.Tooltip("utcyearmonthdate(date):T", title="Date")


def _titled(chart: alt.TopLevelMixin, title: str, height: int = CHART_HEIGHT) -> alt.TopLevelMixin:
    return chart.properties(title=title, width="container", height=height)


def series_key(index: int) -> str:
    """The short field name a chart's ``index``-th series travels under (``s0``, ``s1``, ...)."""
    return f"s{index}"


def _folded_marks(
    start: dt.date | None,
    colors: dict[str, str],
    y_title: str,
    stacked: bool,
    names: Sequence[str] | None = None,
    orient: str = "left",
) -> alt.Chart:
    """Several series of one unit, stacked areas or lines, from wide rows (``_wide_series``).

    Rows travel wide with short keys -- one row a day, not one a day and series, which made the data
    five times bigger -- and are folded in the browser; the fold and a lookup of each key's name and
    position are transforms, not Vega expressions. The colour scale lists every series of ``colors``
    in order, so layers drawing different series (``names``) share one scale and legend; a layer with
    ``orient="right"`` puts its y axis on the right (``_two_axes``).
    """
    domain = list(colors)
    names = domain if names is None else list(names)
    legend_rows = [{"key": series_key(i), "series": name, "order": i} for i, name in enumerate(domain)]
    lookup = alt.LookupData(data=alt.InlineData(values=legend_rows), key="key", fields=["series", "order"])
    base = (
        alt.Chart(alt.NamedData("series"))
        .transform_fold([series_key(domain.index(n)) for n in names], as_=["key", "value"])
        .transform_lookup(lookup="key", from_=lookup)
    )
    # The scale's domain orders the legend; a ``sort`` list would compile to an expression.
    color = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=domain, range=list(colors.values())),
        legend=alt.Legend(orient="bottom", columns=3),
    )
    mark = base.mark_area(opacity=0.85) if stacked else base.mark_line()
    return mark.encode(
        x=_date_x(start),
        y=alt.Y("value:Q", title=y_title, stack="zero" if stacked else None)
        if orient == "left"
        else alt.Y("value:Q", axis=alt.Axis(title=y_title, orient=orient, format="~s"), stack=None),
        color=color,
        order=alt.Order("order:Q"),
        tooltip=[_date_tooltip(), alt.Tooltip("series:N", title="Series"), alt.Tooltip("value:Q", format=",.3~f")],
    )


def _wide_series(model: HashpivotModel, columns: Sequence[str], divisor: float) -> dict[str, list]:
    """The ``series`` data set of a ``_folded_marks`` chart: recorder ``columns`` / ``divisor`` under ``series_key``."""
    return {"series": series_rows(model, {series_key(i): (c, divisor) for i, c in enumerate(columns)})}


def _two_axes(
    start: dt.date, title: str, colors: dict[str, str], split: int, left_title: str, right_title: str
) -> alt.LayerChart:
    """Lines of two units: the first ``split`` series of ``colors`` on the left axis, the rest on the right.

    One legend (the layers share the colour scale), two y scales.
    """
    names = list(colors)
    left = _folded_marks(start, colors, left_title, False, names[:split])
    right = _folded_marks(None, colors, right_title, False, names[split:], orient="right")
    return _titled(alt.layer(left, right).resolve_scale(y="independent"), title)


def _dual(start: dt.date, title: str, left: tuple[str, str, str], right: tuple[str, str, str]) -> alt.LayerChart:
    """Two series with their own y axes: (field, axis title, colour) each."""
    base = alt.Chart(alt.NamedData("series"))
    layers = []
    for (field, axis_title, color), orient in ((left, "left"), (right, "right")):
        axis = alt.Axis(title=axis_title, titleColor=color, orient=orient, format="~s")
        layers.append(
            base.mark_line(color=color).encode(
                x=_date_x(start if orient == "left" else None),
                y=alt.Y(f"{field}:Q", axis=axis, scale=alt.Scale(zero=False)),
                tooltip=[_date_tooltip(), alt.Tooltip(f"{field}:Q", title=axis_title, format=",.4~r")],
            )
        )
    return _titled(alt.layer(*layers).resolve_scale(y="independent"), title)


# --------------------------------------------------------------------------------------------
# Daily series
# --------------------------------------------------------------------------------------------


def price_template(start: dt.date) -> alt.TopLevelMixin:
    """BTC price (USD/BTC) and hashprice (USD per PH/s per day), two axes."""
    return _dual(
        start,
        "BTC price and hashprice",
        ("price", "BTC price (USD/BTC)", "#f2a900"),
        ("hashprice", "Hashprice (USD/PH/s/day)", "#4c78a8"),
    )


def price_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``price_template``."""
    return {
        "series": series_rows(model, {"price": ("btc_price_usd", 1.0), "hashprice": ("hashprice_usd_per_ph_day", 1.0)})
    }


def hashrate_template(start: dt.date) -> alt.TopLevelMixin:
    """Network hashrate (EH/s) and difficulty (trillions), two axes."""
    return _dual(
        start,
        "Network hashrate and difficulty",
        ("hashrate", "Network hashrate (EH/s)", "#e45756"),
        ("difficulty", "Difficulty (T)", "#333333"),
    )


def hashrate_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``hashrate_template``."""
    return {
        "series": series_rows(model, {"hashrate": ("network_hashrate_ehs", 1.0), "difficulty": ("difficulty", 1e12)})
    }


def strategy_template(start: dt.date) -> alt.TopLevelMixin:
    """Miners by strategy (stacked areas), and those converting sites to AI (dashed line).

    Converting miners are also counted in their strategy (hybrid or exit): stacking them on top
    would count them twice.
    """
    colors = {**STRATEGY_COLORS, CONVERTING: "#e45756"}
    stack = _folded_marks(start, colors, "Miners (count)", True, list(STRATEGY_COLORS))
    line = _folded_marks(None, colors, "Miners (count)", False, [CONVERTING]).mark_line(
        strokeDash=[4, 2], strokeWidth=2
    )
    return _titled(alt.layer(stack, line), "Strategy mix (miners)")


def strategy_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``strategy_template``."""
    return _wide_series(model, STRATEGY_COLUMNS, 1.0)


def mw_template(start: dt.date) -> alt.TopLevelMixin:
    """Capacity on pivot sites by state, stacked (GW)."""
    return _titled(_folded_marks(start, STATE_COLORS, "Capacity (GW)", True), "Capacity by state (pivot sites)")


def mw_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``mw_template`` (MW columns shown in GW)."""
    return _wide_series(model, STATE_COLUMNS, 1e3)


def revenue_template(start: dt.date) -> alt.TopLevelMixin:
    """Miners' daily revenue by source, stacked (M$/day)."""
    return _titled(_folded_marks(start, REVENUE_COLORS, "Revenue (M$/day)", True), "Revenue mix (all miners)")


def revenue_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``revenue_template`` (USD columns shown in M$)."""
    return _wide_series(model, REVENUE_COLUMNS, 1e6)


def concentration_template(start: dt.date) -> alt.TopLevelMixin:
    """Regional concentration of hashrate and of AI MW (shares and HHI, 0-1)."""
    return _titled(_folded_marks(start, CONCENTRATION_COLORS, "Share / HHI (0-1)", False), "Concentration")


def concentration_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``concentration_template``."""
    return _wide_series(model, CONCENTRATION_COLUMNS, 1.0)


def valuation_template(start: dt.date) -> alt.TopLevelMixin:
    """Value per MW of listed miners, AI-focused vs BTC-focused: the valuation gap (SF-4), M$/MW."""
    return _titled(
        _folded_marks(start, VALUATION_COLORS, "Value per MW (M$/MW)", False), "Valuation gap (listed miners)"
    )


def valuation_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``valuation_template`` (USD per MW shown in M$ per MW)."""
    return _wide_series(model, VALUATION_COLUMNS, 1e6)


def entry_template(start: dt.date) -> alt.TopLevelMixin:
    """Mining capacity, hibernating, queued and entered MW (left axis), and miners with machines (right)."""
    return _two_axes(start, "Entry: mining capacity and firms", ENTRY_COLORS, ENTRY_MW, "MW", "Miners (count)")


def entry_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``entry_template``."""
    return _wide_series(model, ENTRY_COLUMNS, 1.0)


def firms_template(start: dt.date) -> alt.TopLevelMixin:
    """Defaults, restructurings, acquisitions and wind-downs (cumulative, left axis), firms in the model (right).

    Two axes: the events number a few while the firms in the model number dozens, and one axis would
    flatten the events against zero.
    """
    return _two_axes(
        start, "Firms: defaults, restructurings, takeovers", FIRMS_COLORS, FIRMS_EVENTS, "Cumulative count", "Firms"
    )


def firms_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``firms_template``."""
    return _wide_series(model, FIRMS_COLUMNS, 1.0)


def machines_template(start: dt.date) -> alt.TopLevelMixin:
    """New and used ASIC prices (USD/TH, left axis), used machines sold and scrapped (EH/s cumulative, right)."""
    return _two_axes(
        start, "Used machines: ASIC prices and sales", MACHINE_COLORS, MACHINE_PRICES, "USD/TH", "EH/s (cumulative)"
    )


def machines_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``machines_template`` (TH totals shown in EH/s)."""
    divisors = [1.0] * MACHINE_PRICES + [TH_PER_EH] * (len(MACHINE_COLUMNS) - MACHINE_PRICES)
    columns = {series_key(i): (c, d) for i, (c, d) in enumerate(zip(MACHINE_COLUMNS, divisors, strict=True))}
    return {"series": series_rows(model, columns)}


# --------------------------------------------------------------------------------------------
# The map and the lease network
# --------------------------------------------------------------------------------------------


def assets_cache() -> Path:
    """Solara's local front-end cache, where ``scripts/fetch_ui_assets.sh`` puts the base map."""
    return Path(os.environ.get(ASSETS_ENV) or Path(sys.prefix) / "share" / "solara" / "cdn")


def base_map_installed() -> bool:
    """Whether the offline base map is in the asset cache (the map is drawn without it otherwise)."""
    return (assets_cache() / BASE_MAP).is_file()


def region_variant(model: HashpivotModel, datasets: Mapping[str, list]) -> tuple[bool, bool, bool]:
    """Which layers the map has: a size scale over no rows warns in the browser, so empty layers are left out."""
    return bool(datasets["hashrate"]), bool(datasets["ai"]), base_map_installed()


def region_template(variant: tuple[bool, bool, bool] = (True, True, True)) -> alt.TopLevelMixin:
    """Regions on an Equal Earth world map: disc area = hashrate, ring area = AI MW, labels kept apart.

    Args:
        variant: ``(hashrate discs, AI rings, base map)``: which layers to draw (``region_variant``).
    """
    with_hash, with_ai, with_base = variant
    lon, lat = alt.Longitude("lon:Q"), alt.Latitude("lat:Q")
    tooltip = [
        alt.Tooltip("name:N", title="Region"),
        alt.Tooltip("hashrate_ehs:Q", title="Hashrate (EH/s)"),
        alt.Tooltip("ai_mw:Q", title="AI MW (converting + leased)"),
        alt.Tooltip("ai_share:Q", title="AI share of site MW", format=".0%"),
    ]
    layers = []
    if with_base:
        world = alt.Data(url=BASE_MAP, format=alt.DataFormat(type="topojson", feature="countries"))
        layers.append(alt.Chart(world).mark_geoshape(fill="#ebe9e3", stroke="#ffffff", strokeWidth=0.5, clip=True))
    line = {"longitude": lon, "latitude": lat, "longitude2": "lon2:Q", "latitude2": "lat2:Q"}
    layers.append(alt.Chart(alt.NamedData("edges")).mark_rule(color="#c9c4b8", strokeDash=[2, 2]).encode(**line))
    layers.append(alt.Chart(alt.NamedData("leaders")).mark_rule(color="#777", strokeWidth=0.7).encode(**line))
    # Under the map, side by side: three sizes each keep them narrower than the map.
    legend = {"orient": "bottom", "direction": "horizontal", "tickCount": 3, "symbolStrokeWidth": 1.5}
    legend |= {"titleFontSize": 10, "labelFontSize": 9}
    if with_hash:
        size = alt.Size(
            "hashrate_ehs:Q",
            title="Hashrate (EH/s)",
            scale=alt.Scale(zero=True, range=[0, HASH_AREA_PX2]),
            legend=alt.Legend(**legend, symbolFillColor=HASHRATE_COLOR, symbolOpacity=0.6),
        )
        discs = alt.Chart(alt.NamedData("hashrate")).mark_circle(
            color=HASHRATE_COLOR, opacity=0.6, stroke="#a86f00", strokeWidth=0.8
        )
        layers.append(discs.encode(longitude=lon, latitude=lat, size=size, tooltip=tooltip))
    if with_ai:
        size = alt.Size(
            "ai_mw:Q",
            title="AI MW",
            scale=alt.Scale(zero=True, range=[0, AI_AREA_PX2]),
            legend=alt.Legend(**legend, symbolStrokeColor=AI_COLOR, symbolFillColor="transparent"),
        )
        rings = alt.Chart(alt.NamedData("ai")).mark_point(shape="circle", filled=False, color=AI_COLOR, strokeWidth=2)
        layers.append(rings.encode(longitude=lon, latitude=lat, size=size, tooltip=tooltip))
    text = alt.Chart(alt.NamedData("labels")).encode(longitude=lon, latitude=lat, text="label:N")
    halo = {"fontSize": geo.FONT_PX, "align": "center", "baseline": "middle"}
    layers.append(text.mark_text(**halo, stroke="#ffffff", strokeWidth=3, strokeOpacity=0.85))
    layers.append(text.mark_text(**halo, color="#222222"))
    fit = {"type": "Feature", "properties": {}, "geometry": {"type": "MultiPoint", "coordinates": geo.extent_outline()}}
    chart = alt.layer(*layers).project(type="equalEarth", fit=fit)
    if with_hash and with_ai:
        chart = chart.resolve_scale(size="independent").resolve_legend(size="independent")
    chart = _titled(chart, "Regions: hashrate and AI capacity", geo.MAP_HEIGHT_PX)
    return chart.configure_view(stroke=None)


def lease_template(variant: Hashable = None) -> alt.TopLevelMixin:
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
            strokeWidth=alt.StrokeWidth(
                "mw:Q", title="Leased MW", scale=alt.Scale(range=[0.5, 8]), legend=alt.Legend(orient="bottom")
            ),
            tooltip=[alt.Tooltip("pair:N", title="Lease"), alt.Tooltip("mw:Q", title="MW")],
        )
    )
    layers = [lines]
    for dataset, color, align, dx in (("miners", "#f2a900", "right", -7), ("hyperscalers", "#4c78a8", "left", 7)):
        nodes = alt.Chart(alt.NamedData(dataset)).encode(x=x, y=y)
        layers.append(
            nodes.mark_circle(size=70, opacity=1, color=color, cursor="pointer").encode(
                tooltip=[alt.Tooltip("name:N", title="Agent"), alt.Tooltip("mw:Q", title="Leased MW")]
            )
        )
        layers.append(nodes.mark_text(fontSize=9, align=align, dx=dx).encode(text="label:N"))
    chart = _titled(alt.layer(*layers), "AI leases: miners (left) ↔ hyperscalers (right)")
    return chart.configure_view(stroke=None)  # no frame: there are no axes to frame


# --------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------

SERIES_EMPTY = "No day simulated yet: press Step or ▶ in the sidebar."


@dataclass(frozen=True)
class ChartDef:
    """A chart: its template, the function giving its data sets, and what the page says about it.

    Attributes:
        template: Builds the Altair chart for a variant (what ``variant`` says the data need).
        data: The model's current rows, by data set name.
        caption: One line under the chart: what it shows, in which units.
        empty: What the page shows instead while there is nothing to draw.
        series: Whether it draws the daily series (its caption then says how many days a point averages).
        variant: Which template variant the model and its data sets need (default: one per start date,
            the first day of the date axis).
    """

    template: Callable[[Hashable], alt.TopLevelMixin]
    data: Callable[[HashpivotModel], dict[str, list]]
    caption: str
    empty: str = SERIES_EMPTY
    series: bool = True
    variant: Callable[[HashpivotModel, Mapping[str, list]], Hashable] = lambda model, datasets: (
        model.config.run.start_date
    )


CHARTS: dict[str, ChartDef] = {
    "price": ChartDef(
        price_template,
        price_data,
        "BTC price (USD/BTC, left axis) and hashprice, what a PH/s of hashrate earns a day (USD, right axis).",
    ),
    "hashrate": ChartDef(
        hashrate_template,
        hashrate_data,
        "Network hashrate (EH/s, left) and mining difficulty (trillions, right; it retargets every 2,016 blocks).",
    ),
    "strategy": ChartDef(
        strategy_template,
        strategy_data,
        "Miners by strategy, stacked: hold mines every MW, hybrid leases some to AI, exit sells out; "
        "dashed: miners converting sites now.",
    ),
    "mw": ChartDef(
        mw_template,
        mw_data,
        "Capacity of miners' sites by state, stacked (GW): mining, curtailed, idle, converting to AI, leased to AI.",
    ),
    "revenue": ChartDef(
        revenue_template,
        revenue_data,
        "Miners' revenue per day by source, stacked (M$/day): block rewards and fees, AI rent, demand response.",
    ),
    "valuation": ChartDef(
        valuation_template,
        valuation_data,
        "Value per MW of listed miners (M$/MW), AI-focused vs BTC-focused: market cap and enterprise value (SF-4).",
    ),
    "concentration": ChartDef(
        concentration_template,
        concentration_data,
        "Concentration over regions (0-1): Herfindahl index of hashrate, and US and Texas shares of hashrate "
        "and of AI MW.",
    ),
    "entry": ChartDef(
        entry_template,
        entry_data,
        "Entry & used machines. Left (MW): mining capacity (machines installed, running or hibernating), "
        "hibernating, new mining sites queued for connection, MW entered (cumulative). Right: miners with "
        "machines installed.",
    ),
    "machines": ChartDef(
        machines_template,
        machines_data,
        "Entry & used machines. Left (USD/TH): newest ASICs and used machines (the last 30 days' trades; gaps: "
        "none traded). Right (EH/s, cumulative): used machines sold, and scrapped unsold.",
    ),
    "firms": ChartDef(
        firms_template,
        firms_data,
        "Firms' fates. Left (cumulative): firms defaulted, covenant restructurings (debt swapped for equity), "
        "acquisitions (takeovers of whole firms and estate sales of defaulted firms), firms wound down. Right: "
        "firms still in the model (one leaves once wound down, acquired, or liquidated after a default).",
    ),
    "regions": ChartDef(
        region_template,
        region_data,
        "Today per region: orange disc area = hashrate (EH/s), blue ring area = AI MW (converting + leased); "
        "dashed: interties.",
        series=False,
        variant=region_variant,
    ),
    "leases": ChartDef(
        lease_template,
        lease_data,
        "Leases in force: miners (left) to hyperscalers (right), line width = MW. Click a miner or a lease to "
        "open its card.",
        empty="No AI lease signed yet.",
        series=False,
        variant=lambda model, datasets: None,
    ),
}


@functools.cache
def compiled_template(name: str, variant: Hashable) -> dict:
    """The chart's Vega-Lite spec without data (compiled once per variant; callers must not modify it).

    Templates use no Vega expressions (``calculate``, ``filter``, a custom ``sort``), so they do not
    depend on the expression parser of whichever Vega 5 release the asset cache holds.
    """
    chart = CHARTS[name]
    spec = chart.template(variant).to_dict(validate=False)
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


def has_data(datasets: Mapping[str, list]) -> bool:
    """Whether there is anything to draw: a row with a number in it (all-null rows give empty scales)."""
    return any(
        value is not None and not isinstance(value, str)
        for rows in datasets.values()
        for row in rows
        for key, value in row.items()
        if key not in ("order", "x", "y", "x2", "y2", "uid")
    )


def chart_data(name: str, model: HashpivotModel) -> tuple[dict, dict[str, list]]:
    """The spec to embed and the model's current data sets for chart ``name``.

    The spec may hold small data sets of its own (``datasets``: the fold charts' series names); the
    day's data sets join them in the browser.
    """
    chart = CHARTS[name]
    datasets = chart.data(model)
    return compiled_template(name, chart.variant(model, datasets)), datasets


def chart_spec(name: str, model: HashpivotModel | None) -> dict:
    """The chart's full Vega-Lite spec with the model's current data.

    Without a model: the variant with every layer, and empty data sets.
    """
    if model is None:
        template = compiled_template(name, _full_variant(name))
        datasets = {n: [] for n in dataset_names(template) if n not in template.get("datasets", {})}
    else:
        template, datasets = chart_data(name, model)
    return {**template, "datasets": {**template.get("datasets", {}), **datasets}}


def _full_variant(name: str) -> Hashable:
    if CHARTS[name].variant is region_variant:
        return True, True, True
    return None if name == "leases" else Scenario().run.start_date


def caption(name: str, model: HashpivotModel) -> str:
    """The chart's caption, saying how many days a point averages once a long run is binned."""
    chart = CHARTS[name]
    if not chart.series:
        return chart.caption
    days = bin_days(model.recorder.n)
    return chart.caption + ("" if days == 1 else f" Each point averages {days} days.")
