"""The sweep file: which scenario settings vary, over what, how they are sampled, what is measured.

A sweep file is TOML (``runs/sweeps/*.toml``)::

    name = "example"
    base = "baseline"              # scenario name in runs/, or a path relative to this file
    days = 730                     # optional: horizon of every run (default: the base's run.days)

    [[parameters]]
    name = "price.drift_per_year"  # dotted key of a scenario setting
    kind = "float"                 # float | int | bool | choice
    low = -0.3
    high = 0.5

    [design]
    method = "sobol"               # factorial | lhs | sobol | morris
    samples = 8                    # N: base samples (sobol), trajectories (morris), points (lhs)
    replications = 1               # runs per design point, each with its own seed
    root_seed = 20240420

    [outputs]
    keep_series = ["mw_ai_leased"] # optional daily series stored for every run
    [[outputs.metrics]]
    name = "mw_ai_leased_final"
    column = "mw_ai_leased"
    reducer = "final"

``load_sweep`` validates the file into frozen pydantic models, then checks what the schema cannot:
that every parameter names a real scenario setting of a fitting type, that ranges are non-empty,
that the scenario accepts the values at both ends of every range (and every level), that columns
exist and the design is usable (Sobol needs at least two factors and N a power of two). Every
failure is a one-line ``ConfigError`` naming the file, the field and what is accepted.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hashpivot.model.config.dotted import DottedKeyError, set_dotted
from hashpivot.model.config.errors import ConfigError
from hashpivot.model.config.phrases import bounds
from hashpivot.model.config.scenarios import RUNS_DIR, builtin_names, load_scenario
from hashpivot.model.config.schema import Scenario
from hashpivot.model.config.suggest import did_you_mean
from hashpivot.model.config.toml_io import file_sha256, find_named, load_toml
from hashpivot.model.config.toml_text import toml_value
from hashpivot.model.config.validation import validate
from hashpivot.model.config.walker import KeyNotInSchema, is_mapping, is_model, is_sequence, model_keys, walk_key
from hashpivot.model.tools.sweep.reducers import DATE_REDUCERS, ReducerName
from hashpivot.model.world.recording import COLUMNS

SWEEPS_DIR = RUNS_DIR / "sweeps"
MAX_RUNS = 1_000_000
"""Most runs (design points x replications) one sweep may have: beyond is surely a typo."""

MAX_SEED = 2**63 - 1
RESERVED_COLUMNS = (
    "run_id",
    "point_id",
    "replication",
    "seed",
    "status",
    "error",
    "wall_time_s",
)
"""Columns every results row has; no metric may take these names."""


class Strict(BaseModel):
    """Frozen, no unknown keys, finite numbers only."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


Level = bool | int | float | str
MAX_FACTOR_LEVELS = 1000


class Parameter(Strict):
    """One varied scenario setting: a numeric range, or a list of levels."""

    name: str = Field(min_length=1, max_length=200, description="dotted scenario key")
    kind: Literal["float", "int", "bool", "choice"] = "float"
    low: int | float | None = None  # an int stays an int in the manifest
    high: int | float | None = None
    levels: tuple[Level, ...] | None = Field(None, min_length=2, max_length=1000)

    def choices(self) -> tuple[Level, ...]:
        """The discrete values of a bool or choice parameter (empty for float and int)."""
        if self.kind == "bool":
            return (False, True)
        return tuple(self.levels or ()) if self.kind == "choice" else ()


class Design(Strict):
    """How design points are drawn, how often each runs, and the seed of it all."""

    method: Literal["factorial", "lhs", "sobol", "morris", "given"]  # given: points supplied by the caller
    samples: int | None = Field(None, ge=1, le=MAX_RUNS)
    levels: int | dict[str, int] = 3  # bounds checked in check_spec, to name the exact key
    num_levels: int = Field(4, ge=2, le=1000)
    calc_second_order: bool = False
    replications: int = Field(1, ge=1, le=10_000)
    root_seed: int = Field(0, ge=0, le=MAX_SEED)
    common_random_numbers: bool = False


class Metric(Strict):
    """A named reduction of one daily column to one value per run.

    ``start`` and ``end`` (ISO dates, both inclusive, optional) restrict the reducer to the days of a
    window, e.g. the mean hashrate of October 2025; the window must lie within every run's horizon.
    """

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=64)
    column: str
    reducer: ReducerName
    missing: float | None = None
    start: dt.date | None = None
    end: dt.date | None = None


class Outputs(Strict):
    """What is kept of each run: metrics, and optionally whole daily series."""

    metrics: tuple[Metric, ...] = Field(min_length=1, max_length=1000)
    keep_series: tuple[str, ...] = ()


class SweepSpec(Strict):
    """A whole sweep file."""

    name: str = ""
    description: str = ""
    base: str = Field(min_length=1)
    days: int | None = Field(None, ge=1, le=36_500)
    parameters: tuple[Parameter, ...] = Field(min_length=1, max_length=100)
    design: Design
    outputs: Outputs

    @property
    def names(self) -> tuple[str, ...]:
        """Parameter names (dotted keys), in file order: the design's columns."""
        return tuple(p.name for p in self.parameters)


@dataclass(frozen=True)
class SweepPlan:
    """A checked sweep, ready to run: the spec plus the fully resolved base scenario.

    Attributes:
        spec: The sweep file's settings.
        source: The sweep file (or manifest) as named, for messages.
        base_source: The base scenario file that was loaded.
        base_sha256: Fingerprint of the base scenario as loaded (before ``days``).
        base_scenario: Every setting of the base scenario (``model_dump(mode="json")``) with
            the sweep's ``days`` applied; each run starts from a copy of it.
        definition_sha256: Fingerprint of spec and base scenario together (data paths relative to
            the project, so a checkout moved elsewhere resumes its folders): a results folder only
            accepts runs of the same definition.
        base_sources: Who set which key of the base scenario (``portable.parameter_sources``).
    """

    spec: SweepSpec
    source: str
    base_source: str
    base_sha256: str
    base_scenario: dict
    definition_sha256: str
    base_sources: dict = dataclass_field(default_factory=dict)

    def scenario_for(self, values: Mapping[str, Any]) -> dict:
        """The settings of one design point: the base with ``values`` set at their keys."""
        data = copy.deepcopy(self.base_scenario)
        for name, value in values.items():
            set_dotted(data, name, value)
        return data

    def reducers(self) -> tuple[dict, ...]:
        """The outputs as plain dicts, for the worker (a window's dates as ISO text)."""
        return tuple(m.model_dump(mode="json") for m in self.spec.outputs.metrics)


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def load_sweep(path: Path) -> SweepPlan:
    """Read, validate and check a sweep file and load its base scenario.

    Args:
        path: The sweep file.

    Returns:
        The plan.

    Raises:
        ConfigError: Anything unusable, in one line (see the module docstring). A bad base
            scenario is reported by the scenario loader, naming the scenario file.
    """
    path = Path(path)
    source = str(path)
    spec = validate(SweepSpec, load_toml(path), source)
    if spec.design.method == "given":
        raise ConfigError(
            source,
            "method 'given' is for the batches of hashpivot estimate, whose points it chooses",
            field="design.method",
            accepted="'factorial', 'lhs', 'sobol' or 'morris'",
        )
    check_spec(spec, source)
    base_path = find_base(spec.base, path)
    loaded = load_scenario(base_path)
    base = loaded.scenario.model_dump(mode="json")
    if spec.days is not None:
        base["run"]["days"] = spec.days
    check_values(spec, base, source)
    check_windows(spec.outputs.metrics, base, source)
    from hashpivot.model.tools.portable import parameter_sources

    return SweepPlan(
        spec=spec,
        source=source,
        base_source=str(base_path),
        base_sha256=loaded.sha256,
        base_scenario=base,
        definition_sha256=definition_sha256(spec, base),
        base_sources=parameter_sources(loaded),
    )


def plan_from_manifest(manifest: Mapping[str, Any], source: str) -> SweepPlan:
    """Rebuild the plan a results folder was made with, from its manifest.

    Args:
        manifest: The parsed ``manifest.json``.
        source: The manifest's path, for messages.

    Returns:
        The plan, identical to the one the sweep started with.

    Raises:
        ConfigError: The manifest is not a sweep manifest or does not check out.
    """
    for key in ("sweep", "base_scenario", "definition_sha256"):
        if key not in manifest:
            raise ConfigError(source, "required key is missing", field=key, accepted="a sweep manifest")
    from hashpivot.model.tools.portable import absolute_scenario

    spec = validate(SweepSpec, manifest["sweep"], source)
    check_spec(spec, source)
    base = absolute_scenario(manifest["base_scenario"])  # recorded relative to the project
    validate(Scenario, copy.deepcopy(base), source)
    check_values(spec, base, source)
    sha = definition_sha256(spec, base)
    if sha != manifest["definition_sha256"]:
        raise ConfigError(
            source,
            "sweep definition does not match its fingerprint (edited by hand?)",
            field="definition_sha256",
            accepted="an unmodified manifest written by hashpivot sweep",
        )
    base_info = manifest.get("base", {})
    return SweepPlan(
        spec=spec,
        source=source,
        base_source=str(base_info.get("source", "")),
        base_sha256=str(base_info.get("sha256", "")),
        base_scenario=base,
        definition_sha256=sha,
        base_sources=dict(base_info.get("parameter_sources") or {}),
    )


def definition_sha256(spec: SweepSpec, base: Mapping[str, Any]) -> str:
    """Fingerprint of a sweep definition: the spec and the resolved base scenario (paths project-relative)."""
    from hashpivot.model.tools.portable import portable_scenario

    return file_sha256({"sweep": spec_dump(spec), "base_scenario": portable_scenario(base)})


WINDOW_KEYS = ("start", "end")


def spec_dump(spec: SweepSpec) -> dict:
    """The spec as JSON-ready data, leaving out unset metric windows.

    A metric without a window dumps as it did before windows existed, so the fingerprints of
    existing sweep folders (and their resumes) are unchanged.
    """
    data = spec.model_dump(mode="json")
    for metric in data["outputs"]["metrics"]:
        for key in WINDOW_KEYS:
            if metric.get(key) is None:
                metric.pop(key, None)
    return data


def find_base(name: str, sweep_file: Path) -> Path:
    """Locate the base scenario: next to the sweep file first, then a name in ``runs/``.

    Args:
        name: The ``base`` value: a scenario name or a path (``.toml`` optional).
        sweep_file: The sweep file naming it.

    Returns:
        The scenario file.

    Raises:
        ConfigError: Nothing of that name exists.
    """
    found = find_named(name, [sweep_file.parent, RUNS_DIR])
    if found is not None:
        return found
    names = ", ".join(builtin_names()) or "none installed"
    raise ConfigError(
        sweep_file,
        f"base scenario {name!r} not found",
        field="base",
        accepted=f"a scenario file relative to {sweep_file.parent}/ or a name in runs/ ({names})",
    )


# --------------------------------------------------------------------------------------------
# Checks the schema cannot express
# --------------------------------------------------------------------------------------------


def check_spec(spec: SweepSpec, source: str) -> None:
    """Check parameters against the scenario schema, the design and the outputs.

    Args:
        spec: The validated sweep file.
        source: The file, for messages.

    Raises:
        ConfigError: The first problem found.
    """
    _check_parameters(spec, source)
    _check_design(spec, source)
    _check_outputs(spec, source)


def _check_parameters(spec: SweepSpec, source: str) -> None:
    first_at: dict[str, int] = {}
    for i, param in enumerate(spec.parameters):
        where = f"parameters.{i}"
        if param.name in first_at:
            raise ConfigError(
                source,
                f"{param.name!r} is already varied by parameters.{first_at[param.name]}",
                field=f"{where}.name",
                accepted="each scenario setting at most once",
            )
        first_at[param.name] = i
        if spec.days is not None and param.name == "run.days":
            raise ConfigError(
                source,
                "run.days cannot be varied while the sweep sets days",
                field=f"{where}.name",
                accepted="remove days, or do not vary run.days",
            )
        setting = scenario_setting(param.name, source, f"{where}.name")
        _check_kind(param, setting, source, where)
        _check_range(param, setting, source, where)


@dataclass(frozen=True)
class _Setting:
    """What the scenario schema says about one setting."""

    type: str  # "float", "int", "bool" or "other"
    bounds: str  # e.g. ">= -2 and <= 2", or ""


_KINDS_FOR = {
    "float": ("float", "int", "choice"),
    "int": ("int", "choice"),
    "bool": ("bool", "choice"),
    "other": ("choice",),
}
_TYPE_WORDS = {"float": "a number", "int": "an integer", "bool": "true/false", "other": "a label"}


def scenario_setting(name: str, source: str, field: str) -> _Setting:
    """Find the scenario setting a dotted key names (array items by index, e.g. ``miners.0.mw``).

    Args:
        name: The dotted key.
        source: The file, for messages.
        field: The field holding ``name``, for messages.

    Returns:
        The setting's type and bounds.

    Raises:
        ConfigError: The key names no setting, or names a table or an array.
    """
    try:
        target = walk_key(Scenario, name.split("."))
    except KeyNotInSchema as exc:
        raise _not_a_setting(name, exc, source, field) from None
    if is_model(target.ann) or is_sequence(target.ann) or is_mapping(target.ann):
        raise ConfigError(
            source,
            f"{name!r} is a table or an array, not a single setting",
            field=field,
            accepted="a dotted key of one value, such as price.drift_per_year",
        )
    kind = {bool: "bool", int: "int", float: "float"}.get(target.ann, "other")
    return _Setting(kind, bounds(target.meta, show=_bound_value))


def _not_a_setting(name: str, exc: KeyNotInSchema, source: str, field: str) -> ConfigError:
    """A parameter name that leaves the scenario schema: say where, and suggest a key when it missed one."""
    walked, part = ".".join(exc.keys[: exc.depth]), exc.keys[exc.depth]
    if exc.model is None:
        return ConfigError(
            source,
            f"{name!r} is not a scenario setting: {walked} has no part {part!r}",
            field=field,
            accepted="a dotted key such as price.drift_per_year or miners.0.mw",
        )
    section, keys = walked or "the scenario", model_keys(exc.model)
    problem = f"{name!r} is not a scenario setting: {section} has no key {part!r}"
    problem += did_you_mean(part, keys, cutoff=0.5, containing=True, prefix=f"{walked}." if walked else "")
    return ConfigError(source, problem, field=field, accepted=f"keys of {section}: {', '.join(keys)}")


def _bound_value(value: Any) -> str:
    """A schema bound as sweep messages write it: floats without a trailing .0 (``<= 2``)."""
    return f"{value:g}" if isinstance(value, float) else f"{value}"


def _check_kind(param: Parameter, setting: _Setting, source: str, where: str) -> None:
    allowed = _KINDS_FOR[setting.type]
    if param.kind not in allowed:
        raise ConfigError(
            source,
            f"kind {param.kind!r} does not fit {param.name}, which is {_TYPE_WORDS[setting.type]}",
            field=f"{where}.kind",
            accepted=" or ".join(repr(k) for k in allowed),
        )


def _check_range(param: Parameter, setting: _Setting, source: str, where: str) -> None:
    numeric = param.kind in ("float", "int")
    for key in ("low", "high", "levels"):
        wanted = (key != "levels") if numeric else (key == "levels" and param.kind == "choice")
        given = getattr(param, key) is not None
        if wanted and not given:
            raise ConfigError(
                source,
                f"required key is missing for kind {param.kind!r}",
                field=f"{where}.{key}",
                accepted=_range_words(param, setting),
            )
        if given and not wanted:
            raise ConfigError(
                source,
                f"{key} does not apply to kind {param.kind!r}",
                field=f"{where}.{key}",
                accepted=_range_words(param, setting),
            )
    if numeric:
        _check_low_high(param, setting, source, where)
    elif param.kind == "choice":
        _check_levels(param, source, where)


def _range_words(param: Parameter, setting: _Setting) -> str:
    if param.kind in ("float", "int"):
        within = f" within {setting.bounds}" if setting.bounds else ""
        return f"low and high, {'integers' if param.kind == 'int' else 'numbers'}{within}, low < high"
    if param.kind == "bool":
        return "no low, high or levels: a bool parameter takes false and true"
    return "levels = [at least two distinct values], no low or high"


def _check_low_high(param: Parameter, setting: _Setting, source: str, where: str) -> None:
    if param.kind == "int":
        for key in ("low", "high"):
            value = getattr(param, key)
            if not float(value).is_integer():
                raise ConfigError(
                    source,
                    f"{toml_value(value)} is not an integer",
                    field=f"{where}.{key}",
                    accepted=_range_words(param, setting),
                )
    if not param.low < param.high:
        raise ConfigError(
            source,
            f"empty range: high = {toml_value(param.high)} is not above low = {toml_value(param.low)}",
            field=f"{where}.high",
            accepted=f"a value > {toml_value(param.low)}" + (f" and {setting.bounds}" if setting.bounds else ""),
        )


def _check_levels(param: Parameter, source: str, where: str) -> None:
    seen: set[tuple[type, Any]] = set()
    for j, level in enumerate(param.levels or ()):
        key = (type(level), level)  # 1 and true are different levels, although 1 == True
        if key in seen:
            raise ConfigError(
                source,
                f"level {toml_value(level)} appears twice",
                field=f"{where}.levels.{j}",
                accepted="distinct levels",
            )
        seen.add(key)


def _check_design(spec: SweepSpec, source: str) -> None:
    design, count = spec.design, len(spec.parameters)
    if design.method != "factorial" and design.samples is None:
        raise ConfigError(
            source,
            f"required key is missing for method {design.method!r}",
            field="design.samples",
            accepted=_samples_words(design.method),
        )
    if design.method == "sobol":
        if count < 2:
            raise ConfigError(
                source,
                f"a Sobol design needs at least 2 parameters, the file has {count}",
                field="parameters",
                accepted="2 or more [[parameters]] for method 'sobol'",
            )
        if design.samples & (design.samples - 1):
            raise ConfigError(
                source,
                f"{design.samples} is not a power of 2",
                field="design.samples",
                accepted=_samples_words("sobol"),
            )
    _check_factorial_levels(spec, source)
    points = design_size(spec)
    runs = points * design.replications
    if runs > MAX_RUNS:
        raise ConfigError(
            source,
            f"{points} design points x {design.replications} replications = {runs} runs",
            field="design",
            accepted=f"at most {MAX_RUNS} runs per sweep",
        )


def _samples_words(method: str) -> str:
    return {
        "sobol": "a power of 2 (N base samples; N x (D + 2) runs, N x (2D + 2) with second order)",
        "morris": "an integer >= 1 (trajectories; N x (D + 1) runs)",
        "lhs": "an integer >= 1 (design points)",
    }.get(method, "an integer >= 1")


def _check_factorial_levels(spec: SweepSpec, source: str) -> None:
    levels = spec.design.levels
    counts = levels if isinstance(levels, dict) else {"": levels}
    numeric = {p.name for p in spec.parameters if p.kind in ("float", "int")}
    for key, count in counts.items():
        field = f"design.levels.{json.dumps(key)}" if key else "design.levels"
        if key and key not in numeric:
            raise ConfigError(
                source,
                f"{key!r} is not a float or int parameter of this sweep",
                field=field,
                accepted=", ".join(sorted(numeric)) or "nothing: no float or int parameters",
            )
        if not 2 <= count <= MAX_FACTOR_LEVELS:
            raise ConfigError(
                source,
                f"{count} is out of range",
                field=field,
                accepted=f"factorial levels per parameter, from 2 to {MAX_FACTOR_LEVELS}",
            )


def factorial_levels(spec: SweepSpec, param: Parameter) -> int:
    """Number of factorial levels asked for a float or int parameter."""
    levels = spec.design.levels
    return levels.get(param.name, 3) if isinstance(levels, dict) else levels


def design_size(spec: SweepSpec) -> int:
    """Number of design points the sweep's design has."""
    design, count = spec.design, len(spec.parameters)
    if design.method == "sobol":
        return design.samples * ((2 * count + 2) if design.calc_second_order else (count + 2))
    if design.method == "morris":
        return design.samples * (count + 1)
    if design.method in ("lhs", "given"):
        return design.samples
    size = 1
    for param in spec.parameters:
        size *= len(param.choices()) or _numeric_level_count(spec, param)
    return size


def _numeric_level_count(spec: SweepSpec, param: Parameter) -> int:
    asked = factorial_levels(spec, param)
    if param.kind == "int":
        return min(asked, int(param.high) - int(param.low) + 1)
    return asked


def _check_outputs(spec: SweepSpec, source: str) -> None:
    known = ", ".join(COLUMNS)
    taken = {
        **dict.fromkeys(RESERVED_COLUMNS, "a results column"),
        **dict.fromkeys(spec.names, "a parameter"),
    }
    for i, metric in enumerate(spec.outputs.metrics):
        where = f"outputs.metrics.{i}"
        if metric.name in taken:
            raise ConfigError(
                source,
                f"name {metric.name!r} is already {taken[metric.name]}",
                field=f"{where}.name",
                accepted=f"a name other than {', '.join(RESERVED_COLUMNS)}, the parameters and the other metrics",
            )
        taken[metric.name] = "another metric"
        if metric.column not in COLUMNS:
            raise ConfigError(
                source,
                f"unknown column {metric.column!r}{_suggest_column(metric.column, COLUMNS)}",
                field=f"{where}.column",
                accepted=known,
            )
        if metric.missing is not None and metric.reducer in DATE_REDUCERS:
            raise ConfigError(
                source,
                f"missing does not apply to reducer {metric.reducer!r}, which gives a date",
                field=f"{where}.missing",
                accepted="no missing for date reducers (an undefined date is left empty)",
            )
    seen: set[str] = set()
    for j, column in enumerate(spec.outputs.keep_series):
        if column not in COLUMNS or column == "day" or column in seen:
            problem = "listed twice" if column in seen else f"unknown column{_suggest_column(column, COLUMNS)}"
            raise ConfigError(
                source,
                f"{column!r}: {problem}",
                field=f"outputs.keep_series.{j}",
                accepted="distinct daily columns other than day: " + ", ".join(c for c in COLUMNS if c != "day"),
            )
        seen.add(column)


def _suggest_column(word: str, columns: Sequence[str]) -> str:
    """Suggest a daily column for a typo, preferring a column that contains what was typed."""
    return did_you_mean(word, columns, cutoff=0.5, containing=True)


def check_windows(
    metrics: Sequence[Metric], base: Mapping[str, Any], source: str, where: str = "outputs.metrics"
) -> None:
    """Check that every metric's date window lies within the runs' horizon and is not empty.

    Args:
        metrics: The metrics (or estimation targets).
        base: The resolved base scenario, with the horizon the runs will have.
        source: The file, for messages.
        where: The array the metrics are in, for messages.

    Raises:
        ConfigError: A window starts before the first day, ends after the last, or ends before it starts.
    """
    first = dt.date.fromisoformat(str(base["run"]["start_date"]))
    last = first + dt.timedelta(days=int(base["run"]["days"]) - 1)
    span = f"dates from {first.isoformat()} to {last.isoformat()} (the runs' first and last day)"
    for i, metric in enumerate(metrics):
        for key in WINDOW_KEYS:
            day = getattr(metric, key)
            if day is not None and not first <= day <= last:
                raise ConfigError(
                    source, f"{day.isoformat()} is outside the runs", field=f"{where}.{i}.{key}", accepted=span
                )
        if metric.start is not None and metric.end is not None and metric.end < metric.start:
            raise ConfigError(
                source,
                f"the window ends ({metric.end.isoformat()}) before it starts ({metric.start.isoformat()})",
                field=f"{where}.{i}.end",
                accepted=f"a date on or after start, {span}",
            )


# --------------------------------------------------------------------------------------------
# Values at the ends of every range
# --------------------------------------------------------------------------------------------


def check_values(spec: SweepSpec, base: Mapping[str, Any], source: str) -> None:
    """Validate the base scenario with each parameter at each end of its range (or each level).

    Bounds in the schema are intervals, so a range whose ends validate is valid throughout.
    A rule linking two settings can still reject a combination: such a run is recorded as
    failed, with the scenario's message.

    Args:
        spec: The sweep.
        base: The resolved base scenario.
        source: The sweep file, for messages.

    Raises:
        ConfigError: An end of a range, or a level, is rejected by the scenario.
    """
    for i, param in enumerate(spec.parameters):
        for field, value in _ends(param):
            data = copy.deepcopy(dict(base))
            try:
                set_dotted(data, param.name, value)
            except DottedKeyError as exc:
                raise ConfigError(
                    source,
                    f"{param.name!r}: the base scenario has no such item ({_no_such_item(exc)})",
                    field=f"parameters.{i}.name",
                    accepted="an index within the base scenario's array",
                ) from None
            try:
                validate(Scenario, data, source)
            except ConfigError as err:
                other = f" ({err.field})" if err.field and err.field != param.name else ""
                raise ConfigError(
                    source,
                    f"{param.name} = {toml_value(value)} is rejected by the scenario{other}: {err.problem}",
                    field=f"parameters.{i}.{field}",
                    accepted=err.accepted,
                ) from None


def _ends(param: Parameter) -> list[tuple[str, Any]]:
    if param.kind == "float":
        return [("low", float(param.low)), ("high", float(param.high))]
    if param.kind == "int":
        return [("low", int(param.low)), ("high", int(param.high))]
    field = "levels" if param.kind == "choice" else "kind"
    return [(f"{field}.{j}" if field == "levels" else field, v) for j, v in enumerate(param.choices())]


def _no_such_item(exc: DottedKeyError) -> str:
    """Why a parameter's key does not fit the base scenario, in the words sweep messages have always used.

    Only an index past the end of the base's array is reachable: ``check_spec`` has matched every
    other part against the schema, which the base scenario follows.
    """
    if exc.reason == "index":
        last = exc.depth == len(exc.keys) - 1
        return "list assignment index out of range" if last else "list index out of range"
    if exc.reason == "missing":
        return repr(exc.keys[exc.depth])
    return f"{'.'.join(exc.keys)} walks into a {type(exc.node).__name__}"
