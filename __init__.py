"""HashPivot: an agent-based market simulator of Bitcoin miners pivoting to AI/HPC infrastructure.

The documented API::

    from hashpivot import HashpivotModel, load_scenario, simulate

    loaded = load_scenario("baseline")          # a TOML file or a name in runs/, validated
    model = HashpivotModel(loaded.scenario, seed=0)
    model.step()                                # one day
    result = simulate(loaded.scenario, seed=0, days=730)   # a whole run, as tables

The installed import name is ``hashpivot`` alone: ``hashpivot.agents`` is the repository's ``agents/`` and
``hashpivot.model`` its ``model/`` (``pyproject.toml``, ``package-dir``). See ``docs/architecture.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hashpivot.model.config.scenarios import load_scenario
    from hashpivot.model.config.schema import Scenario
    from hashpivot.model.simulation import HashpivotModel
    from hashpivot.model.tools.run import RunResult, simulate

__all__ = ["HashpivotModel", "RunResult", "Scenario", "load_scenario", "simulate"]

_WHERE = {
    "HashpivotModel": "hashpivot.model.simulation",
    "Scenario": "hashpivot.model.config.schema",
    "load_scenario": "hashpivot.model.config.scenarios",
    "RunResult": "hashpivot.model.tools.run",
    "simulate": "hashpivot.model.tools.run",
}


def __getattr__(name: str):
    # Lazy, so that ``import hashpivot`` stays cheap and the agents/model import cycle never starts here.
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'hashpivot' has no attribute {name!r}")
