"""The page's controls, and how their values become the scenario that runs.

What the page runs is what ``hashpivot run`` runs: the chosen scenario file, loaded by
``load_scenario`` with the page's changes as ``--set`` overrides (``overrides``), seeded like
``--seed``. A control holds the scenario's own value until the user moves it; only moved controls
become overrides (``PageSettings.values``), so switching scenario reloads every control from the
new file. A value the user types is checked against the schema's bounds here, so a bad one gets a
one-line message naming the control, the scenario key and the accepted range.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hashpivot.model.config.paths import RUNS_DIR
from hashpivot.model.config.phrases import bounds
from hashpivot.model.config.scenarios import BUILTIN, LoadedScenario, builtin_names, find_scenario, load_scenario
from hashpivot.model.config.schema import Scenario
from hashpivot.model.config.walker import walk_key

SCENARIO_ENV = "HASHPIVOT_UI_SCENARIO"
"""Environment variable through which ``serve`` tells the page which scenario to start with."""

DEFAULT_SEED = 0
"""The page's seed until the user types another: ``hashpivot run``'s default ``--seed``."""
MAX_SEED = 2**63 - 1

TAIL_ARCHETYPES = ("us_tail", "row_fringe")
"""Archetypes whose counts the 'number of miners' control scales (the named miners stay)."""
MINERS_MAX = 500
"""Most miners the page offers: a Step stays well under a second up to here."""


class InputError(ValueError):
    """A value typed or set in the page that cannot be used; ``str`` is one line naming the control."""


@dataclass(frozen=True)
class Knob:
    """A numeric control bound to one scenario value.

    The slider's range and step are chosen so that every shipped scenario's value sits on a slider
    position; a value that does not (a scenario file elsewhere, a typed value) is shown in the
    number field alone, since a slider would round it.

    Attributes:
        label: Text by the control (with its unit).
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

    def on_slider(self, value: float) -> bool:
        """Whether the slider can hold ``value`` exactly: in its range and on one of its steps."""
        if not (math.isfinite(value) and self.lo - 1e-9 <= value <= self.hi + 1e-9):
            return False
        positions = (value - self.lo) / self.step
        return abs(positions - round(positions)) < 1e-6

    def accepted(self) -> str:
        """The schema's bounds for this value, in UI units (e.g. '>= -0.5 and <= 2')."""
        meta = walk_key(Scenario, self.key.split(".")).meta
        return bounds(meta, show=lambda v: f"{v / self.scale:g}") or "any finite number"


KNOBS: dict[str, Knob] = {
    "btc_drift_per_year": Knob("BTC price drift (1/yr)", "price.drift_per_year", -0.6, 0.8, 0.05),
    "btc_volatility_per_year": Knob("BTC price volatility (1/yr)", "price.volatility_per_year", 0.0, 1.5, 0.05),
    "ai_spend_growth_per_year": Knob("AI demand growth (1/yr)", "ai.spend_growth_per_year", -0.3, 1.0, 0.002),
    "conversion_capex_musd_per_mw": Knob(
        "Conversion capex (M$/MW)", "ai.colocation.conversion_capex_usd_per_mw", 2.0, 16.0, 0.5, 1e6
    ),
    "lease_rent_usd_per_kw_month": Knob(
        "Lease rent reference ($/kW-month)", "ai.reference_rent_usd_per_kw_month", 50.0, 300.0, 5.0
    ),
    "interconnection_delay_scale": Knob("Interconnection study time (x)", "grid.study_scale", 0.1, 4.0, 0.05),
    "dr_payment_scale": Knob("Demand-response payments (x)", "grid.dr_scale", 0.0, 3.0, 0.1),
}
TEXAS = "texas_rule_strict"
TEXAS_KEY = "grid.texas_rule_strict"
TEXAS_LABEL = "Texas large-load rule strict (SB 6)"
MINERS = "n_miners"
MINERS_LABEL = "Number of miners"
CONTROLS = (*KNOBS, MINERS, TEXAS)
"""Every scenario control, in the order the page shows them."""


def label(name: str) -> str:
    """The text a control is shown with."""
    return KNOBS[name].label if name in KNOBS else {MINERS: MINERS_LABEL, TEXAS: TEXAS_LABEL}[name]


@dataclass(frozen=True)
class PageSettings:
    """What the page will run at the next Reset.

    Attributes:
        scenario: A scenario in ``runs/`` (file stem) or a path; None: ``hashpivot run``'s default.
        seed: The seed as typed.
        values: The controls the user moved, by name, in UI units (a number field's text is
            parsed by ``parse_control`` before it lands here).
    """

    scenario: str | None = None
    seed: str = str(DEFAULT_SEED)
    values: Mapping[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------


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


def start_scenario(scenario: str | None = None) -> str:
    """The scenario the page starts with: the one asked for, else the baseline (as ``hashpivot run``)."""
    choices = scenario_choices(scenario)
    return scenario or ("baseline" if "baseline" in choices else choices[0])


def scenario_label(scenario: str) -> str:
    """How the page names a scenario: the stem of a file in ``runs/``, else its absolute path."""
    path = find_scenario(scenario)
    if not path.is_file():
        return scenario
    path = path.resolve()
    return path.stem if path.parent == RUNS_DIR.resolve() else str(path)


def load(scenario: str | None, overrides: tuple[str, ...] | list[str] = ()) -> LoadedScenario:
    """Load a scenario as ``hashpivot run SCENARIO --set ...`` does (None or "built-in": the default).

    Raises:
        ValueError: The file, a data file it reads or an override is unusable (one-line message).
    """
    path = None if scenario in (None, "", BUILTIN) else Path(scenario)
    return load_scenario(path, list(overrides))


def load_base(scenario: str | None) -> Scenario:
    """The scenario as its file defines it (see ``load``)."""
    return load(scenario).scenario


# --------------------------------------------------------------------------------------------
# Controls
# --------------------------------------------------------------------------------------------


def named_miner_count(scenario: Scenario) -> int:
    """Miners of the archetypes the 'number of miners' control leaves alone."""
    return sum(a.count for a in scenario.miners if a.name not in TAIL_ARCHETYPES)


def total_miners(scenario: Scenario) -> int:
    """Number of miner agents the scenario creates."""
    return sum(a.count for a in scenario.miners)


def ui_values(scenario: Scenario) -> dict[str, Any]:
    """Every control's value in ``scenario`` (UI names and units)."""
    values: dict[str, Any] = {name: knob.read(scenario) for name, knob in KNOBS.items()}
    values[MINERS] = total_miners(scenario)
    values[TEXAS] = bool(scenario.grid.texas_rule_strict)
    return values


def parse_control(name: str, raw: Any, named_miners: int) -> Any:
    """A control's value from what the page holds (a number, a flag, or the text typed in a field).

    Args:
        name: The control (``CONTROLS``).
        raw: Its value or text.
        named_miners: The scenario's named miners (``named_miner_count``): the miner count's lower bound.

    Returns:
        The value in UI units: float for a knob, int for the miner count, bool for the flag.

    Raises:
        InputError: Not a number, or out of the schema's range (one line, naming the control).
    """
    if name == TEXAS:
        if isinstance(raw, bool):
            return raw
        raise InputError(f"{TEXAS_LABEL} ({TEXAS_KEY}): {raw!r} is not true or false")
    if name == MINERS:
        low = named_miners
        accepted = f"a whole number from {low} (the named miners) to {MINERS_MAX}"
        value = _number(raw)
        if value is None or value != int(value) or not low <= value <= MINERS_MAX:
            raise InputError(f"{MINERS_LABEL}: {_shown(raw)} is not valid (accepted: {accepted})")
        return int(value)
    knob = KNOBS[name]
    value = _number(raw)
    if value is None or not math.isfinite(value):
        raise InputError(f"{knob.label} ({knob.key}): {_shown(raw)} is not a number (accepted: {knob.accepted()})")
    meta = walk_key(Scenario, knob.key.split(".")).meta
    if not _within(value * knob.scale, meta):
        raise InputError(f"{knob.label} ({knob.key}): {value:g} is out of range (accepted: {knob.accepted()})")
    return value


def _number(raw: Any) -> float | None:
    """``raw`` as a float, or None when it is not a number (text is parsed; a bool is not a number)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float | np.number):
        return float(raw)
    try:
        return float(str(raw).strip().replace(",", ""))
    except ValueError:
        return None


def _shown(raw: Any) -> str:
    return repr(raw.strip()) if isinstance(raw, str) else f"{raw!r}"


_BOUND_TESTS = {"ge": operator.ge, "gt": operator.gt, "le": operator.le, "lt": operator.lt}


def _within(value: float, meta: tuple) -> bool:
    """Whether ``value`` meets the ge/gt/le/lt constraints of a schema field."""
    return all(
        test(value, bound)
        for item in meta
        for attr, test in _BOUND_TESTS.items()
        if (bound := getattr(item, attr, None)) is not None
    )


def same_value(a: Any, b: Any) -> bool:
    """Whether two control values are equal (floats to 1e-9, as a slider's steps are)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def moved(values: Mapping[str, Any], base: Scenario) -> dict[str, Any]:
    """The controls whose value differs from the scenario's own."""
    own = ui_values(base)
    return {k: v for k, v in values.items() if k in own and not same_value(v, own[k])}


# --------------------------------------------------------------------------------------------
# Controls -> --set overrides
# --------------------------------------------------------------------------------------------


def toml_number(value: float) -> str:
    """A float as TOML text, without binary noise (0.30000000000000004 -> 0.3)."""
    return repr(float(f"{value:.12g}"))


def overrides(base: Scenario, values: Mapping[str, Any]) -> list[str]:
    """The ``--set`` overrides that turn ``base`` into the scenario with the page's values.

    Args:
        base: The scenario as its file defines it.
        values: Control values in UI units (already parsed); those equal to the scenario's are left out.

    Returns:
        ``section.key=value`` strings, in the order of ``CONTROLS``.

    Raises:
        InputError: A value that cannot be used (see ``parse_control``).
    """
    named = named_miner_count(base)
    changed = moved({k: parse_control(k, v, named) for k, v in values.items()}, base)
    out = []
    for name in CONTROLS:
        if name not in changed:
            continue
        value = changed[name]
        if name in KNOBS:
            out.append(f"{KNOBS[name].key}={toml_number(value * KNOBS[name].scale)}")
        elif name == TEXAS:
            out.append(f"{TEXAS_KEY}={'true' if value else 'false'}")
        else:
            out.extend(_miner_overrides(base, value))
    return out


def _miner_overrides(base: Scenario, n_miners: int) -> list[str]:
    """``miners.<i>.count`` for the tail archetypes, so the scenario has ``n_miners`` miners in all."""
    tails = [i for i, a in enumerate(base.miners) if a.name in TAIL_ARCHETYPES]
    if not tails:
        raise InputError(f"{MINERS_LABEL}: the scenario has no us_tail or row_fringe miners to scale")
    counts = _scaled_tail_counts([base.miners[i].count for i in tails], n_miners - named_miner_count(base))
    return [f"miners.{i}.count={count}" for i, count in zip(tails, counts, strict=True)]


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


def parse_seed(seed: Any) -> int:
    """The seed as an int (the page's text field gives a string).

    Raises:
        InputError: Not a whole number from 0 to 2**63 - 1 (``hashpivot run --seed``'s range).
    """
    text = str(seed).strip()
    value = int(text) if text.isascii() and text.isdigit() else -1
    if not 0 <= value <= MAX_SEED:
        raise InputError(f"Seed: {_shown(seed)} is not valid (accepted: a whole number from 0 to 2**63 - 1)")
    return value
