"""Run a scenario to the end and collect its tables: the one entry point the CLI, sweeps and reports share."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from hashpivot.model.config.schema import Scenario
from hashpivot.model.simulation import HashpivotModel

CHECK_EVERY_DAYS = 30
"""The daily series are checked for non-finite numbers this often (and at the end)."""
SENTINEL_PREFIX = "npv_"
"""Panel columns where -inf is a value, not an overflow: the NPV of an option that is not feasible."""


class NonFiniteOutput(ValueError):
    """A run produced an infinite number (an overflow): one line naming the day, the date and the column.

    Accepted scenario values must give finite runs; ``simulate`` stops a run that does not, so no ``inf``
    reaches a table. (NaN is a value in the outputs: "none that day", e.g. revenue per AI MW before any.)
    """


@dataclass
class RunResult:
    """Everything a run produced, as plain columns and rows (no model objects).

    Attributes:
        timeseries: daily series by column name (units in the names), plus ``date`` as ISO strings.
        agents: the per-miner panel, one row per miner every 30 days and at the end.
        leases: one row per signed contract.
        sites: one row per site at the end.
        events: strategy switches, leases and site purchases, in order.
        sales: site auctions and their outcomes.
    """

    timeseries: dict[str, np.ndarray]
    agents: list[dict] = field(default_factory=list)
    leases: list[dict] = field(default_factory=list)
    sites: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    sales: list[dict] = field(default_factory=list)


def simulate(
    scenario: Scenario | None = None,
    seed: int = 0,
    days: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    check_invariants: bool = False,
) -> RunResult:
    """Run ``scenario`` with ``seed`` for ``days`` (default: the scenario's horizon) and collect the tables.

    Args:
        scenario: the scenario (default: built-in baseline).
        seed: the model's seed.
        days: number of daily steps.
        progress: called as ``progress(done, total)`` every 30 days and at the end.
        check_invariants: assert the model's invariants after every step.

    Raises:
        NonFiniteOutput: An output became infinite (checked every 30 days and at the end, so the run stops
            within a month of it), naming the first day and column.
    """
    scenario = scenario if scenario is not None else Scenario()
    n = scenario.run.days if days is None else days
    model = HashpivotModel(scenario, seed=seed, check_invariants=check_invariants)
    checked = 0
    for day in range(n):
        model.step()
        if (day + 1) % CHECK_EVERY_DAYS == 0 or day + 1 == n:
            checked = check_finite(model, checked)
            if progress is not None:
                progress(day + 1, n)
    result = collect(model)
    check_tables(result, scenario)
    return result


def check_finite(model: HashpivotModel, since: int = 0) -> int:
    """Stop at the first infinite number in the daily series recorded from day ``since`` on.

    Returns:
        The number of days checked (the next ``since``).

    Raises:
        NonFiniteOutput: Naming the scenario, the day, its date and the column.
    """
    recorder = model.recorder
    first = []
    for order, (column, values) in enumerate(recorder.as_dict().items()):
        bad = np.flatnonzero(np.isinf(values[since:]))
        if bad.size:
            first.append((since + int(bad[0]), order, column))
    if first:
        day, _, column = min(first)  # the earliest day; on that day the first column in recording order
        raise _overflow(model.config, day, column, float(recorder.column(column)[day]), "daily series")
    return recorder.n


def check_tables(result: RunResult, scenario: Scenario) -> None:
    """Stop at the first infinite number in the run's tables (the panel, leases, sites, sales).

    Raises:
        NonFiniteOutput: Naming the table, the row's day (if it has one) and the column.
    """
    for table in ("agents", "leases", "sites", "sales", "events"):
        for row in getattr(result, table):
            for column, value in row.items():
                if isinstance(value, float | np.floating) and math.isinf(value):
                    if value < 0 and column.startswith(SENTINEL_PREFIX):
                        continue
                    day = row.get("day", row.get("sign_day"))
                    raise _overflow(scenario, day, column, float(value), f"{table} table")


def _overflow(scenario: Scenario, day: int | None, column: str, value: float, where: str) -> NonFiniteOutput:
    when = "at the end of the run"
    if day is not None:
        date = scenario.run.start_date + dt.timedelta(days=int(day))
        when = f"on day {int(day)} ({date.isoformat()})"
    return NonFiniteOutput(
        f"scenario {scenario.name!r}: the run stopped {when}: {where} column {column} is {value} "
        "(an overflow; nothing was written) (accepted: scenario values that keep every output finite; "
        "look for a setting far above its usual range, e.g. a cash, capex or price per MW)"
    )


def collect(model: HashpivotModel) -> RunResult:
    """Turn a model's state and records into a ``RunResult``."""
    from hashpivot.model.world.recording import agent_rows

    series = model.recorder.as_dict()
    start = model.config.run.start_date
    dates = np.array([(start + dt.timedelta(days=int(d))).isoformat() for d in series["day"]])
    panel = list(model.agent_panel)
    if not panel or panel[-1]["day"] != model.day:
        panel.extend(agent_rows(model))
    return RunResult(
        timeseries={"date": dates, **series},
        agents=panel,
        leases=[lease_row(x) for x in model.leases.leases],
        sites=site_rows(model),
        events=list(model.events),
        sales=[asdict(x) for x in model.site_market.sales],
    )


def lease_row(x) -> dict:
    """A lease as a flat row (units in the column names)."""
    return {
        "lease_id": x.id,
        "miner_id": x.miner,
        "hyperscaler_id": x.hyperscaler,
        "site": x.site,
        "kind": str(x.kind),
        "mw": x.mw,
        "rent_usd_per_kw_month": x.rent_usd_per_kw_month,
        "term_years": x.term_years,
        "escalator_per_year": x.escalator_per_year,
        "prepayment_usd": x.prepayment_usd,
        "capex_usd": x.capex_usd,
        "sign_day": x.sign_day,
        "promised_day": x.promised_day,
        "start_day": x.start_day,
        "end_day": x.end_day,
        "miner_reservation_usd_per_kw_month": x.miner_reservation_usd_per_kw_month,
        "hyperscaler_reservation_usd_per_kw_month": x.hyperscaler_reservation_usd_per_kw_month,
        "total_contract_value_usd": x.total_contract_value_usd(),
    }


def site_rows(model: HashpivotModel) -> list[dict]:
    """Every site at the end of the run, with its MW by state."""
    s = model.sites
    states = s.state_mw()
    rows = []
    for i in range(s.n):
        rows.append(
            {
                "site": i,
                "region": model.regions.ids[s.region[i]],
                "owner_kind": int(s.owner_kind[i]),
                "owner_index": int(s.owner[i]),
                "capacity_mw": float(s.capacity_mw[i]),
                "convertible_mw": float(s.convertible_mw[i]),
                "greenfield": bool(s.greenfield[i]),
                **{f"mw_{k}": float(v[i]) for k, v in states.items()},
            }
        )
    return rows
