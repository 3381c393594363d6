"""Every accepted value gives a finite run (issue 20, item 8).

Two halves: the schema bounds every numeric parameter on both sides (so no accepted value can be 1e308),
and a run that meets an infinite number anyway stops with one line naming the day and the column, exit 2,
writing nothing (the issue: a resolved baseline with ``cash_usd_per_mw = 1e308`` was accepted and the run
wrote ``inf`` into timeseries.csv).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, get_args, get_origin

import numpy as np
import pytest
from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel

from hashpivot.model.cli import main
from hashpivot.model.config.schema import Scenario
from hashpivot.model.tools import run as run_module
from hashpivot.model.tools.run import NonFiniteOutput, simulate

BROKEN_DAY, BROKEN_COLUMN = 12, "mw_ai_leased"


def numeric_fields(cls: type[BaseModel] = Scenario, prefix: str = "") -> list[tuple[str, Any]]:
    """``(dotted key, FieldInfo)`` of every int or float parameter, list items as ``miners[].mw``."""
    out = []
    for name, field in cls.model_fields.items():
        key, ann = f"{prefix}{name}", field.annotation
        items = [a for a in get_args(ann) if a is not Ellipsis] if get_origin(ann) in (tuple, list) else []
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out += numeric_fields(ann, f"{key}.")
        elif len(items) == 1 and isinstance(items[0], type) and issubclass(items[0], BaseModel):
            out += numeric_fields(items[0], f"{key}[].")
        elif ann in (int, float) or set(get_args(ann)) & {int, float} and bool not in get_args(ann):
            out.append((key, field))
    return out


def bounds(field) -> tuple[float, float]:
    low = [m.ge if isinstance(m, Ge) else m.gt for m in field.metadata if isinstance(m, Ge | Gt)]
    high = [m.le if isinstance(m, Le) else m.lt for m in field.metadata if isinstance(m, Le | Lt)]
    return (max(low) if low else -math.inf, min(high) if high else math.inf)


def test_the_walk_finds_the_parameters():
    keys = {k for k, _ in numeric_fields()}
    assert {"price.start_usd", "miners[].cash_usd_per_mw", "run.days", "ai.colocation.term_years"} <= keys


def test_every_numeric_parameter_has_finite_bounds():
    # Finite bounds on both sides keep the arithmetic finite: with only `ge=0`, 1e308 USD/MW of cash is
    # accepted and overflows on the first day (issue 20).
    unbounded = [(k, bounds(f)) for k, f in numeric_fields() if not all(map(math.isfinite, bounds(f)))]
    assert unbounded == [], "numeric parameters without a finite lower and upper bound: " + ", ".join(
        f"{k} {b}" for k, b in unbounded
    )


class _Overflowing(run_module.HashpivotModel):
    """The model, with one daily value made infinite on ``BROKEN_DAY`` (what an overflow looks like)."""

    def step(self) -> None:
        super().step()
        if self.recorder.n == BROKEN_DAY + 1:
            self.recorder.column(BROKEN_COLUMN)[BROKEN_DAY] = math.inf


@pytest.fixture
def overflowing(monkeypatch):
    monkeypatch.setattr(run_module, "HashpivotModel", _Overflowing)


def test_a_run_meeting_an_infinite_number_stops_naming_day_and_column(overflowing):
    with pytest.raises(NonFiniteOutput) as caught:
        simulate(seed=0, days=40)
    text = str(caught.value)
    assert "day 12 (2024-05-02)" in text and f"column {BROKEN_COLUMN} is inf" in text
    assert "\n" not in text


def test_run_command_reports_it_in_one_line_and_writes_nothing(overflowing, tmp_path: Path, capsys):
    out = tmp_path / "out"
    assert main(["run", "--days", "40", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hashpivot: error: ") and "day 12" in err[0], err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_ensemble_command_writes_nothing(overflowing, tmp_path: Path, capsys):
    out = tmp_path / "ens"
    assert main(["ensemble", "--seeds", "2", "--workers", "1", "--days", "20", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "hashpivot: error: " in err and f"column {BROKEN_COLUMN} is inf" in err and "Traceback" not in err
    assert not out.exists()


def test_infinite_values_in_the_tables_are_caught_too():
    result = simulate(seed=0, days=31)
    result.agents[3]["cash_usd"] = math.inf
    with pytest.raises(NonFiniteOutput, match=r"agents table column cash_usd is inf"):
        run_module.check_tables(result, Scenario())
    result.agents[3]["cash_usd"] = 1.0
    result.agents[3]["npv_hybrid_usd"] = -math.inf  # an option that is not feasible: a value, not an overflow
    run_module.check_tables(result, Scenario())


def test_a_normal_run_passes_and_keeps_its_nan_days():
    result = simulate(seed=0, days=60)
    values = np.column_stack([np.asarray(v, float) for k, v in result.timeseries.items() if k != "date"])
    assert not np.isinf(values).any()
