"""The estimation file: which settings are estimated within what prior bounds, from which observations.

An estimation file is TOML (``runs/estimation/*.toml``), in the style of a sweep file::

    name = "backtest_2024_2025"
    base = "backtest_2024_2025"         # scenario name in runs/, or a path relative to this file
    days = 621                          # optional: horizon of every run (default: the base's run.days)

    [[parameters]]                      # as in sweep files; the range is a uniform prior
    name = "ai.addressable_share"
    low = 0.1
    high = 0.9

    [[targets]]                         # a metric declaration as in sweep files, plus the observation
    name = "hashrate_2025_10"
    column = "network_hashrate_ehs"
    reducer = "mean"
    start = 2025-10-01                  # optional window (inclusive), as for sweep metrics
    end = 2025-10-31
    observed = 1080.0                   # the observed value, in the column's unit
    sd = 54.0                           # its standard error (same unit), > 0
    source = "calibration.md: ~1,080 EH/s Oct 2025 (reported); sd: 5%, an assumption"

    [method]                            # optional; the defaults are shown
    name = "history_matching"
    waves = 3
    points = 24                         # design points per wave
    replications = 2                    # runs per design point, each with its own seed
    cutoff = 3.0                        # implausibility above which a point is ruled out
    posterior_draws = 16384
    check_replications = 8              # runs at the estimate, to compare with the observations
    root_seed = 20240420

``load_estimation`` validates the file and checks what the schema cannot with the sweep file's own checks
(every parameter a real numeric setting, ranges within the schema's bounds, columns that exist, windows within
the horizon), so a bad estimation file gets the same one-line errors as a bad sweep file, naming ``targets``
where a sweep file says ``outputs.metrics``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from hashpivot.model.config.errors import ConfigError
from hashpivot.model.config.scenarios import RUNS_DIR
from hashpivot.model.config.toml_io import file_sha256, load_toml
from hashpivot.model.config.validation import validate
from hashpivot.model.tools.sweep.reducers import DATE_REDUCERS
from hashpivot.model.tools.sweep.spec import (
    MAX_SEED,
    Design,
    Metric,
    Outputs,
    Parameter,
    Strict,
    SweepPlan,
    SweepSpec,
    check_spec,
    check_values,
    check_windows,
    definition_sha256,
    find_base,
)

ESTIMATION_DIR = RUNS_DIR / "estimation"
MAX_TARGETS = 100


class Target(Metric):
    """A metric declaration (as in sweep files) with the observed value and its standard error."""

    observed: float
    sd: float = Field(gt=0)
    source: str = Field(min_length=1, max_length=2000)


class Method(Strict):
    """How the parameters are estimated (see ``model/tools/estimate/history_matching.py``)."""

    name: Literal["history_matching"] = "history_matching"
    waves: int = Field(3, ge=1, le=20)
    points: int = Field(24, ge=4, le=10_000)
    replications: int = Field(2, ge=1, le=100)
    cutoff: float = Field(3.0, gt=0, le=100)
    posterior_draws: int = Field(16_384, ge=1024, le=1_048_576)
    check_replications: int = Field(8, ge=2, le=1000)
    root_seed: int = Field(20240420, ge=0, le=MAX_SEED)


class EstimationSpec(Strict):
    """A whole estimation file."""

    name: str = ""
    description: str = ""
    base: str = Field(min_length=1)
    days: int | None = Field(None, ge=1, le=36_500)
    parameters: tuple[Parameter, ...] = Field(min_length=1, max_length=20)
    targets: tuple[Target, ...] = Field(min_length=1, max_length=MAX_TARGETS)
    method: Method = Method()

    @property
    def names(self) -> tuple[str, ...]:
        """Parameter names (dotted keys), in file order."""
        return tuple(p.name for p in self.parameters)

    @property
    def target_names(self) -> tuple[str, ...]:
        """Target names, in file order."""
        return tuple(t.name for t in self.targets)


@dataclass(frozen=True)
class EstimationPlan:
    """A checked estimation file, ready to run.

    Attributes:
        spec: The file's settings.
        source: The file as named, for messages.
        sweep: The sweep every batch of runs is an instance of (its design is given per wave).
        definition_sha256: Fingerprint of the spec and the resolved base scenario: a results folder only
            accepts the same definition.
    """

    spec: EstimationSpec
    source: str
    sweep: SweepPlan
    definition_sha256: str

    def batch(self, root_seed: int, points: int, replications: int) -> SweepPlan:
        """The sweep plan of one batch of runs: ``points`` given design points, each run ``replications`` times."""
        design = Design(method="given", samples=points, replications=replications, root_seed=root_seed)
        spec = self.sweep.spec.model_copy(update={"design": design})
        return SweepPlan(
            spec=spec,
            source=self.source,
            base_source=self.sweep.base_source,
            base_sha256=self.sweep.base_sha256,
            base_scenario=self.sweep.base_scenario,
            definition_sha256=definition_sha256(spec, self.sweep.base_scenario),
            base_sources=self.sweep.base_sources,
        )


def load_estimation(path: Path) -> EstimationPlan:
    """Read, validate and check an estimation file and load its base scenario.

    Raises:
        ConfigError: Anything unusable, in one line naming the file and the field.
    """
    path = Path(path)
    source = str(path)
    spec = validate(EstimationSpec, load_toml(path), source)
    _check_estimation(spec, source)
    sweep_spec = as_sweep(spec)
    _renamed(check_spec, sweep_spec, source)
    from hashpivot.model.config.scenarios import load_scenario
    from hashpivot.model.tools.portable import parameter_sources

    base_path = _find_base(spec.base, path)
    loaded = load_scenario(base_path)
    base = loaded.scenario.model_dump(mode="json")
    if spec.days is not None:
        base["run"]["days"] = spec.days
    _renamed(check_values, sweep_spec, base, source)
    check_windows(spec.targets, base, source, where="targets")
    sweep = SweepPlan(
        spec=sweep_spec,
        source=source,
        base_source=str(base_path),
        base_sha256=loaded.sha256,
        base_scenario=base,
        definition_sha256=definition_sha256(sweep_spec, base),
        base_sources=parameter_sources(loaded),
    )
    return EstimationPlan(spec, source, sweep, estimation_sha256(spec, base))


def _find_base(name: str, path: Path) -> Path:
    """The base scenario as for sweep files (next to the file, then ``runs/``), never the estimation file itself."""
    from hashpivot.model.config.toml_io import find_named

    for folder in (path.parent, RUNS_DIR):
        found = find_named(name, [folder])
        if found is not None and found.resolve() != path.resolve():
            return found
    return find_base(name, path)  # raises the sweep file's error, naming the folders searched


def as_sweep(spec: EstimationSpec) -> SweepSpec:
    """The sweep an estimation's runs belong to: its parameters, and its targets as the metrics."""
    metrics = tuple(Metric(**t.model_dump(include=set(Metric.model_fields))) for t in spec.targets)
    method = spec.method
    return SweepSpec(
        name=spec.name,
        description=spec.description,
        base=spec.base,
        days=spec.days,
        parameters=spec.parameters,
        design=Design(method="given", samples=method.points, replications=method.replications),
        outputs=Outputs(metrics=metrics),
    )


def estimation_sha256(spec: EstimationSpec, base: dict) -> str:
    """Fingerprint of an estimation definition (spec and resolved base scenario, paths project-relative)."""
    from hashpivot.model.tools.portable import portable_scenario

    return file_sha256({"estimation": spec.model_dump(mode="json"), "base_scenario": portable_scenario(base)})


def _check_estimation(spec: EstimationSpec, source: str) -> None:
    """What only an estimation needs: numeric parameters, numeric targets."""
    for i, param in enumerate(spec.parameters):
        if param.kind not in ("float", "int"):
            raise ConfigError(
                source,
                f"kind {param.kind!r} cannot be estimated (the emulator needs a numeric range)",
                field=f"parameters.{i}.kind",
                accepted="'float' or 'int', with low and high as the prior's bounds",
            )
    for i, target in enumerate(spec.targets):
        if target.reducer in DATE_REDUCERS:
            raise ConfigError(
                source,
                f"reducer {target.reducer!r} gives a date, which cannot be compared with an observed number",
                field=f"targets.{i}.reducer",
                accepted="a numeric reducer (final, mean, min, max, sum, std, change, ratio, day_of_*, first_day_*)",
            )


def _renamed(check: Any, sweep_spec: SweepSpec, *args: Any) -> None:
    """Run a sweep check, naming the estimation file's fields (``targets``, ``method``) in its errors."""
    try:
        check(sweep_spec, *args)
    except ConfigError as err:
        field = err.field
        if field is not None:
            field = field.replace("outputs.metrics", "targets").replace("design.samples", "method.points")
        raise ConfigError(err.source, err.problem, field=field, accepted=err.accepted) from None


def parse_synthetic(text: str, spec: EstimationSpec) -> dict[str, float]:
    """The true values of ``--synthetic "name=value,..."``: every parameter once, each within its prior.

    Raises:
        ConfigError: Naming ``--synthetic``, the parameter and what is accepted.
    """
    flag = "--synthetic"
    params = {p.name: p for p in spec.parameters}
    accepted = "name=value pairs separated by commas, one for each of " + ", ".join(params)
    values: dict[str, float] = {}
    for item in (part.strip() for part in text.split(",")):
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or name not in params:
            problem = f"{item!r} is not name=value" if not sep else f"{name!r} is not a parameter of this file"
            raise ConfigError(flag, problem, accepted=accepted)
        if name in values:
            raise ConfigError(flag, f"{name} is given twice", accepted=accepted)
        param = params[name]
        try:
            value = float(raw)
        except ValueError:
            value = float("nan")
        if not param.low <= value <= param.high:
            raise ConfigError(
                flag, f"{name} = {raw.strip()!r} is not valid", accepted=f"a number from {param.low} to {param.high}"
            )
        values[name] = int(value) if param.kind == "int" else value
    missing = [n for n in params if n not in values]
    if missing:
        raise ConfigError(flag, f"no value for {', '.join(missing)}", accepted=accepted)
    return values
