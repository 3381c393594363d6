"""The views of the page's main area, one Mesa component each: status, charts, miners, miner card, events.

After every step Mesa bumps its ``update_counter``, and every listener of it is rendered on its own.
So only the status view (light: a few lines of text) listens to it. The other views read ``redraws``,
which ``_redraw`` bumps when they should show a new day: at once when days come by hand (Step),
and while playing from a catch-up thread every ``REDRAW_PERIOD_S``, so their redraws overlap Mesa's
pause between days instead of lengthening it, and a paused page always ends up showing its last day.
The views then cost the same per second on day 30 and day 3,000, however fast Mesa plays. No view
is a plain function: Mesa wraps those in a listener of its own.

Why renders must stay short: Mesa's Play asks for the next day while a render is still running, and
a render that keeps being asked for more passes gives up after 100 ("Too many renders").
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from html import escape
from typing import Any

import solara
from mesa.visualization.utils import update_counter

from hashpivot.model.tools.ui.charts import CHART_HEIGHT, CHARTS, caption, chart_data, has_data
from hashpivot.model.tools.ui.uimodel import UiModel, reading
from hashpivot.model.tools.ui.vega import VegaChart
from hashpivot.model.tools.ui.views import (
    FEED_ROWS,
    TABLE_HEAD,
    event_counts,
    event_kind_label,
    event_rows,
    fmt,
    miner_card,
    miners_table_rows,
    settings_line,
)

REDRAW_PERIOD_S = 0.3
"""While playing, the views other than the status redraw this often (0: after every day, at once)."""
BY_HAND_S = 0.5
"""A day that comes this long after the one before was asked for by hand: the views redraw at once."""
redraws = solara.reactive(0)
"""Bumped by ``_redraw`` when the views should show a new day (per browser session)."""
selected_miner = solara.reactive(None)
"""The ``unique_id`` of the miner whose card is open (per browser session), or None."""


def _day(model: UiModel) -> list:
    """What the views' rows depend on: the model, and the status view's bump for a new day (``redraws``)."""
    return [model, redraws.value]


def _redraw(model: UiModel, now_s: float, wait_s: float) -> bool:
    """Ask the views to redraw if the model is on a day they have not drawn and they last drew ``wait_s`` ago.

    The day and time drawn are kept on the model (``ui_drawn``), so a new model redraws at once.

    Returns:
        Whether it asked.
    """
    day, at = getattr(model, "ui_drawn", (None, -math.inf))
    if model.day == day or now_s - at < wait_s:
        return False
    model.ui_drawn = (model.day, now_s)
    redraws.set(redraws.peek() + 1)
    return True


def _new_day(model: UiModel, now_s: float) -> None:
    """The status view drew a new day: redraw the views now if it came by hand, else let ``_catch_up`` do it."""
    previous = getattr(model, "ui_status_at", -math.inf)
    model.ui_status_at = now_s
    if REDRAW_PERIOD_S == 0 or now_s - previous >= BY_HAND_S:
        _redraw(model, now_s, 0.0)


def _catch_up(model: UiModel) -> None:
    """Redraw the last day shown by the status view once the views' period has passed (a thread).

    With no period every day is redrawn at once, and there is nothing to catch up with.
    """
    while REDRAW_PERIOD_S > 0:
        time.sleep(REDRAW_PERIOD_S)
        _redraw(model, time.monotonic(), REDRAW_PERIOD_S)


def _read(model: UiModel, fn: Callable, *args: Any) -> Any:
    """``fn(*args)`` with the model's day held still (Mesa's Play steps in another thread)."""
    with reading(model):
        return fn(*args)


def select_from_datum(datum: Any) -> None:
    """A chart click: open the card of the miner the clicked mark belongs to (a mark without one is ignored)."""
    uid = datum.get("uid") if isinstance(datum, dict) else None
    if uid is not None:
        selected_miner.set(int(uid))


# --------------------------------------------------------------------------------------------
# Status
# --------------------------------------------------------------------------------------------


@solara.component
def StatusView(model: UiModel):  # noqa: N802 - a component
    """Date and horizon, scenario and seed, headline numbers, the settings in force, and what to do next.

    It listens to Mesa's ``update_counter``, so it is drawn after every step; it then tells the other
    views to redraw (``_new_day``): now after a Step, every ``REDRAW_PERIOD_S`` while playing.
    """
    update_counter.get()

    def new_day() -> None:  # an effect returns its cleanup or None, nothing else
        _new_day(model, time.monotonic())

    solara.use_effect(new_day, [model, model.day])
    solara.use_thread(lambda: _catch_up(model), [model])
    with reading(model):
        rec = model.recorder
        day, date, horizon = model.day, model.date, getattr(model, "horizon_days", model.config.run.days)
        headline = (
            f"BTC {fmt(model.btc_price_usd)} USD · hashrate {fmt(rec.last('network_hashrate_ehs'))} EH/s · "
            f"AI leases {fmt(rec.last('leases_signed_total', 0.0))} ({fmt(rec.last('lease_mw_signed_total', 0.0))} MW)"
        )
        in_force = settings_line(model)
    with solara.Column(gap="4px", classes=["hp-status-card"]) as col:
        solara.HTML(
            tag="div",
            unsafe_innerHTML=(
                f"<span class='hp-date'>{date}</span> &nbsp; day <span class='hp-day'>{day}</span> of {horizon:,}"
            ),
            classes=["hp-status"],
        )
        solara.Text(
            f"Scenario {model.config.name!r} ({getattr(model, 'ui_scenario', '')}), seed {model.seed}",
            classes=["hp-scenario"],
        )
        solara.Text(headline)
        solara.Text(f"In force: {in_force}", classes=["hp-settings-line"])
        solara.Text("* differs from the scenario file (set in the sidebar).", classes=["hp-hint"])
        if getattr(model, "ui_error", None):
            solara.Error(model.ui_error, dense=True, classes=["hp-error"])
        if day >= horizon:
            last = date - dt.timedelta(days=1)
            solara.Info(
                f"Reached the scenario's horizon: {horizon:,} days simulated, {model.config.run.start_date} to "
                f"{last}. Play and Step stop here; Reset runs it again.",
                dense=True,
                classes=["hp-horizon"],
            )
        elif day == 0:
            hint = "Press ▶ to play or Step for one day (sidebar, ☰). Sidebar changes apply at Reset."
            solara.Text(hint, classes=["hp-hint"])
    return col


# --------------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------------


@solara.component
def ChartCell(name: str, model: UiModel):  # noqa: N802 - a component
    """Chart ``name`` with its caption, or what it will show once there is something to draw."""
    spec, datasets = solara.use_memo(lambda: _read(model, chart_data, name, model), _day(model))
    chart = CHARTS[name]
    with solara.Column(gap="2px", classes=["hp-chart", f"hp-chart-{name}"]) as col:
        if has_data(datasets):
            VegaChart(spec, datasets, select_from_datum if name == "leases" else None)
        else:
            solara.HTML(
                tag="div",
                unsafe_innerHTML=f"<div class='hp-empty-title'>{escape(spec.get('title', ''))}</div>"
                f"<div>{escape(chart.empty)}</div>",
                classes=["hp-empty"],
                style={"height": f"{CHART_HEIGHT + 40}px"},
            )
        solara.Text(caption(name, model), classes=["hp-caption"])
    return col


def chart_component(name: str) -> Callable:
    """A Solara component of the model (what Mesa's ``components`` take) drawing chart ``name``."""

    @solara.component
    def Chart(model: UiModel):  # noqa: N802 - a component
        return ChartCell(name, model)

    Chart.name = f"{name.title()}Chart"
    return Chart


# --------------------------------------------------------------------------------------------
# Miners
# --------------------------------------------------------------------------------------------


@solara.component
def MinerRow(uid: int, cells: tuple, selected: bool):  # noqa: N802 - a component
    """One row of the miners table; a click opens the miner's card."""
    classes = "hp-row hp-selected" if selected else "hp-row"
    row = solara.v.Html(tag="tr", class_=classes, children=[solara.v.Html(tag="td", children=[c]) for c in cells])
    solara.v.use_event(row, "click", lambda *args: selected_miner.set(uid))
    return row


@solara.component
def MinersTable(model: UiModel):  # noqa: N802 - a component
    """The largest miners by MW: strategy and status, MW by state, BTC share of revenue, cash.

    Rows open the miner's card.
    """
    rows = solara.use_memo(lambda: _read(model, miners_table_rows, model), _day(model))
    chosen = selected_miner.value
    with solara.Column(gap="2px", classes=["hp-miners-card"]) as col:
        solara.HTML(tag="div", unsafe_innerHTML="Largest miners by MW", classes=["hp-panel-title"])
        with solara.v.SimpleTable(dense=True, class_="hp-miners"):
            with solara.v.Html(tag="thead"):
                solara.v.Html(tag="tr", children=[solara.v.Html(tag="th", children=[h]) for h in TABLE_HEAD])
            with solara.v.Html(tag="tbody"):
                for r in rows:
                    MinerRow(r["uid"], r["cells"], r["uid"] == chosen).key(str(r["uid"]))
        solara.Text(
            "MW on the miner's sites by state; BTC share of revenue since the last monthly snapshot. Firms that "
            "left the model (wound down, taken over, liquidated) are not listed. Click a row to open the miner's card.",
            classes=["hp-caption"],
        )
    return col


def miner_card_html(card: dict | None) -> str:
    """The miner card (``views.miner_card``) as HTML."""
    if card is None:
        return (
            "<div class='hp-panel-title'>Miner card</div>"
            "<div class='hp-hint'>Click a miner in the table or in the lease network to see its strategy, "
            "the present values (NPV) it compared at its last decision and why it chose.</div>"
        )
    facts = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in card["facts"])
    if card["values"]:
        values = "".join(
            f"<tr class='{'hp-chosen' if chosen else ''}'><td>{escape(s)}{' ✓' if chosen else ''}</td>"
            f"<td>{'not feasible' if usd is None else fmt(usd, 1) + ' M$'}</td></tr>"
            for s, usd, chosen in card["values"]
        )
        decision = (
            f"<div class='hp-decision'>Last decision {escape(card['decided'] or '')}: "
            f"<b>{escape(card['strategy'])}</b> — {escape(card['reason'])}</div>"
            f"<table class='hp-npv'><tr><th>Strategy</th><th>Value compared (NPV)</th></tr>{values}</table>"
        )
        inputs = " · ".join(f"{escape(k)} {escape(v)}" for k, v in card["inputs"])
        decision += f"<div class='hp-inputs'>{inputs}</div>"
    else:
        decision = "<div class='hp-hint'>It has not re-decided yet (miners decide every few weeks).</div>"
    events = "".join(f"<li>{escape(e['date'])}: {escape(e['text'])}</li>" for e in card["events"])
    events = f"<ul class='hp-miner-events'>{events}</ul>" if events else ""
    return (
        f"<div class='hp-panel-title'>{escape(card['name'])}</div><table class='hp-facts'>{facts}</table>"
        f"{decision}{events}"
    )


@solara.component
def MinerCard(model: UiModel):  # noqa: N802 - a component
    """The selected miner: strategy, holdings, the NPVs behind its last choice and the rule's reason."""
    uid = selected_miner.value
    html = solara.use_memo(
        lambda: miner_card_html(None if uid is None else _read(model, miner_card, model, uid)),
        [*_day(model), uid],
    )
    return solara.HTML(tag="div", unsafe_innerHTML=html, classes=["hp-card"])


# --------------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------------


def event_feed_html(model: UiModel, limit: int = FEED_ROWS) -> str:
    """The newest events as HTML: counts by kind, then one line per event with its date."""
    counts = event_counts(model)
    summary = " · ".join(f"{escape(event_kind_label(k))} {n}" for k, n in counts.items())
    rows = "".join(
        f"<tr class='hp-event hp-event-{escape(r['kind'])}'><td class='hp-event-date'>{escape(r['date'])}</td>"
        f"<td><span class='hp-kind'>{escape(r['what'])}</span> {escape(r['agent'])}: {escape(r['text'])}</td></tr>"
        for r in event_rows(model, limit)
    )
    if not counts:
        body = (
            "<div class='hp-hint'>Nothing has happened yet. Leases signed, strategy switches, site purchases, "
            "bans, defaults, restructurings, takeovers and any other kind of event the model logs appear here "
            "with their dates.</div>"
        )
    else:
        body = f"<div class='hp-event-counts'>{summary}</div><table class='hp-events'>{rows}</table>"
    return f"<div class='hp-panel-title'>Events (newest first)</div>{body}"


@solara.component
def EventFeed(model: UiModel):  # noqa: N802 - a component
    """What happened, newest first: every kind of event in ``model.events``, with its date."""
    html = solara.use_memo(lambda: _read(model, event_feed_html, model), _day(model))
    return solara.HTML(tag="div", unsafe_innerHTML=html, classes=["hp-feed"])


COMPONENTS: list[Callable] = [
    StatusView,
    EventFeed,
    chart_component("regions"),
    chart_component("leases"),
    MinersTable,
    MinerCard,
    *(chart_component(name) for name in CHARTS if name not in ("regions", "leases")),
]
"""The main area, in order (Mesa lays them out two to a row)."""
