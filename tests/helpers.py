"""Shared helpers for tests that run the model: scenario overrides and seeded ensembles."""

from __future__ import annotations

import functools

from hashpivot.model.config.inherit import deep_merge
from hashpivot.model.config.schema import Scenario
from hashpivot.model.tools.run import simulate

SEEDS = (1, 2, 3)


def scenario(overrides: dict | None = None) -> Scenario:
    """The built-in baseline with nested overrides merged in."""
    return Scenario.model_validate(deep_merge(Scenario().model_dump(), overrides or {}))


@functools.lru_cache(maxsize=64)
def _run(key: str, seed: int, days: int):
    import json

    return simulate(scenario(json.loads(key)), seed=seed, days=days)


def ensemble(overrides: dict | None = None, seeds=SEEDS, days: int = 1095):
    """Runs of one scenario over several seeds (cached within a test process)."""
    import json

    key = json.dumps(overrides or {}, sort_keys=True, default=str)
    return [_run(key, s, days) for s in seeds]
