"""Who buys AI capacity, and how much of it each needs: the hyperscaler roster and its demand shares.

Shares are the five largest 2025 capital-expenditure budgets (calibration.md, "Hyperscalers and GPUs": shares
of 2025 capex [derived], Amazon 33%, Alphabet 23%, Meta 18%, Microsoft 16%, Oracle 9%), the best public proxy
for each buyer's share of new AI capacity: capex buys the GPUs and the halls. Assumptions: each buyer's share of
the addressable demand (MW sourced from powered sites) is its share of capex, and stays so; a scenario with
more buyers than the roster adds buyers the size of the smallest listed one (a fringe of neoclouds and
labs); with fewer, the largest are kept. Shares are normalised to sum to one.
"""

from __future__ import annotations

from dataclasses import dataclass

ROSTER: tuple[tuple[str, float], ...] = (
    ("AWS", 0.33),
    ("Google", 0.23),
    ("Meta", 0.18),
    ("Microsoft", 0.16),
    ("Oracle", 0.09),
)


@dataclass(frozen=True)
class Buyer:
    """A hyperscaler to create: its label and its share of the addressable AI demand."""

    name: str
    demand_share: float


def buyers(n: int) -> tuple[Buyer, ...]:
    """The ``n`` buyers of a scenario (``ai.hyperscalers``), largest first, shares summing to one."""
    smallest = ROSTER[-1][1]
    listed = list(ROSTER[:n]) + [(f"Buyer {i + 1}", smallest) for i in range(len(ROSTER), n)]
    total = sum(w for _, w in listed)
    return tuple(Buyer(name, w / total) for name, w in listed)
