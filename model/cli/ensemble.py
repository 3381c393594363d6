"""``hashpivot ensemble``: run one scenario over seeds 0..N-1 and write a run folder per seed.

Layout of the output folder::

    DIR/seed-0000/   a complete run folder (timeseries, agents, ..., manifest.json), as `run` writes
    DIR/seed-0001/
    ...
    DIR/ensemble.json   scenario name, source and sha256, seeds, days, command, git, versions

The seeds run in a process pool (spawn context: no state leaks from the parent into a run). The
whole ensemble is written to a hidden sibling folder and renamed into place only when every seed
has finished, so ``DIR`` either holds a complete ensemble or is left as it was.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from hashpivot.model.cli.common import (
    CommandError,
    add_horizon_arguments,
    add_scenario_argument,
    add_set_argument,
    bounded_int,
    check_out_option,
    default_out_dir,
    horizon_days,
    horizon_flag,
    load_from_args,
)
from hashpivot.model.config.scenarios import BUILTIN, LoadedScenario

# The atomic-folder helpers of `run`, so an ensemble is replaced exactly as a run is.
from hashpivot.model.tools.output import ENSEMBLE_FILE, git_state, package_versions, write_atomically
from hashpivot.model.tools.portable import portable_argv, project_path
from hashpivot.model.tools.progress import Progress

NAME = "ensemble"
HELP = "run a scenario over seeds 0..N-1 in parallel and write one run folder per seed"

FORMAT = "hashpivot-ensemble/1"
MAX_SEEDS = 10_000
MAX_WORKERS = 256
SUMMARY_COLUMNS = (
    ("network_hashrate_ehs", "network hashrate, EH/s"),
    ("hashprice_usd_per_ph_day", "hashprice, USD/PH/day"),
    ("mw_ai_leased", "MW AI leased"),
    ("btc_revenue_share", "BTC revenue share"),
)


def seed_dir(seed: int) -> str:
    """The folder name of one seed's run (``seed-0007``)."""
    return f"seed-{seed:04d}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``ensemble``'s arguments."""
    add_scenario_argument(parser)
    parser.add_argument(
        "--seeds",
        type=bounded_int(1, MAX_SEEDS),
        default=10,
        metavar="N",
        help=f"ensemble size: seeds 0..N-1 (1..{MAX_SEEDS}, default 10)",
    )
    parser.add_argument(
        "--workers",
        type=bounded_int(1, MAX_WORKERS),
        metavar="W",
        help="processes (default: one per CPU, at most N; 1 runs in this process)",
    )
    add_horizon_arguments(parser, "ensemble", "runs/out/<name>-ensemble")
    add_set_argument(parser)


def main(args: argparse.Namespace) -> int:
    """Load, check the output folder, run every seed, write, summarise."""
    loaded = load_from_args(args.scenario, args.overrides)
    run = loaded.scenario.run
    days = horizon_days(run.start_date, run.days, args.days, args.until)
    out = args.out if args.out is not None else default_out_dir(f"{loaded.name}-ensemble")
    check_out_option(out, ENSEMBLE_FILE, "ensemble")  # before the runs, so a bad --out costs nothing
    seeds = list(range(args.seeds))
    workers = args.workers or max(1, min(len(seeds), os.cpu_count() or 1))
    argv = getattr(args, "argv", None) or ["hashpivot", *sys.argv[1:]]
    started = time.perf_counter()
    try:
        with Progress(len(seeds), "ensemble", "seeds") as progress:
            finals = write_ensemble(
                loaded, seeds, days, out, argv, workers, progress, horizon_flag(args.days, args.until)
            )
    except OSError as exc:
        raise CommandError(f"--out {out}: cannot write: {exc.strerror or exc}") from exc
    print(summary(loaded.name, seeds, days, finals))
    print(f"wrote {out} in {time.perf_counter() - started:.1f} s")
    return 0


def write_ensemble(
    loaded: LoadedScenario,
    seeds: Sequence[int],
    days: int,
    out: Path,
    argv: Sequence[str],
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    horizon: str | None = None,
) -> list[dict[str, float]]:
    """Run every seed and write the ensemble folder, all or nothing.

    Args:
        loaded: The scenario and its provenance.
        seeds: The seeds, one run each.
        days: Days to simulate.
        out: The folder to create or replace.
        argv: The command line, for the manifests.
        workers: Processes; 1 runs the seeds in this process.
        progress: Called as ``progress(done, total)`` after each seed.
        horizon: The flag that set ``days`` (``--until ...``), for the manifests.

    Returns:
        Per seed (in order), the final values of ``SUMMARY_COLUMNS`` and the wall time.

    Raises:
        CommandError: ``out`` cannot be used.
        OSError: The file system refused a write.
    """
    out = Path(os.path.abspath(out))
    check_out_option(out, ENSEMBLE_FILE, "ensemble")
    finals: list[dict[str, float]] = []

    def fill(tmp: Path) -> None:
        tasks = [(loaded, seed, days, str(tmp / seed_dir(seed)), list(argv), horizon) for seed in seeds]
        finals.extend(_run_all(tasks, workers, progress))
        info = ensemble_info(loaded, seeds, days, argv, workers, finals)
        text = json.dumps(info, indent=2, ensure_ascii=False, allow_nan=False)
        (tmp / ENSEMBLE_FILE).write_text(text + "\n", encoding="utf-8")

    write_atomically(out, fill)
    return finals


def _run_all(tasks: list[tuple], workers: int, progress: Callable[[int, int], None] | None) -> list[dict[str, float]]:
    """Run the tasks in order (one process) or in a spawn pool; results in task order."""
    if workers <= 1 or len(tasks) <= 1:
        results = []
        for task in tasks:
            results.append(run_seed(task))
            if progress:
                progress(len(results), len(tasks))
        return results
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=get_context("spawn"))
    try:
        futures = [pool.submit(run_seed, task) for task in tasks]
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in done:
                future.result()  # re-raise a worker's error at once
            if progress:
                progress(len(tasks) - len(pending), len(tasks))
        return [f.result() for f in futures]
    finally:
        # On an error or Ctrl-C, do not start the seeds still queued.
        pool.shutdown(wait=True, cancel_futures=True)


def run_seed(task: tuple) -> dict[str, float]:
    """Simulate one seed and write its run folder (runs in a worker process).

    Args:
        task: ``(loaded, seed, days, folder, argv, horizon flag or None)``.

    Returns:
        The final values of ``SUMMARY_COLUMNS`` and ``wall_time_s``.
    """
    from hashpivot.model.tools.output import manifest, write_run
    from hashpivot.model.tools.run import simulate

    loaded, seed, days, folder, argv, horizon = task
    started = time.perf_counter()
    result = simulate(loaded.scenario, seed=seed, days=days)
    wall = time.perf_counter() - started
    write_run(result, Path(folder), manifest(loaded, seed, days, argv, wall, horizon))
    finals = {c: float(result.timeseries[c][-1]) for c, _ in SUMMARY_COLUMNS}
    return {**finals, "wall_time_s": round(wall, 3)}


def ensemble_info(
    loaded: LoadedScenario,
    seeds: Sequence[int],
    days: int,
    argv: Sequence[str],
    workers: int,
    finals: Sequence[dict[str, float]],
) -> dict[str, Any]:
    """The ``ensemble.json`` of a finished ensemble (JSON-serialisable)."""
    import datetime as dt

    return {
        "format": FORMAT,
        "scenario_name": loaded.name,
        "scenario_source": loaded.source if loaded.source == BUILTIN else project_path(loaded.source),
        "scenario_sha256": loaded.sha256,
        "scenario_chain": [project_path(p) for p in loaded.chain],
        "overrides": list(loaded.overrides),
        "seeds": list(seeds),
        "runs": [seed_dir(s) for s in seeds],
        "days": days,
        "start_date": loaded.scenario.run.start_date.isoformat(),
        "command": portable_argv(argv),
        "workers": workers,
        "git": git_state(),
        "python": platform.python_version(),
        "packages": package_versions(),
        "wall_time_s": round(sum(f["wall_time_s"] for f in finals), 3),
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def summary(name: str, seeds: Sequence[int], days: int, finals: Sequence[dict]) -> str:
    """Final-day ensemble mean and 5th-95th percentile of a few outputs."""
    lines = [f"{name}: {len(seeds)} seeds ({seeds[0]}..{seeds[-1]}), {days} days; final day:"]
    width = max(len(label) for _, label in SUMMARY_COLUMNS)
    for column, label in SUMMARY_COLUMNS:
        values = np.array([f[column] for f in finals], dtype=float)
        values = values[np.isfinite(values)]
        if values.size == 0:
            text = "n/a"
        else:
            low, high = np.percentile(values, [5, 95])
            text = f"{_num(values.mean())} [90%: {_num(low)}, {_num(high)}]"
        lines.append(f"  {label:<{width}}  {text}")
    from hashpivot.model.tools.report.formatting import rough_note

    rough = rough_note(len(seeds))
    return "\n".join([*lines, f"note: {rough}"] if rough else lines)


def _num(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    return f"{x:,.3f}" if abs(x) < 10 else f"{x:,.1f}"
