"""The Mesa browser UI: watch Bitcoin miners pivot to AI, one day per step.

``hashpivot ui [SCENARIO]`` (``serve``) or ``solara run model.ui:Page`` opens a Mesa ``SolaraViz``
page. The sidebar holds Reset / Play / Step, the scenario, the seed and the main levers; the main area
shows the date and the settings in force, the daily series the model records (BTC price and
hashprice, hashrate and difficulty, strategy mix, MW by state, revenue mix, concentration, the valuation
gap per MW), a map of the regions, the network of AI leases and the largest miners.

Everything drawn is read from the model: the daily series from ``model.recorder`` and the rest
from its sites, fleet, leases and ``agent_rows``. The page keeps no books of its own.

Mesa's Reset rebuilds the model as ``ModelClass(**model_params)``, so ``UiModel`` takes flat
keyword parameters and turns them into a validated ``Scenario``. A slider left where the page
started means "as in the scenario", so switching scenario does not silently overwrite its values.
A bad value never breaks the page: the model is built without the user's changes and the page
shows a one-line error.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
import signal
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import altair as alt
import networkx as nx
import numpy as np
import solara

from hashpivot.model.config.io import ConfigError, validate
from hashpivot.model.config.scenarios import BUILTIN, RUNS_DIR, builtin_names, find_scenario, load_scenario
from hashpivot.model.config.schema import Scenario
from hashpivot.model.simulation import HashpivotModel
from hashpivot.model.world.recording import agent_rows
from hashpivot.model.world.regions import region_graph
from hashpivot.model.world.sites import Owner

SCENARIO_ENV = "HASHPIVOT_UI_SCENARIO"
"""Environment variable through which ``serve`` tells the page which scenario to start with."""

ASSETS_ENV = "SOLARA_ASSETS_PROXY_CACHE_DIR"
DEFAULT_SEED = 42
TAIL_ARCHETYPES = ("us_tail", "row_fringe")
"""Archetypes whose counts the 'number of miners' control scales (the named miners stay)."""

SOURCE = "page settings"
"""What a one-line error blames for a value set in the page."""

MAX_POINTS = 365
"""Most points per series sent to the browser; longer runs are averaged into equal bins."""

CHART_HEIGHT = 250  # px: fits Mesa's grid cell (10 rows of 30 px) with the title and legend
TABLE_ROWS = 10
LABELLED_MINERS = 12  # lease network: label only the biggest landlords, or the labels pile up


# ------------------------------------------------------------------------------------------------
# Parameters: flat UI values <-> the scenario schema
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Knob:
    """A slider bound to one scenario value.

    Attributes:
        label: Text next to the slider (with its unit).
        key: Dotted scenario key it sets.
        lo: Slider minimum, in UI units.
        hi: Slider maximum, in UI units.
        step: Slider step, in UI units.
        scale: Scenario value = UI value x ``scale`` (e.g. 1e6 for M$ -> USD).
    """

    label: str
    key: str
    lo: float
    hi: float
    step: float
    scale: float = 1.0

    def read(self, scenario: Scenario) -> float:
        """The scenario's value of this knob, in UI units."""
        value: Any = scenario
        for part in self.key.split("."):
            value = getattr(value, part)
        return float(value) / self.scale


KNOBS: dict[str, Knob] = {
    "btc_drift_per_year": Knob("BTC price drift (1/yr)", "price.drift_per_year", -0.6, 0.8, 0.05),
    "btc_volatility_per_year": Knob("BTC price volatility (1/yr)", "price.volatility_per_year", 0.0, 1.5, 0.05),
    "ai_spend_growth_per_year": Knob("AI demand growth (1/yr)", "ai.spend_growth_per_year", -0.3, 1.0, 0.02),
    "conversion_capex_musd_per_mw": Knob(
        "Conversion capex (M$/MW)", "ai.colocation.conversion_capex_usd_per_mw", 2.0, 16.0, 0.5, 1e6
    ),
    "lease_rent_usd_per_kw_month": Knob(
        "Lease rent reference ($/kW-month)", "ai.reference_rent_usd_per_kw_month", 50.0, 300.0, 5.0
    ),
    "interconnection_delay_scale": Knob("Interconnection study time (x)", "grid.study_scale", 0.25, 4.0, 0.25),
    "dr_payment_scale": Knob("Demand-response payments (x)", "grid.dr_scale", 0.0, 3.0, 0.1),
}
TEXAS_KEY = "grid.texas_rule_strict"
MINERS_MAX = 500


def scenario_choices(scenario: str | None = None) -> list[str]:
    """Scenario names the page offers: the files in ``runs/``, plus ``scenario`` if it is elsewhere.

    Args:
        scenario: The scenario the page starts with (a name in ``runs/`` or a path).

    Returns:
        Names for the select; ``["built-in"]`` when ``runs/`` holds no scenario.
    """
    names = builtin_names() or [BUILTIN]
    if scenario and scenario not in names:
        names.append(scenario)
    return names


def scenario_label(scenario: str) -> str:
    """How the page names a scenario: the stem of a file in ``runs/``, else its absolute path."""
    path = find_scenario(scenario)
    if not path.is_file():
        return scenario
    path = path.resolve()
    return path.stem if path.parent == RUNS_DIR.resolve() else str(path)


def load_base(scenario_name: str | None) -> Scenario:
    """Load a scenario by name or path (``None`` or ``"built-in"``: the default scenario).

    Raises:
        ValueError: The file or a data file it reads is unusable (one-line message).
    """
    path = None if scenario_name in (None, "", BUILTIN) else find_scenario(scenario_name)
    return load_scenario(path).scenario


def named_miner_count(scenario: Scenario) -> int:
    """Miners of the archetypes the 'number of miners' control leaves alone."""
    return sum(a.count for a in scenario.miners if a.name not in TAIL_ARCHETYPES)


def total_miners(scenario: Scenario) -> int:
    """Number of miner agents the scenario creates."""
    return sum(a.count for a in scenario.miners)


def _scaled_tail_counts(base: list[int], target: int) -> list[int]:
    """Split ``target`` agents over the tail archetypes in proportion to ``base``.

    Largest-remainder rounding keeps the total exact.
    """
    weights = np.asarray(base, float) if sum(base) > 0 else np.ones(len(base))
    exact = weights / weights.sum() * target
    counts = np.floor(exact).astype(int)
    for i in np.argsort(counts - exact)[: target - counts.sum()]:  # biggest remainders first
        counts[i] += 1
    return [int(c) for c in counts]


def _set(data: dict, key: str, value: Any) -> None:
    node = data
    *parents, last = key.split(".")
    for part in parents:
        node = node[part]
    node[last] = value


def apply_settings(base: Scenario, changed: Mapping[str, Any]) -> Scenario:
    """Apply page settings (flat UI names and units) to a scenario and validate the result.

    Args:
        base: The scenario loaded from its file.
        changed: UI values by parameter name (``KNOBS``, ``texas_rule_strict``, ``n_miners``).

    Returns:
        The new, validated scenario.

    Raises:
        ConfigError: A value does not fit the schema, or too few miners (one-line message).
    """
    data = base.model_dump()
    for name, value in changed.items():
        if name in KNOBS:
            _set(data, KNOBS[name].key, value * KNOBS[name].scale)
        elif name == "texas_rule_strict":
            _set(data, TEXAS_KEY, value)
    if "n_miners" in changed:
        _scale_miners(data, base, changed["n_miners"])
    return validate(Scenario, data, SOURCE)


def _scale_miners(data: dict, base: Scenario, n_miners: Any) -> None:
    """Set the tail archetypes' counts so the scenario has ``n_miners`` miners in all."""
    tails = [i for i, a in enumerate(base.miners) if a.name in TAIL_ARCHETYPES]
    named = named_miner_count(base)
    if not isinstance(n_miners, int | float) or n_miners != int(n_miners):
        raise ConfigError(SOURCE, f"{n_miners!r} is not a whole number", "n_miners")
    if not tails:
        raise ConfigError(
            SOURCE, "the scenario has no us_tail or row_fringe miners to scale", "n_miners", "the scenario's own count"
        )
    if not named <= n_miners <= MINERS_MAX:
        raise ConfigError(
            SOURCE,
            f"{int(n_miners)} miners is out of range",
            "n_miners",
            f"from {named} (the named miners) to {MINERS_MAX}",
        )
    counts = _scaled_tail_counts([base.miners[i].count for i in tails], int(n_miners) - named)
    for i, count in zip(tails, counts, strict=True):
        data["miners"][i]["count"] = count


def parse_seed(seed: Any) -> int:
    """The seed as an int (the page's text field gives a string).

    Raises:
        ConfigError: Not a whole number from 0 to 2**63 - 1.
    """
    try:
        value = int(str(seed).strip())
    except ValueError:
        value = -1
    if not 0 <= value < 2**63:
        raise ConfigError(SOURCE, f"{seed!r} is not a valid seed", "seed", "a whole number from 0 to 2**63 - 1")
    return value


def ui_values(scenario: Scenario) -> dict[str, Any]:
    """The page's parameter values that reproduce ``scenario`` (UI names and units)."""
    values: dict[str, Any] = {name: knob.read(scenario) for name, knob in KNOBS.items()}
    values["texas_rule_strict"] = bool(scenario.grid.texas_rule_strict)
    values["n_miners"] = total_miners(scenario)
    return values


def model_params(scenario: str | None = None, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """Mesa ``model_params`` for ``UiModel``: controls start at ``scenario``'s values.

    Args:
        scenario: Scenario to start with (name in ``runs/`` or path; None: the default scenario).
        seed: Initial seed.

    Returns:
        The dict for ``SolaraViz(model_params=...)``. ``ui_defaults`` (fixed) records where the
        controls started, so ``UiModel`` can tell which ones the user moved.
    """
    choices = scenario_choices(scenario)
    start = scenario or ("baseline" if "baseline" in choices else choices[0])
    try:
        base = load_base(start)
    except ValueError:  # the page shows the loading error; start from the schema defaults
        base = Scenario()
    values = ui_values(base)
    params: dict[str, Any] = {
        "scenario_name": {"type": "Select", "label": "Scenario", "value": start, "values": choices},
        "seed": {"type": "InputText", "label": "Seed (whole number)", "value": str(seed)},
    }
    for name, knob in KNOBS.items():
        value = values[name]
        params[name] = {
            "type": "SliderFloat",
            "label": knob.label,
            "value": value,
            "min": min(knob.lo, value),
            "max": max(knob.hi, value),
            "step": knob.step,
        }
    params["n_miners"] = {
        "type": "SliderInt",
        "label": "Number of miners",
        "value": values["n_miners"],
        "min": named_miner_count(base),
        "max": max(MINERS_MAX, values["n_miners"]),
        "step": 1,
    }
    params["texas_rule_strict"] = {
        "type": "Checkbox",
        "value": values["texas_rule_strict"],
        "label": "Texas large-load rule strict (SB 6)",
    }
    params["ui_defaults"] = {"seed": str(seed), **values}
    return params


def _moved(values: Mapping[str, Any], defaults: Mapping[str, Any] | None) -> dict[str, Any]:
    """Settings the user set: not None, and (on the page) moved from where the control started."""
    defaults = defaults or {}
    return {k: v for k, v in values.items() if v is not None and not (k in defaults and _same(v, defaults[k]))}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    return a == b


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
        settings = _moved(
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


# ------------------------------------------------------------------------------------------------
# Data for the views: read from the model, nothing stored
# ------------------------------------------------------------------------------------------------


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
    expressions (see ``compiled_template``).
    """
    return [
        {"date": row["date"], "series": name, "value": row[name], "order": i}
        for row in rows
        for i, name in enumerate(names)
    ]


def region_rows(model: HashpivotModel) -> list[dict]:
    """Per region: position, hashrate (EH/s) and the AI share of its pivot-site MW.

    Hashrate is today's average (what the concentration series measure); before the first step,
    the fleet's online machines at full load. AI MW (converting + leased) and capacity count pivot
    sites -- miners' sites and those hyperscalers bought -- as ``model/world/recording.py`` does.
    """
    t, s, f = model.regions, model.sites, model.fleet
    r = len(t.ids)
    today = model.today.get("hashrate_ph_by_region")
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
    for h in model.hyperscalers_list:
        g.add_node(h.unique_id, kind="hyperscaler", bipartite=1, label=h.name, mw=0.0)
    miners = {m.unique_id: m for m in model.miners_list}
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
        for snap in model.agent_panel[-len(model.miners_list) :]:
            latest[snap["agent_id"]] = snap["btc_revenue_share"]
        for r in top:
            if r["agent_id"] in missing:
                r["btc_revenue_share"] = latest.get(r["agent_id"], float("nan"))
    return top


# ------------------------------------------------------------------------------------------------
# Charts: an Altair template per chart, built and compiled once; each step only swaps its data
# ------------------------------------------------------------------------------------------------
# Building and compiling Altair charts costs 10-60 ms each, so doing it every step for eight
# charts would blow the ~200 ms budget of a step. A template reads named data sets ("series",
# "edges", ...); ``chart_spec`` puts the model's current rows into the compiled template's
# ``datasets``. The tests validate every filled spec against the Vega-Lite schema.

CONVERTING = "Converting (also in hybrid/exit)"
STRATEGY_COLORS = {"Hold": "#f2a900", "Hybrid": "#4c78a8", "Exit": "#9d755d"}
STATE_COLORS = {
    "Mining": "#f2a900",
    "Curtailed": "#f7d37a",
    "Idle": "#bab0ac",
    "Converting": "#72b7b2",
    "AI leased": "#4c78a8",
}
REVENUE_COLORS = {"Mining": "#f2a900", "AI leases": "#4c78a8", "Demand response": "#54a24b"}
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
    rows = series_rows(
        model,
        {
            "Mining": ("mw_mining", 1e3),
            "Curtailed": ("mw_curtailed", 1e3),
            "Idle": ("mw_idle", 1e3),
            "Converting": ("mw_converting", 1e3),
            "AI leased": ("mw_ai_leased", 1e3),
        },
    )
    return {"series": long_rows(rows, list(STATE_COLORS))}


def revenue_template() -> alt.TopLevelMixin:
    """Miners' daily revenue by source, stacked (M$/day)."""
    return _titled(_folded_marks(REVENUE_COLORS, "Revenue (M$/day)", True), "Revenue mix (all miners)")


def revenue_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``revenue_template``."""
    rows = series_rows(
        model,
        {
            "Mining": ("mining_revenue_usd", 1e6),
            "AI leases": ("ai_revenue_usd", 1e6),
            "Demand response": ("dr_payments_usd", 1e6),
        },
    )
    return {"series": long_rows(rows, list(REVENUE_COLORS))}


def concentration_template() -> alt.TopLevelMixin:
    """Regional concentration of hashrate and of AI MW (shares and HHI, 0-1)."""
    return _titled(_folded_marks(CONCENTRATION_COLORS, "Share / HHI (0-1)", False), "Concentration")


def concentration_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``concentration_template``."""
    rows = series_rows(model, {n: (c, 1.0) for n, c in zip(CONCENTRATION_COLORS, CONCENTRATION_COLUMNS, strict=True)})
    return {"series": long_rows(rows, list(CONCENTRATION_COLORS))}


def valuation_template() -> alt.TopLevelMixin:
    """Value per MW of listed miners, AI-focused vs BTC-focused: the valuation gap (SF-4), M$/MW."""
    return _titled(_folded_marks(VALUATION_COLORS, "Value per MW (M$/MW)", False), "Valuation gap (listed miners)")


def valuation_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``valuation_template``."""
    rows = series_rows(model, {n: (c, 1e6) for n, c in zip(VALUATION_COLORS, VALUATION_COLUMNS, strict=True)})
    return {"series": long_rows(rows, list(VALUATION_COLORS))}


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


def region_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``region_template``: regions, and the interties of the region graph."""
    nodes = region_rows(model)
    pos = {r["region"]: r for r in nodes}
    edges = [
        {"lon": pos[a]["lon"], "lat": pos[a]["lat"], "lon2": pos[b]["lon"], "lat2": pos[b]["lat"]}
        for a, b in region_graph(model.region_set).edges
        if a in pos and b in pos
    ]
    return {"nodes": nodes, "edges": edges}


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


def lease_data(model: HashpivotModel) -> dict[str, list]:
    """Rows for ``lease_template``: ``lease_graph`` laid out in two columns, biggest on top."""
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


# ------------------------------------------------------------------------------------------------
# Page components
# ------------------------------------------------------------------------------------------------


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


def _fmt(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}" if math.isfinite(value) else "—"


def settings_line(model: HashpivotModel) -> str:
    """The values in force for the page's levers (those the page changed are starred)."""
    cfg, moved = model.config, getattr(model, "ui_settings", {})
    parts = [f"{knob.label} {knob.read(cfg):.3g}{'*' if name in moved else ''}" for name, knob in KNOBS.items()]
    parts.append(
        f"Texas rule strict {'yes' if cfg.grid.texas_rule_strict else 'no'}"
        f"{'*' if 'texas_rule_strict' in moved else ''}"
    )
    parts.append(f"Miners {len(model.miners_list)}{'*' if 'n_miners' in moved else ''}")
    return " · ".join(parts)


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
            f"BTC {_fmt(model.btc_price_usd)} USD · hashrate "
            f"{_fmt(rec.last('network_hashrate_ehs'))} EH/s · AI leases "
            f"{_fmt(rec.last('leases_signed_total', 0.0))} "
            f"({_fmt(rec.last('lease_mw_signed_total', 0.0))} MW)"
        )
        solara.Text(f"Settings: {settings_line(model)}", style={"font-size": "0.85em"})
        if getattr(model, "ui_error", None):
            solara.Error(model.ui_error, dense=True, classes=["hp-error"])
    return col


def _pct(x: float) -> str:
    return f"{x:.0%}" if math.isfinite(x) else "—"


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
            _fmt(r["mw_mining"]),
            _fmt(r["mw_curtailed"]),
            _fmt(r["mw_idle"]),
            _fmt(r["mw_converting"]),
            _fmt(r["mw_ai_leased"]),
            _fmt(r["mw_unbuilt"]),
            _pct(r["btc_revenue_share"]),
            _fmt(r["cash_usd"] / 1e6, 1),
        )
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return (
        "<div style='font-weight:600;margin:4px 0'>Largest miners by MW</div>"
        "<table class='hp-miners' style='font-size:11px;border-collapse:collapse;width:100%'>"
        "<tr>" + "".join(f"<th style='text-align:left'>{h}</th>" for h in head) + "</tr>" + "".join(body) + "</table>"
    )


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


def initial_kwargs(params: Mapping[str, Any]) -> dict[str, Any]:
    """``UiModel`` keyword arguments for the controls' starting values (as Mesa's Reset builds)."""
    return {k: v["value"] if isinstance(v, dict) and "type" in v else v for k, v in params.items()}


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


# ------------------------------------------------------------------------------------------------
# Serving
# ------------------------------------------------------------------------------------------------


def assets_dir() -> Path:
    """Where ``make setup`` caches Solara's front-end files (``scripts/fetch_ui_assets.sh``)."""
    return Path(sys.prefix) / "share" / "solara" / "cdn"


def server_env(scenario: str | None = None) -> dict[str, str]:
    """Environment for the Solara server: the start scenario, and offline assets when cached."""
    env = dict(os.environ)
    if scenario:
        env[SCENARIO_ENV] = scenario
    else:
        env.pop(SCENARIO_ENV, None)
    if assets_dir().is_dir():
        env.setdefault(ASSETS_ENV, str(assets_dir()))
    # Solara's production mode warns on every plain-http start that its iframe cookies want
    # https; for a page served to this machine that is noise.
    env.setdefault("PYTHONWARNINGS", "ignore::UserWarning:solara.server.starlette")
    return env


def server_command(host: str = "127.0.0.1", port: int = 8765) -> list[str]:
    """The ``solara run`` command line for this page."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        "hashpivot.model.tools.ui:Page",
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
    ]


def serve(scenario: str | None = None, host: str = "127.0.0.1", port: int = 8765) -> int:
    """Serve the page with ``solara run`` until interrupted.

    Args:
        scenario: Scenario to start with: a name in ``runs/`` or a path (None: the default).
        host: Address to bind; 127.0.0.1 keeps the page private to this machine.
        port: Port to listen on.

    Returns:
        The server's exit code (0 after Ctrl-C).

    Raises:
        ValueError: The scenario cannot be loaded (checked first, so the error is one line here
            rather than in the page).
    """
    if scenario:
        load_base(scenario)
        scenario = scenario_label(scenario)
    print(f"HashPivot UI on http://{host}:{port} (Ctrl-C to stop)", file=sys.stderr)
    server = subprocess.Popen(server_command(host, port), env=server_env(scenario))
    # A SIGTERM to this process must not orphan the server: turn it into an exception, so the
    # finally below stops the server (Ctrl-C reaches both processes by itself).
    main_thread = threading.current_thread() is threading.main_thread()  # signals need it
    previous = signal.signal(signal.SIGTERM, _raise_interrupt) if main_thread else None
    try:
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
