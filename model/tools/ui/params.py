"""The page's controls, and how their flat values become a validated ``Scenario``.

Mesa's Reset rebuilds the model as ``ModelClass(**model_params)``, so the page's settings arrive
as flat keyword values in UI names and units. A control left where the page started means "as in
the scenario" (``moved_settings``), so switching scenario does not silently overwrite its values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from hashpivot.model.config.dotted import set_dotted
from hashpivot.model.config.errors import ConfigError
from hashpivot.model.config.paths import RUNS_DIR
from hashpivot.model.config.scenarios import BUILTIN, builtin_names, find_scenario, load_scenario
from hashpivot.model.config.schema import Scenario
from hashpivot.model.config.validation import validate

SCENARIO_ENV = "HASHPIVOT_UI_SCENARIO"
"""Environment variable through which ``serve`` tells the page which scenario to start with."""

DEFAULT_SEED = 42
TAIL_ARCHETYPES = ("us_tail", "row_fringe")
"""Archetypes whose counts the 'number of miners' control scales (the named miners stay)."""

SOURCE = "page settings"
"""What a one-line error blames for a value set in the page."""


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
    # The keys are the schema's own (KNOBS, TEXAS_KEY), so every table on the way exists.
    for name, value in changed.items():
        if name in KNOBS:
            set_dotted(data, KNOBS[name].key, value * KNOBS[name].scale)
        elif name == "texas_rule_strict":
            set_dotted(data, TEXAS_KEY, value)
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


def initial_kwargs(params: Mapping[str, Any]) -> dict[str, Any]:
    """``UiModel`` keyword arguments for the controls' starting values (as Mesa's Reset builds)."""
    return {k: v["value"] if isinstance(v, dict) and "type" in v else v for k, v in params.items()}


def moved_settings(values: Mapping[str, Any], defaults: Mapping[str, Any] | None) -> dict[str, Any]:
    """Settings the user set: not None, and (on the page) moved from where the control started.

    Args:
        values: The page's values by parameter name (None: "as in the scenario").
        defaults: Where the page's controls started (``model_params``' ``ui_defaults``), or None.

    Returns:
        The values to apply to the scenario.
    """
    defaults = defaults or {}
    return {k: v for k, v in values.items() if v is not None and not (k in defaults and _same(v, defaults[k]))}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    return a == b
