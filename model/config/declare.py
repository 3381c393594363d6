"""How a scenario parameter is declared: a frozen section, and ``P`` (default, unit, source, bounds)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Section(BaseModel):
    """Base of every scenario section: frozen, strict about unknown keys, finite numbers only."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


def P(default, unit: str, source: str, **constraints):  # noqa: N802 - reads as a declaration
    """Declare a parameter: its default, unit and one-line source note (plus pydantic bounds)."""
    return Field(default, description=f"{unit}; {source}", **constraints)
