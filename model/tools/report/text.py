"""The document's prose: scenario summary, methods paragraph, how to cite and regenerate."""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hashpivot.model.tools.odd import parameter_text
from hashpivot.model.tools.portable import portable_argv, project_path
from hashpivot.model.tools.report.formatting import seeds_text
from hashpivot.model.tools.report.series import Series
from hashpivot.model.tools.report.source import ENSEMBLE, RUN, SWEEP, Source, scarcity_by_region

REPRODUCE_NOTE = (
    "Every number in this document is reproduced by the commands in its last section, which also "
    "gives the config sha256 and git commit to cite with it."
)


NEGOTIATION = {
    "nash": "generalised Nash bargaining (Nash 1950), the miner's power rising with the scarcity of energised sites",
    "rubinstein": "Rubinstein (1982) alternating offers, the more patient side getting more",
}
AUCTION = {
    "second_price": "sealed-bid second-price auctions (Vickrey 1961)",
    "first_price": "first-price sealed-bid auctions with equilibrium shading",
}
PRICE = {
    "gbm": "a geometric Brownian motion (drift {drift_per_year}/yr, volatility "
    "{volatility_per_year}/yr from {start_usd} USD)",
    "constant": "constant at {start_usd} USD",
    "csv": "read from a CSV file ({csv_path})",
    "csv_gbm": "the observed monthly prices of {csv_path} until its last month, then a geometric Brownian "
    "motion from there (drift {drift_per_year}/yr, volatility {volatility_per_year}/yr)",
}


def horizon(series: Series | None, source: Source) -> tuple[str, str, int]:
    """First date, last date and number of days of the runs."""
    if series is not None and len(series.dates):
        return str(series.dates[0]), str(series.dates[-1]), len(series.dates)
    start = source.scenario["run"]["start_date"]
    days = source.days
    end = dt.date.fromisoformat(start) + dt.timedelta(days=days - 1)
    return start, end.isoformat(), days


def summary_lines(source: Source, series: Series | None) -> list[str]:
    """The scenario summary as Markdown bullet points."""
    first, last, days = horizon(series, source)
    git = source.git
    lines = [
        f"- **Folder**: `{display_path(source.path)}` ({kind_text(source)})",
        f"- **Scenario**: `{source.scenario.get('name', source.name)}` from `{_scenario_source(source)}`",
        f"- **Config sha256**: `{source.sha256}`",
        f"- **Horizon**: {first} to {last} ({days} days, one step per day)",
    ]
    overrides = (source.ensemble or source.manifest).get("overrides") or []
    if overrides:
        lines.append("- **Overrides**: " + ", ".join(f"`{o}`" for o in overrides))
    if source.kind != SWEEP:
        lines.append(f"- **Seeds**: {seeds_text(source.seeds)}")
    lines.append(
        f"- **HashPivot**: {source.version}; git commit `{git['commit']}` "
        f"(uncommitted changes: {_yes_no(git['dirty'])})"
    )
    description = str(source.scenario.get("description", "")).strip()
    if description:
        lines += ["", f"> {description}"]
    return lines


def _yes_no(flag: Any) -> str:
    return {True: "yes", False: "no"}.get(flag, str(flag))


def kind_text(source: Source) -> str:
    """What the folder holds, in words: ``one run``, ``ensemble of 4 runs``, ``parameter sweep``."""
    if source.kind == ENSEMBLE:
        return f"ensemble of {len(source.seeds)} runs"
    if source.kind == RUN:
        return "one run"
    return "parameter sweep"


def _scenario_source(source: Source) -> str:
    if source.kind == SWEEP:
        return display_path(source.manifest.get("base", {}).get("source", "unknown"))
    return display_path((source.ensemble or source.manifest).get("scenario_source", "unknown"))


def display_path(path: str | Path) -> str:
    """A path as documents show it: relative to the project, never the machine's absolute path."""
    return project_path(path) if Path(path).is_absolute() else Path(path).as_posix()


def methods_paragraph(source: Source, series: Series | None, runs_text: str) -> str:
    """What the model is, which rules the scenario picked, and what the report summarises."""
    sc = source.scenario
    first, last, days = horizon(series, source)
    miners = sum(int(a.get("count", 0)) for a in sc.get("miners", []))
    archetypes = len(sc.get("miners", []))
    regions = len(scarcity_by_region(source))
    ai, rules, price = sc["ai"], sc["rules"], sc["price"]
    price_text = PRICE.get(price["kind"], price["kind"]).format(**{k: parameter_text(v) for k, v in price.items()})
    shocks = sc.get("shocks") or []
    shock_text = ""
    if shocks:
        listed = "; ".join(f"{s['kind']} in {', '.join(s['regions'])} on {s['date']}" for s in shocks)
        shock_text = f" Exogenous shocks: {listed} (what follows is not scripted)."
    mesa = source.manifest.get("packages", source.manifest.get("versions", {})).get("mesa", "3.5")
    return (
        f"HashPivot {source.version} is an agent-based model built on Mesa {mesa}; one step is "
        f"one day, here from {first} to {last} ({days} days). {miners} miners (from {archetypes} "
        f"archetypes), {ai['hyperscalers']} hyperscalers and {regions} grid operators (one per "
        "region) interact. Every "
        f"{sc['run']['decision_interval_days']} days each miner compares the risk-adjusted net "
        f"present values of hold, hybrid and exit with the `{rules['strategy']}` rule "
        '(agents/rules.py; economics.md, "Decisions as risk-adjusted present values"), hibernates, '
        "sells, upgrades and adds machines where their expected margins and NPVs say so, and sells BTC "
        "when cash runs short (agents/miner.py, agents/fleet_decisions.py). New firms enter through the "
        "interconnection queues and site auctions where a new site's NPV is positive, within a "
        "capital-market limit (model/markets/entry.py); used machines clear weekly in uniform-price "
        "auctions (model/markets/machines.py). Lenders test a net debt / EBITDA covenant and restructure a "
        "firm (debt for equity) or, in default, take it over and sell its estate whole or piecemeal "
        "(model/world/creditors.py, model/markets/restructuring.py); firms take each other over "
        "(model/markets/mergers.py), return excess cash to shareholders (model/world/payouts.py), and are "
        "wound down or liquidated once they hold nothing (model/world/solvency.py). "
        f"Every {ai['rfp_interval_days']} days hyperscalers issue RFPs for the AI capacity their "
        "spending path calls for, score bids against their greenfield outside option and settle "
        f"rents by {NEGOTIATION.get(ai['negotiation'], ai['negotiation'])} "
        "(model/markets/leasing.py); sites for sale are sold in "
        f"{AUCTION.get(rules['auction'], rules['auction'])} (model/markets/auction.py). Grid "
        "operators draw hourly power prices with scarcity hours, run interconnection queues "
        "(firm vs flexible service) and pay demand response (agents/grid_operator.py, "
        "model/world/interconnection.py); difficulty follows Bitcoin's consensus retarget "
        f"(model/world/bitcoin.py). The BTC price is an input: {price_text}.{shock_text} Hashrate, "
        "hashprice, the strategy mix, leases, rents, concentration, the revenue mix and the firms' "
        "defaults, restructurings, takeovers and payouts are outputs. "
        f"{runs_text} The model is described with the ODD protocol in docs/ODD.md."
    )


def regenerate_block(source: Source, report_command: Sequence[str]) -> list[str]:
    """The commands that rebuild the folder and this report, with the identifiers to cite."""
    make = shlex.join(portable_argv(source.command)) if source.command else "(command not recorded)"
    git = source.git
    return [
        "Rebuild the input folder and this report with:",
        "",
        "```sh",
        f"{make} && {shlex.join(portable_argv(report_command))}",
        "```",
        "",
        f"- Config sha256: `{source.sha256}`",
        f"- Git commit: `{git['commit']}` (uncommitted changes: {_yes_no(git['dirty'])})",
        f"- HashPivot version: {source.version}",
        "",
        f"Cite as: HashPivot developers. *HashPivot* (version {source.version}) [software]. "
        "Metadata in `CITATION.cff`. Please state the config sha256, the seeds and the git "
        "commit above with any result taken from this report.",
    ]
