"""What the page shows, read from the model each time: nothing is stored between steps.

The daily series come from ``model.recorder``; the region map, the lease network and the miners
table from the model's sites, fleet, leases and ``agent_rows``. Rows are plain dicts, ready for the
named data sets of the chart templates (``charts.py``) or for the HTML table.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Mapping
from html import escape

import networkx as nx
import numpy as np

from hashpivot.model.simulation import HashpivotModel
from hashpivot.model.tools.ui.params import KNOBS
from hashpivot.model.world.recording import agent_rows
from hashpivot.model.world.regions import region_graph
from hashpivot.model.world.sites import Owner

MAX_POINTS = 365
"""Most points per series sent to the browser; longer runs are averaged into equal bins."""

TABLE_ROWS = 10
LABELLED_MINERS = 12  # lease network: label only the biggest landlords, or the labels pile up


def _finite(x: float) -> float | None:
    """JSON has no NaN (the browser would reject the whole chart): missing values become null."""
    x = float(x)
    return x if math.isfinite(x) else None


def series_rows(model: HashpivotModel, columns: Mapping[str, tuple[str, float]]) -> list[dict]:
    """Recorded daily series as chart rows, averaged into at most ``MAX_POINTS`` equal bins.

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
    stride = max(1, math.ceil(n / MAX_POINTS))
    bins = math.ceil(n / stride)
    start = model.config.run.start_date
    days = rec.column("day")[::stride]
    out = [{"date": (start + dt.timedelta(days=int(d))).isoformat()} for d in days]
    for field, (column, divisor) in columns.items():
        padded = np.full(bins * stride, np.nan)
        padded[:n] = rec.column(column) / divisor
        with warnings.catch_warnings():  # an all-NaN bin is a missing value, not a problem
            warnings.simplefilter("ignore", RuntimeWarning)
            means = np.nanmean(padded.reshape(bins, stride), axis=1)
        for row, value in zip(out, means, strict=True):
            row[field] = _finite(value)
    return out


def long_rows(rows: list[dict], names: list[str]) -> list[dict]:
    """Wide rows -> one row per (date, series): ``date``, ``series``, ``value``, ``order``.

    ``order`` is the series' position in ``names`` (stacking and legend order). Charts take long
    rows rather than folding wide ones in the browser, because folding and ordering need Vega
    expressions (see ``charts.compiled_template``).
    """
    return [
        {"date": row["date"], "series": name, "value": row[name], "order": i}
        for row in rows
        for i, name in enumerate(names)
    ]


def hashrate_ph_by_region(model: HashpivotModel) -> np.ndarray | None:
    """Today's average hashrate per region (PH/s), or None before the first step.

    The page's one read of the day's results (``model.today``, a ``DayResult``).
    """
    return None if model.today is None else model.today.hashrate_ph_by_region


def region_rows(model: HashpivotModel) -> list[dict]:
    """Per region: position, hashrate (EH/s) and the AI share of its pivot-site MW.

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
            "name": t.names[i],
            "lon": float(t.lon[i]),
            "lat": float(t.lat[i]),
            "hashrate_ehs": round(float(ehs[i]), 2),
            "ai_mw": round(float(ai[i]), 1),
            "ai_share": round(float(share[i]), 3),
        }
        for i in range(r)
    ]


def region_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``charts.region_template``: regions, and the interties of the region graph."""
    nodes = region_rows(model)
    pos = {r["region"]: r for r in nodes}
    edges = [
        {"lon": pos[a]["lon"], "lat": pos[a]["lat"], "lon2": pos[b]["lon"], "lat2": pos[b]["lat"]}
        for a, b in region_graph(model.region_set).edges
        if a in pos and b in pos
    ]
    return {"nodes": nodes, "edges": edges}


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
    miners = {m.unique_id: m for m in model.miners}
    for lease in model.leases.leases:
        if 0 <= lease.end_day <= model.day:
            continue  # the contract has run out
        m, h = lease.miner, lease.hyperscaler
        if m not in g:
            miner = miners.get(m)
            label = f"{miner.archetype} #{m}" if miner is not None else f"miner #{m}"
            g.add_node(m, kind="miner", bipartite=0, label=label, mw=0.0)
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
    """Rows for ``charts.lease_template``: ``lease_graph`` laid out in two columns, biggest on top."""
    g = lease_graph(model)
    miners = sorted((n for n, d in g.nodes(data=True) if d["kind"] == "miner"), key=lambda n: -g.nodes[n]["mw"])
    if not miners:  # no lease yet: an empty chart says so more plainly than idle hyperscalers
        return {"edges": [], "miners": [], "hyperscalers": []}
    hyperscalers = [n for n, d in g.nodes(data=True) if d["kind"] == "hyperscaler"]
    pos = {n: (0.0, 1.0 - i / max(len(miners) - 1, 1)) for i, n in enumerate(miners)}
    pos.update({n: (1.0, 1.0 - i / max(len(hyperscalers) - 1, 1)) for i, n in enumerate(hyperscalers)})
    edges = []
    for a, b, d in g.edges(data=True):
        m, h = (a, b) if g.nodes[a]["kind"] == "miner" else (b, a)
        pair = f"{g.nodes[m]['label']} - {g.nodes[h]['label']}"
        edges.append(
            {"x": pos[m][0], "y": pos[m][1], "x2": pos[h][0], "y2": pos[h][1], "mw": round(d["mw"]), "pair": pair}
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
        latest: dict[int, float] = {}
        for snap in model.agent_panel[-len(model.miners) :]:
            latest[snap["agent_id"]] = snap["btc_revenue_share"]
        for r in top:
            if r["agent_id"] in missing:
                r["btc_revenue_share"] = latest.get(r["agent_id"], float("nan"))
    return top


def fmt(value: float, digits: int = 0) -> str:
    """A number with thousands separators and ``digits`` decimals; a dash when it is not finite."""
    return f"{value:,.{digits}f}" if math.isfinite(value) else "—"


def _pct(x: float) -> str:
    return f"{x:.0%}" if math.isfinite(x) else "—"


def settings_line(model: HashpivotModel) -> str:
    """The values in force for the page's levers (those the page changed are starred)."""
    cfg, moved = model.config, getattr(model, "ui_settings", {})
    parts = [f"{knob.label} {knob.read(cfg):.3g}{'*' if name in moved else ''}" for name, knob in KNOBS.items()]
    parts.append(
        f"Texas rule strict {'yes' if cfg.grid.texas_rule_strict else 'no'}"
        f"{'*' if 'texas_rule_strict' in moved else ''}"
    )
    parts.append(f"Miners {len(model.miners)}{'*' if 'n_miners' in moved else ''}")
    return " · ".join(parts)


def miners_table_html(model: HashpivotModel) -> str:
    """The largest miners by MW as an HTML table: strategy, MW by state, BTC share, cash."""
    head = (
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
    body = []
    for r in largest_miners(model):
        cells = (
            escape(f"{r['archetype']} #{r['agent_id']}"),
            r["strategy"],
            fmt(r["mw_mining"]),
            fmt(r["mw_curtailed"]),
            fmt(r["mw_idle"]),
            fmt(r["mw_converting"]),
            fmt(r["mw_ai_leased"]),
            fmt(r["mw_unbuilt"]),
            _pct(r["btc_revenue_share"]),
            fmt(r["cash_usd"] / 1e6, 1),
        )
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return (
        "<div style='font-weight:600;margin:4px 0'>Largest miners by MW</div>"
        "<table class='hp-miners' style='font-size:11px;border-collapse:collapse;width:100%'>"
        "<tr>" + "".join(f"<th style='text-align:left'>{h}</th>" for h in head) + "</tr>" + "".join(body) + "</table>"
    )
