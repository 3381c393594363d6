"""Run a scenario to the end and collect its tables: the one entry point the CLI, sweeps and reports share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from hashpivot.model.config.schema import Scenario
from hashpivot.model.simulation import HashpivotModel


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
    """
    scenario = scenario if scenario is not None else Scenario()
    n = scenario.run.days if days is None else days
    model = HashpivotModel(scenario, seed=seed, check_invariants=check_invariants)
    for day in range(n):
        model.step()
        if progress is not None and ((day + 1) % 30 == 0 or day + 1 == n):
            progress(day + 1, n)
    return collect(model)


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
