"""What the page shows, read from the model each time: nothing is stored between steps.

The daily series come from ``model.recorder``; the region map, the lease network, the miners table,
the event feed and the miner card from the model's sites, fleet, leases, agents and ``events``.
Rows are plain dicts, ready for the named data sets of the chart templates (``charts.py``) or the
page's panels (``panels.py``).
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Mapping

import networkx as nx
import numpy as np

from hashpivot.model.simulation import HashpivotModel
from hashpivot.model.tools.ui import geo
from hashpivot.model.tools.ui.params import CONTROLS, MINERS, TEXAS, label, same_value, ui_values
from hashpivot.model.world.recording import agent_rows
from hashpivot.model.world.regions import region_graph
from hashpivot.model.world.sites import Owner

MAX_POINTS = 160
"""Most points per series sent to the browser: past this, days are averaged into bins of 2, 4, 8, ...
days, so every redraw costs about the same however long the run (and bins change rarely)."""

TABLE_ROWS = 10
FEED_ROWS = 60
LABELLED_MINERS = 12  # lease network: label only the biggest landlords, or the labels pile up
HASH_AREA_PX2 = 1_300.0  # area of the biggest hashrate disc on the map
AI_AREA_PX2 = 1_300.0  # area of the biggest AI ring

EVENT_KINDS = {
    "lease": "Lease signed",
    "strategy": "Strategy switch",
    "site": "Site bought",
    "ban": "Mining ban",
    "default": "Default",
    "restructuring": "Restructuring",
    "acquisition": "Acquisition",
    "acquired": "Taken over",
    "liquidation": "Liquidated",
    "wind_down": "Wound down",
}
"""How the feed names the kinds of ``model.events`` the model logs today; any other kind (entries,
relocations, ... as markets add them) is shown by its own name, capitalised."""

STATUS_TEXT = {"exited": "wound down", "defaulted": "in default", "acquired": "taken over"}
"""How the page names a firm's ``status`` other than active; one that has left the model says so too."""


def _finite(x: float) -> float | None:
    """A value for the browser: 5 significant digits (the charts show no more), and null when missing.

    JSON has no NaN: one would make the browser reject the whole chart.
    """
    x = float(x)
    return float(f"{x:.5g}") if math.isfinite(x) else None


def bin_days(n: int, max_points: int = MAX_POINTS) -> int:
    """Days per point for ``n`` recorded days: 1 up to ``max_points``, then the smallest power of 2 that fits."""
    return 1 if n <= max_points else 2 ** math.ceil(math.log2(n / max_points))


def series_rows(model: HashpivotModel, columns: Mapping[str, tuple[str, float]]) -> list[dict]:
    """Recorded daily series as chart rows, averaged into at most ``MAX_POINTS`` bins (``bin_days``).

    Args:
        model: The model.
        columns: Output field -> (recorder column, divisor), e.g. ``{"Hashrate": ("...", 1.0)}``.

    Returns:
        One dict per bin: ``date`` (ISO, first day of the bin) and each field (None if missing).
    """
    rec = model.recorder
    n = rec.n
    if n == 0:
        return []
    stride = bin_days(n)
    bins = math.ceil(n / stride)
    start = model.config.run.start_date
    days = rec.column("day")[:n:stride]
    out = [{"date": (start + dt.timedelta(days=int(d))).isoformat()} for d in days]
    for field, (column, divisor) in columns.items():
        padded = np.full(bins * stride, np.nan)
        padded[:n] = rec.column(column)[:n] / divisor
        with warnings.catch_warnings():  # an all-NaN bin is a missing value, not a problem
            warnings.simplefilter("ignore", RuntimeWarning)
            means = np.nanmean(padded.reshape(bins, stride), axis=1)
        for row, value in zip(out, means, strict=True):
            row[field] = _finite(value)
    return out


# --------------------------------------------------------------------------------------------
# The map
# --------------------------------------------------------------------------------------------


def hashrate_ph_by_region(model: HashpivotModel) -> np.ndarray | None:
    """Today's average hashrate per region (PH/s), or None before the first step.

    The page's one read of the day's results (``model.today``, a ``DayResult``).
    """
    return None if model.today is None else model.today.hashrate_ph_by_region


def region_label(region_id: str) -> str:
    """A region's short map label: its id, spaced (``US_WEST`` -> ``US WEST``)."""
    return region_id.replace("_", " ")


def region_rows(model: HashpivotModel) -> list[dict]:
    """Per region: position, hashrate (EH/s), AI MW and the AI share of its pivot-site MW.

    Hashrate is today's average (what the concentration series measure); before the first step,
    the fleet's online machines at full load. AI MW (converting + leased) and capacity count pivot
    sites -- miners' sites and those hyperscalers bought -- as ``model/world/recording.py`` does.
    """
    t, s, f = model.regions, model.sites, model.fleet
    r = len(t.ids)
    today = hashrate_ph_by_region(model)
    if today is not None:
        ehs = np.asarray(today) / 1_000.0
    else:
        live = f.live(model.day)
        ehs = np.bincount(s.region[f.site[: f.n][live]], weights=f.th_s()[live], minlength=r) / 1e6
    n = s.n
    pivot = (s.owner_kind[:n] != Owner.NONE) & ~s.greenfield[:n]
    ai = np.bincount(s.region[:n], weights=np.where(pivot, s.ai_mw[:n] + s.converting_mw[:n], 0.0), minlength=r)
    cap = np.bincount(s.region[:n], weights=np.where(pivot, s.capacity_mw[:n], 0.0), minlength=r)
    share = np.divide(ai, cap, out=np.zeros(r), where=cap > 0)
    return [
        {
            "region": t.ids[i],
            "label": region_label(t.ids[i]),
            "name": t.names[i],
            "lon": float(t.lon[i]),
            "lat": float(t.lat[i]),
            "hashrate_ehs": round(float(ehs[i]), 2),
            "ai_mw": round(float(ai[i]), 1),
            "ai_share": round(float(share[i]), 3),
        }
        for i in range(r)
    ]


def _radius_px(value: float, largest: float, area_px2: float) -> float:
    """Radius of a bubble whose area is proportional to ``value`` (Vega-Lite's size scale from zero)."""
    return math.sqrt(value / largest * area_px2 / math.pi) if largest > 0 else 0.0


def region_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``charts.region_template``: bubbles, interties, and labels placed apart (``geo.place_labels``).

    ``hashrate`` and ``ai`` hold only regions with some (a bubble of zero would still be drawn);
    ``labels`` places one label per region, by its bigger bubble; ``leaders`` joins a label that
    had to move away to its region.
    """
    nodes = region_rows(model)
    pos = {r["region"]: r for r in nodes}
    edges = [
        {"lon": pos[a]["lon"], "lat": pos[a]["lat"], "lon2": pos[b]["lon"], "lat2": pos[b]["lat"]}
        for a, b in region_graph(model.region_set).edges
        if a in pos and b in pos
    ]
    top_hash = max((r["hashrate_ehs"] for r in nodes), default=0.0)
    top_ai = max((r["ai_mw"] for r in nodes), default=0.0)
    radii = [
        max(_radius_px(r["hashrate_ehs"], top_hash, HASH_AREA_PX2), _radius_px(r["ai_mw"], top_ai, AI_AREA_PX2))
        for r in nodes
    ]
    placed = geo.place_labels([(r["label"], r["lon"], r["lat"], rad) for r, rad in zip(nodes, radii, strict=True)])
    labels = [{"lon": p.lon, "lat": p.lat, "label": p.text} for p in placed]
    leaders = [
        {"lon": r["lon"], "lat": r["lat"], "lon2": p.leader_lon, "lat2": p.leader_lat}
        for r, p in zip(nodes, placed, strict=True)
        if p.leader_lon is not None
    ]
    return {
        "hashrate": [r for r in nodes if r["hashrate_ehs"] > 0],
        "ai": [r for r in nodes if r["ai_mw"] > 0],
        "edges": edges,
        "labels": labels,
        "leaders": leaders,
    }


# --------------------------------------------------------------------------------------------
# Agents, leases, events
# --------------------------------------------------------------------------------------------


def miner_name(miner) -> str:
    """How the page names a miner: its archetype and id."""
    return f"{miner.archetype} #{miner.unique_id}"


def agent_name(model: HashpivotModel, uid: int) -> str:
    """A readable name for any agent: miner archetype and id, hyperscaler name, grid operator region."""
    try:
        agent = model.agent_by_uid(uid)
    except KeyError:
        return f"agent #{uid}"
    if hasattr(agent, "archetype"):
        return miner_name(agent)
    if hasattr(agent, "region") and hasattr(agent.region, "id"):
        return f"grid operator {agent.region.id}"
    return str(getattr(agent, "name", f"agent #{uid}"))


def is_miner(model: HashpivotModel, uid: int | None) -> bool:
    """Whether ``uid`` is a miner of this model."""
    try:
        return uid is not None and hasattr(model.agent_by_uid(uid), "archetype")
    except (KeyError, TypeError):
        return False


def lease_graph(model: HashpivotModel) -> nx.Graph:
    """The AI lease network: miners on one side, hyperscalers on the other, weighted by MW.

    Leases count from signing until they end (conversions being built included). Several leases
    between the same pair add up on one edge.

    Args:
        model: The model.

    Returns:
        A bipartite ``networkx.Graph`` keyed by agent ``unique_id``. Nodes: ``kind`` ("miner" or
        "hyperscaler"), ``bipartite`` (0 or 1), ``label`` and ``mw`` (their leased MW). Every
        hyperscaler is a node; a miner only once it has signed. Edges: ``mw`` (= ``weight``) and
        ``leases`` (how many).
    """
    g = nx.Graph()
    for h in model.hyperscalers:
        g.add_node(h.unique_id, kind="hyperscaler", bipartite=1, label=h.name, mw=0.0)
    miners = {m.unique_id: m for m in model.all_miners()}  # a lease may outlive its landlord's firm
    for lease in model.leases.leases:
        if 0 <= lease.end_day <= model.day:
            continue  # the contract has run out
        m, h = lease.miner, lease.hyperscaler
        if m not in g:
            miner = miners.get(m)
            name = miner_name(miner) if miner is not None else f"miner #{m}"
            g.add_node(m, kind="miner", bipartite=0, label=name, mw=0.0)
        if g.has_edge(m, h):
            g[m][h]["mw"] += lease.mw
            g[m][h]["leases"] += 1
        else:
            g.add_edge(m, h, mw=lease.mw, leases=1)
        g[m][h]["weight"] = g[m][h]["mw"]
        g.nodes[m]["mw"] += lease.mw
        g.nodes[h]["mw"] += lease.mw
    return g


def lease_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``charts.lease_template``: ``lease_graph`` in two columns, biggest on top.

    Every row carries the miner's ``uid``, so a click on a miner or a lease opens its card.
    """
    g = lease_graph(model)
    miners = sorted((n for n, d in g.nodes(data=True) if d["kind"] == "miner"), key=lambda n: -g.nodes[n]["mw"])
    if not miners:  # no lease yet: the page says so rather than drawing idle hyperscalers
        return {"edges": [], "miners": [], "hyperscalers": []}
    hyperscalers = [n for n, d in g.nodes(data=True) if d["kind"] == "hyperscaler"]
    pos = {n: (0.0, 1.0 - i / max(len(miners) - 1, 1)) for i, n in enumerate(miners)}
    pos.update({n: (1.0, 1.0 - i / max(len(hyperscalers) - 1, 1)) for i, n in enumerate(hyperscalers)})
    edges = []
    for a, b, d in g.edges(data=True):
        m, h = (a, b) if g.nodes[a]["kind"] == "miner" else (b, a)
        edges.append(
            {
                "x": pos[m][0],
                "y": pos[m][1],
                "x2": pos[h][0],
                "y2": pos[h][1],
                "mw": round(d["mw"]),
                "pair": f"{g.nodes[m]['label']} - {g.nodes[h]['label']}",
                "uid": m,
            }
        )
    nodes: dict[str, list] = {"miners": [], "hyperscalers": []}
    for rank, n in enumerate(miners + hyperscalers):
        d = g.nodes[n]
        shown = d["kind"] == "hyperscaler" or rank < LABELLED_MINERS
        nodes[f"{d['kind']}s"].append(
            {
                "x": pos[n][0],
                "y": pos[n][1],
                "mw": round(d["mw"]),
                "name": d["label"],
                "label": d["label"] if shown else "",
                "uid": n if d["kind"] == "miner" else None,
            }
        )
    return {"edges": edges, **nodes}


def largest_miners(model: HashpivotModel, n: int = TABLE_ROWS) -> list[dict]:
    """The ``n`` largest miners by MW, from ``agent_rows``.

    ``agent_rows`` gives each miner's BTC share of revenue since the last monthly panel snapshot;
    just after a snapshot that window is empty, so the snapshot's own value is shown instead.
    """
    rows = agent_rows(model)
    for row in rows:
        row["mw_total"] = sum(v for k, v in row.items() if k.startswith("mw_"))
    rows.sort(key=lambda r: r["mw_total"], reverse=True)
    top = rows[:n]
    missing = {r["agent_id"] for r in top if not math.isfinite(r["btc_revenue_share"])}
    if missing:
        latest = snapshot_revenue_shares(model, missing)
        for r in top:
            if r["agent_id"] in missing:
                r["btc_revenue_share"] = latest.get(r["agent_id"], float("nan"))
    return top


def snapshot_revenue_shares(model: HashpivotModel, ids: set[int]) -> dict[int, float]:
    """The BTC share of revenue in the newest panel row of each miner in ``ids`` that has one.

    The panel ends with the last monthly snapshot (a row per firm then in the model) and, after it, a
    last row of each firm that has left since (``retire_miner``): two rows per firm ever created reach
    back past that snapshot, without reading the whole panel of a long run.
    """
    panel = model.agent_panel
    start = max(len(panel) - 2 * len(model.all_miners()), 0)
    latest: dict[int, float] = {}
    for row in reversed(panel[start:]):
        uid = row["agent_id"]
        if uid in ids and uid not in latest:
            latest[uid] = row["btc_revenue_share"]
            if len(latest) == len(ids):
                break
    return latest


def status_text(status: str, gone: bool = False) -> str:
    """A firm's ``status`` as the page writes it: empty while active, else its fate (and that it left the model)."""
    if status == "active":
        return ""
    text = STATUS_TEXT.get(status, status)
    return f"{text}, left the model" if gone else text


def event_kind_label(kind: str) -> str:
    """How the feed names a kind of event."""
    return EVENT_KINDS.get(kind, kind.replace("_", " ").capitalize())


def event_counts(model: HashpivotModel) -> dict[str, int]:
    """How many events of each kind so far, kinds in the order they first happened."""
    counts: dict[str, int] = {}
    for event in model.events:
        counts[event["kind"]] = counts.get(event["kind"], 0) + 1
    return counts


def event_rows(model: HashpivotModel, limit: int = FEED_ROWS, kind: str | None = None) -> list[dict]:
    """The newest ``limit`` events (of ``kind``, or all), newest first, with readable kind and agent names."""
    rows = []
    for event in reversed(model.events):
        if kind is not None and event["kind"] != kind:
            continue
        rows.append(
            {
                "date": event["date"],
                "kind": event["kind"],
                "what": event_kind_label(event["kind"]),
                "agent": agent_name(model, event["agent"]),
                "uid": event["agent"] if is_miner(model, event["agent"]) else None,
                "text": event["text"],
            }
        )
        if len(rows) >= limit:
            break
    return rows


def last_decision_day(model: HashpivotModel, miner) -> int | None:
    """The day the miner last re-decided (it does every ``run.decision_interval_days``), or None."""
    interval = model.config.run.decision_interval_days
    last = model.day - 1
    if last < miner.decision_offset:
        return None
    return last - (last - miner.decision_offset) % interval


def miner_card(model: HashpivotModel, uid: int) -> dict | None:
    """What the page says about one miner: strategy, holdings, and the values behind its last choice.

    Returns:
        None when ``uid`` is not a miner of this model; else a dict with ``name``, ``strategy``,
        ``facts`` (label, text) pairs, ``values`` (strategy, M$ or None when not feasible, chosen),
        ``reason`` and ``decided`` (the date of the last decision, or None before the first).
    """
    if not is_miner(model, uid):
        return None
    miner = model.agent_by_uid(uid)
    i = miner.idx
    s, acc = model.sites, model.accounts
    held = miner.sites
    states = {k: float(v[held].sum()) for k, v in s.state_mw().items()}
    facts = [
        ("Status", status_text(miner.status, miner.gone) or "active"),
        ("Strategy", miner.strategy + (" (converting sites to AI)" if states.get("converting", 0) > 0 else "")),
        ("Listed", "yes" if miner.listed else "no"),
        ("Sites", f"{held.size} ({', '.join(sorted({model.regions.ids[r] for r in s.region[held]})) or 'none'})"),
        ("MW by state", " · ".join(f"{k.replace('_', ' ')} {fmt(v)}" for k, v in states.items() if v > 0.5) or "none"),
        ("Cash / debt", f"{fmt(acc.cash_usd[i] / 1e6, 1)} / {fmt(acc.debt_usd[i] / 1e6, 1)} M$"),
        ("BTC held", fmt(acc.btc[i], 1)),
    ]
    choice, view = miner.last_choice, miner.last_view
    values = []
    if choice is not None:
        for strategy, usd in choice.values_usd.items():
            values.append((strategy, usd / 1e6 if math.isfinite(usd) else None, strategy == choice.strategy))
    inputs = []
    if view is not None:
        inputs = [
            ("Convertible MW", fmt(view.convertible_mw)),
            ("Lease NPV per MW", f"{fmt(view.lease_npv_usd_per_mw / 1e6, 2)} M$"),
            ("Chance of a tenant", f"{view.lease_access:.0%}"),
            ("Can finance the conversion", "yes" if view.can_finance else "no"),
            ("Switching margin", f"{view.hysteresis:.0%}"),
        ]
    decided = last_decision_day(model, miner) if choice is not None else None
    return {
        "uid": uid,
        "name": miner_name(miner),
        "strategy": miner.strategy,
        "facts": facts,
        "values": values,
        "inputs": inputs,
        "reason": choice.reason if choice is not None else "",
        "decided": None if decided is None else (model.config.run.start_date + dt.timedelta(days=decided)).isoformat(),
        "events": [r for r in event_rows(model, limit=len(model.events)) if r["uid"] == uid][:5],
    }


# --------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------


def fmt(value: float, digits: int = 0) -> str:
    """A number with thousands separators and ``digits`` decimals; a dash when it is not finite.

    Values that round to zero print as 0, never -0.
    """
    value = float(value)
    if not math.isfinite(value):
        return "—"
    return f"{round(value, digits) + 0.0:,.{digits}f}"


def _pct(x: float) -> str:
    return f"{x:.0%}" if math.isfinite(x) else "—"


def control_text(name: str, value) -> str:
    """A control's value as the page writes it."""
    if name == TEXAS:
        return "yes" if value else "no"
    if name == MINERS:
        return str(int(value))
    return f"{value:.6g}"


def settings_line(model: HashpivotModel) -> str:
    """The values in force for the page's controls; a ``*`` marks one that differs from the scenario file."""
    now = ui_values(model.config)
    file = getattr(model, "ui_file_values", now)
    parts = []
    for name in CONTROLS:
        star = "" if same_value(now[name], file[name]) else "*"
        short = label(name) if name != TEXAS else "Texas rule strict"
        parts.append(f"{short} {control_text(name, now[name])}{star}")
    return " · ".join(parts)


def strategy_cell(row: dict) -> str:
    """The table's strategy cell: the strategy, and the status of a firm that is not active (one in default)."""
    status = status_text(row["status"])
    return f"{row['strategy']} ({status})" if status else row["strategy"]


def miners_table_rows(model: HashpivotModel) -> list[dict]:
    """The largest miners by MW, as the table's cells (text) and the miner's ``uid``.

    Only firms still in the model are listed (``agent_rows``); one in default stays until its estate is
    sold, and its strategy cell says so.
    """
    out = []
    for r in largest_miners(model):
        out.append(
            {
                "uid": r["agent_id"],
                "cells": (
                    f"{r['archetype']} #{r['agent_id']}",
                    strategy_cell(r),
                    fmt(r["mw_mining"]),
                    fmt(r["mw_curtailed"]),
                    fmt(r["mw_idle"]),
                    fmt(r["mw_converting"]),
                    fmt(r["mw_ai_leased"]),
                    fmt(r["mw_unbuilt"]),
                    _pct(r["btc_revenue_share"]),
                    fmt(r["cash_usd"] / 1e6, 1),
                ),
            }
        )
    return out


TABLE_HEAD = (
    "Miner",
    "Strategy",
    "Mining MW",
    "Curtailed MW",
    "Idle MW",
    "Converting MW",
    "AI MW",
    "Unbuilt MW",
    "BTC share of revenue",
    "Cash (M$)",
)
