"""Running an estimation: waves of runs through the sweep executor, emulators, the posterior, the check runs.

Layout of the results folder::

    <out>/estimation.json     definition, observations (or the synthetic truth), waves, runs, timings, versions
    <out>/synthetic/          with --synthetic: the run at the true values whose targets replace the observations
    <out>/wave-1/ ...         one sweep folder per wave (manifest, design, Parquet results; resumable)
    <out>/check/              runs at the estimate, to compare with the observations
    <out>/estimates.csv       parameter, estimate, low90, high90, prior_low, prior_high, ...
    <out>/fit.csv             each target: observed, sd, simulated at the estimate, z
    <out>/posterior.parquet   the posterior draws (parameter values) and their weights
    <out>/estimate.md         the report, with figures in <out>/figures/

Every batch is a sweep with a given design (``model/tools/sweep``): the same executors (in this process, a
process pool, a Dask cluster), the same seeds rule (run ``i`` of a batch gets child ``i`` of
``SeedSequence(batch_seed)``; batch ``b``'s seed is child ``b`` of ``SeedSequence(method.root_seed)``: 0 the
synthetic observation, 1.. the waves, ``CHECK_BATCH`` the check runs) and the same resume: run the command again
and finished runs are skipped. A wave's design follows deterministically from the waves before it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hashpivot.model.config.errors import ConfigError
from hashpivot.model.tools.estimate import history_matching as hm
from hashpivot.model.tools.estimate.emulator import Emulators, fit_emulators
from hashpivot.model.tools.estimate.spec import EstimationPlan
from hashpivot.model.tools.sweep.design import point_values, run_seed
from hashpivot.model.tools.sweep.store import read_results, write_json_atomic

FORMAT = "hashpivot-estimation/1"
MANIFEST = "estimation.json"
SYNTHETIC_BATCH = 0
CHECK_BATCH = 1000
CANDIDATES = 8192
"""Candidate points (a scrambled Sobol sample of the prior) a later wave's design is picked from."""


class EstimationFailed(RuntimeError):
    """The estimation cannot go on (e.g. every run of a wave failed); what finished is saved."""


@dataclass
class Wave:
    """One wave: its design, and the share of the prior still plausible when it was chosen."""

    number: int
    unit: np.ndarray
    plausible_share: float
    runs_ok: int = 0
    runs_failed: int = 0


@dataclass
class Estimate:
    """What an estimation found (everything the report and the tables need)."""

    plan: EstimationPlan
    observations: hm.Observations
    truth: dict[str, float] | None
    waves: list[Wave]
    emulators: Emulators
    draws_unit: np.ndarray
    weights: np.ndarray
    marginals: list[hm.Marginal]
    correlation: np.ndarray
    estimate: dict[str, Any]
    check: dict[str, np.ndarray]
    runs_used: int
    wall_time_s: float
    stopped_early: str = ""
    sessions: int = 1
    total_wall_time_s: float = 0.0
    emulated_at_estimate: tuple[np.ndarray, np.ndarray] = field(default_factory=lambda: (np.array([]), np.array([])))

    @property
    def ess(self) -> float:
        """Effective sample size of the posterior draws."""
        return hm.effective_sample_size(self.weights)


def planned_waves(plan: EstimationPlan, budget: int | None, synthetic: bool) -> int:
    """Waves the budget allows (all the file asks for without a budget).

    Raises:
        ConfigError: The budget cannot pay for one wave and the check runs (naming ``--budget``).
    """
    method = plan.spec.method
    per_wave = method.points * method.replications
    fixed = method.check_replications + (1 if synthetic else 0)
    if budget is None:
        return method.waves
    if budget < per_wave + fixed:
        raise ConfigError(
            "--budget",
            f"{budget} runs cannot pay for one wave ({method.points} points x {method.replications} replications) "
            f"and {fixed} other runs",
            accepted=f"an integer >= {per_wave + fixed}",
        )
    return min(method.waves, (budget - fixed) // per_wave)


def run_estimation(
    plan: EstimationPlan,
    out: Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    budget: int | None = None,
    synthetic: dict[str, float] | None = None,
    progress: bool | None = None,
    worker: Callable[..., dict] | None = None,
    say: Callable[[str], None] = lambda text: None,
) -> Estimate:
    """Estimate the plan's parameters, writing every batch into ``out`` as it runs.

    Args:
        plan: The estimation.
        out: The results folder (created, or continued if it holds this estimation).
        workers: Worker processes (1: this process).
        scheduler: A Dask scheduler's address.
        budget: At most this many model runs in all (waves are dropped to fit).
        synthetic: True parameter values: the observations are replaced by a run at them.
        progress: False hides the progress bars.
        worker: The per-run function (tests substitute a cheap model).
        say: Called with a line of news per wave.

    Returns:
        The estimate (the caller writes the tables and the report).

    Raises:
        ConfigError: The folder holds another estimation, or the budget is too small.
        EstimationFailed: No usable runs.
    """
    started = time.perf_counter()
    waves_wanted = planned_waves(plan, budget, synthetic is not None)
    out = Path(out)
    manifest = _open_folder(out, plan, synthetic)
    runner = _Batches(plan, out, workers, scheduler, progress, worker)
    observations, truth = _observations(plan, runner, synthetic)
    manifest.update(observed=dict(zip(observations.names, observations.values.tolist(), strict=True)))
    write_json_atomic(out / MANIFEST, manifest)

    waves: list[Wave] = []
    unit_runs, outcomes = np.empty((0, len(plan.spec.parameters))), np.empty((0, len(plan.spec.targets)))
    stopped = ""
    emulators: Emulators | None = None
    method = plan.spec.method
    for number in range(1, waves_wanted + 1):
        if number == 1:
            design, share = _first_design(plan), 1.0
        else:
            emulators = _fit(plan, unit_runs, outcomes, number)
            design, share = _next_design(plan, emulators, observations, unit_runs, number)
            if design is None:
                stopped = (
                    f"wave {number}: no candidate point is plausible at cutoff {method.cutoff:g} "
                    f"(every point is ruled out by some target)"
                )
                break
        wave = Wave(number, design, share)
        x, y, failed = runner.run(f"wave-{number}", number, design, method.replications)
        wave.runs_ok, wave.runs_failed = len(x), failed
        waves.append(wave)
        unit_runs, outcomes = np.vstack([unit_runs, x]), np.vstack([outcomes, y])
        say(f"wave {number}: {len(design)} points, {len(x)} runs ok, {failed} failed; plausible share {share:.3f}")
    if len(unit_runs) < 4:
        raise EstimationFailed(f"{out}: only {len(unit_runs)} runs succeeded; an emulator needs at least 4")

    emulators = _fit(plan, unit_runs, outcomes, len(waves) + 1)
    draws = _sobol(len(plan.spec.parameters), method.posterior_draws, run_seed(method.root_seed, CHECK_BATCH + 1))
    mean, var = emulators.predict(draws)
    weights = hm.normalised_weights(hm.log_likelihood(mean, var, observations))
    margs = hm.marginals(draws, weights)
    estimate_unit = np.array([m.median for m in margs])
    estimate = point_values(plan.sweep.spec, estimate_unit)
    _, check_y, _ = runner.run("check", CHECK_BATCH, estimate_unit[None, :], method.check_replications)
    check = {"mean": np.nanmean(check_y, axis=0), "sd": np.nanstd(check_y, axis=0, ddof=1), "n": len(check_y)}
    result = Estimate(
        plan=plan,
        observations=observations,
        truth=truth,
        waves=waves,
        emulators=emulators,
        draws_unit=draws,
        weights=weights,
        marginals=margs,
        correlation=hm.weighted_correlation(draws, weights),
        estimate=estimate,
        check=check,
        runs_used=runner.runs,
        wall_time_s=time.perf_counter() - started,
        stopped_early=stopped,
        emulated_at_estimate=emulators.predict(estimate_unit[None, :]),
    )
    manifest.update(
        status="complete",
        waves=[
            {
                "number": w.number,
                "points": len(w.unit),
                "ok": w.runs_ok,
                "failed": w.runs_failed,
                "plausible_share": w.plausible_share,
            }
            for w in waves
        ],
        runs_used=runner.runs,
        stopped_early=stopped,
        finished_utc=_utc_now(),
    )
    sessions = manifest.setdefault("sessions", [])
    sessions.append({"wall_time_s": round(result.wall_time_s, 2), "runs_done": runner.runs, "finished_utc": _utc_now()})
    result.sessions = len(sessions)
    result.total_wall_time_s = float(sum(x["wall_time_s"] for x in sessions))
    write_json_atomic(out / MANIFEST, manifest)
    return result


# --------------------------------------------------------------------------------------------
# Designs
# --------------------------------------------------------------------------------------------


def _first_design(plan: EstimationPlan) -> np.ndarray:
    """Wave 1: a Latin hypercube over the prior (scipy's, optimised for spread, seeded from the root seed)."""
    from scipy.stats import qmc

    method = plan.spec.method
    rng = np.random.default_rng(run_seed(method.root_seed, 1))
    sampler = qmc.LatinHypercube(d=len(plan.spec.parameters), optimization="random-cd", rng=rng)
    return np.clip(sampler.random(method.points), 0.0, 1.0)


def _sobol(dims: int, count: int, seed: int) -> np.ndarray:
    from scipy.stats import qmc

    sampler = qmc.Sobol(d=dims, scramble=True, rng=np.random.default_rng(seed))
    return sampler.random_base2(int(np.ceil(np.log2(count))))[:count]


def _next_design(
    plan: EstimationPlan, emulators: Emulators, obs: hm.Observations, done: np.ndarray, number: int
) -> tuple[np.ndarray | None, float]:
    """A later wave: the plausible candidates, spread out and away from the points already run."""
    method = plan.spec.method
    candidates = _sobol(done.shape[1], CANDIDATES, run_seed(method.root_seed, number))
    mean, var = emulators.predict(candidates)
    plausible = hm.max_implausibility(hm.implausibility(mean, var, obs)) <= method.cutoff
    share = float(plausible.mean())
    if not plausible.any():
        return None, 0.0
    pool = candidates[plausible]
    return pool[hm.spread_out(pool, method.points, start=done)], share


def _fit(plan: EstimationPlan, unit_runs: np.ndarray, outcomes: np.ndarray, number: int) -> Emulators:
    return fit_emulators(unit_runs, outcomes, seed=run_seed(plan.spec.method.root_seed, 500 + number) % 2**31)


# --------------------------------------------------------------------------------------------
# Batches of runs
# --------------------------------------------------------------------------------------------


class _Batches:
    """Runs one batch (a sweep with a given design) into a subfolder and reads back its targets."""

    def __init__(self, plan, out, workers, scheduler, progress, worker):
        self.plan, self.out = plan, out
        self.options = {"workers": workers, "scheduler": scheduler, "progress": progress}
        if worker is not None:
            self.options["worker"] = worker
        self.runs = 0

    def run(self, name: str, batch: int, unit: np.ndarray, replications: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Run (or resume) a batch; the unit coordinates and target values of its successful runs, and the failures."""
        from hashpivot.model.tools.sweep.execute import run_sweep

        seed = run_seed(self.plan.spec.method.root_seed, batch)
        sweep = self.plan.batch(seed, len(unit), replications)
        folder = self.out / name
        summary = run_sweep(sweep, folder, unit=unit, **self.options)
        if summary.interrupted:
            raise KeyboardInterrupt
        table = read_results(folder)
        rows = table.to_pylist() if table is not None else []
        self.runs += len(rows)
        ok = [r for r in rows if r["status"] == "ok"]
        names = self.plan.spec.target_names
        x = np.array([unit[r["point_id"]] for r in ok], dtype=float).reshape(len(ok), unit.shape[1])
        y = np.array([[_number(r.get(n)) for n in names] for r in ok], dtype=float).reshape(len(ok), len(names))
        return x, y, len(rows) - len(ok)


def _number(value: Any) -> float:
    return float(value) if value is not None else np.nan


def _observations(
    plan: EstimationPlan, runner: _Batches, synthetic: dict[str, float] | None
) -> tuple[hm.Observations, dict[str, float] | None]:
    """The observed values, or with ``synthetic`` one run's targets at the true values."""
    spec = plan.spec
    sd = np.array([t.sd for t in spec.targets])
    if synthetic is None:
        return hm.Observations(spec.target_names, np.array([t.observed for t in spec.targets]), sd), None
    unit = np.array([[_unit_of(p, synthetic[p.name]) for p in spec.parameters]])
    _, y, failed = runner.run("synthetic", SYNTHETIC_BATCH, unit, 1)
    if failed or not len(y):
        raise EstimationFailed("--synthetic: the run at the true values failed (see synthetic/results)")
    if not np.isfinite(y[0]).all():
        bad = [n for n, v in zip(spec.target_names, y[0], strict=True) if not np.isfinite(v)]
        raise EstimationFailed(f"--synthetic: the run at the true values gives no value for {', '.join(bad)}")
    return hm.Observations(spec.target_names, y[0], sd), dict(synthetic)


def _unit_of(param, value: float) -> float:
    """The unit coordinate that maps back to ``value`` (exactly for floats; the integer's cell centre for ints)."""
    if param.kind == "int":
        return (int(value) - int(param.low) + 0.5) / (int(param.high) - int(param.low) + 1)
    return (float(value) - param.low) / (param.high - param.low)


# --------------------------------------------------------------------------------------------
# The folder
# --------------------------------------------------------------------------------------------


def _open_folder(out: Path, plan: EstimationPlan, synthetic: dict[str, float] | None) -> dict:
    """Create the folder with its manifest, or reopen it if it holds this estimation (same truth)."""
    import json

    from hashpivot.model.tools.output import git_state
    from hashpivot.model.tools.portable import project_path
    from hashpivot.model.tools.sweep.store import versions

    definition = {"sha256": plan.definition_sha256, "synthetic": synthetic}
    path = out / MANIFEST
    if path.is_file():
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(path, f"cannot read the manifest: {exc}") from None
        if manifest.get("format") != FORMAT or manifest.get("definition") != definition:
            raise ConfigError(
                path,
                "the folder holds another estimation (a different file, base scenario or --synthetic)",
                field="definition",
                accepted="the same estimation file and --synthetic values, or a new --out folder",
            )
        manifest["status"] = "running"
        return manifest
    check_new_folder(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = {
        "format": FORMAT,
        "name": plan.spec.name,
        "file": project_path(plan.source),
        "definition": definition,
        "estimation": plan.spec.model_dump(mode="json"),
        "base": {"source": project_path(plan.sweep.base_source), "sha256": plan.sweep.base_sha256},
        "created_utc": _utc_now(),
        "git": git_state(),
        "versions": versions(),
        "status": "running",
    }
    write_json_atomic(path, manifest)
    return manifest


def check_new_folder(out: Path) -> None:
    """Refuse a file, or a non-empty folder that is not an estimation's (checked before anything runs)."""
    if out.exists() and not out.is_dir():
        raise ConfigError(out, "is a file", accepted="a new folder, an empty one or this estimation's folder")
    if out.is_dir() and not (out / MANIFEST).is_file() and any(out.iterdir()):
        raise ConfigError(
            out,
            f"folder exists and is not an estimation's results folder (no {MANIFEST})",
            accepted="a new folder, an empty one or this estimation's folder",
        )


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
