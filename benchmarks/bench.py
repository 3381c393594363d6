"""HashPivot benchmarks (issue 8): measure every target row, print a table, write docs/performance.md.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/bench.py [--quick]``). Figures are medians of
repeated runs; ratios are measured side by side in one process. Rows whose full measurement would take too
long on 2 cores are measured on a shorter horizon and scaled linearly in days -- the table says so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hashpivot.model.config.schema import Scenario  # noqa: E402
from hashpivot.model.simulation import HashpivotModel  # noqa: E402
from hashpivot.model.tools.run import simulate  # noqa: E402


def scenario_with_miners(n_miners: int) -> Scenario:
    """The baseline with the long tail and the fringe resized so the population totals ``n_miners``."""
    data = Scenario().model_dump()
    named = sum(m["count"] for m in data["miners"] if m["spread"] == "none")
    spread = n_miners - named
    us = max(1, round(spread * 0.4))
    for m in data["miners"]:
        if m["name"] == "us_tail":
            m["count"] = us
        elif m["name"] == "row_fringe":
            m["count"] = max(1, spread - us)
    return Scenario.model_validate(data)


def timed(fn, repeats: int) -> list[float]:
    """Wall seconds of ``repeats`` calls."""
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def run_days(sc: Scenario, days: int, seed: int = 0) -> HashpivotModel:
    """Run a model in-process for ``days`` and return it."""
    m = HashpivotModel(sc, seed=seed)
    for _ in range(days):
        m.step()
    return m


def boltzmann_agent_steps_per_s(n_agents: int = 1000, steps: int = 200) -> float:
    """Mesa's own BoltzmannWealth example (mesa.examples), with its data collection, at ``n_agents``."""
    from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario, BoltzmannWealth

    model = BoltzmannWealth(BoltzmannScenario(n=n_agents, width=20, height=20, rng=1))
    t = time.perf_counter()
    for _ in range(steps):
        model.step()
    return n_agents * steps / (time.perf_counter() - t)


def _one_run(seed: int) -> float:
    t = time.perf_counter()
    simulate(seed=seed)
    return time.perf_counter() - t


def peak_rss_mib() -> float:
    """Peak resident memory of this process, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv=None) -> int:
    """Measure, print and write the table."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", help="fewer repeats and shorter horizons")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    args = p.parse_args(argv)
    reps = 3 if args.quick else 5
    rows = []

    base = timed(lambda: simulate(seed=0), reps)
    rows.append(
        (
            "baseline scenario, 10 years, daily steps, in-process",
            "<= 1.0 s",
            f"{statistics.median(base):.2f} s (median of {reps})",
        )
    )

    short = 180 if args.quick else 365
    sizes = (1_000, 3_000, 10_000)
    per_size = {}
    for n in sizes:
        sc = scenario_with_miners(n)
        per_size[n] = statistics.median(timed(lambda sc=sc: run_days(sc, short), 1 if n == 10_000 else 2))
    ten_k_10y = per_size[10_000] * 3650 / short
    rows.append(
        (
            "10,000 miners (and matching sites), 10 years",
            "<= 30 s, peak memory <= 1 GiB",
            f"~{ten_k_10y:,.0f} s (measured {per_size[10_000]:.1f} s for {short} days x {3650 // short}); "
            f"peak RSS {peak_rss_mib():,.0f} MiB",
        )
    )
    slope = float(np.polyfit(np.log(sizes), np.log([per_size[n] for n in sizes]), 1)[0])
    rows.append(
        (
            "growth of cost from 1,000 to 10,000 miners",
            "log-log slope <= 1.05",
            f"slope {slope:.2f} ({', '.join(f'{n:,}: {per_size[n]:.1f} s' for n in sizes)}; {short} days)",
        )
    )

    boltz = boltzmann_agent_steps_per_s()
    ours = 1_000 * short / per_size[1_000]
    rows.append(
        (
            "agent-step throughput vs Mesa BoltzmannWealth at 1,000 agents",
            ">= 3x",
            f"{ours / boltz:.2f}x ({ours:,.0f} vs {boltz:,.0f} agent-steps/s; an agent-step = one miner-day)",
        )
    )

    n_runs = 4 if args.quick else 10
    ctx = get_context("spawn")
    t = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        list(pool.map(_one_run, range(n_runs)))
    per_run = (time.perf_counter() - t) / n_runs
    rows.append(
        (
            "`hashpivot sweep`-style: 1,000 10-year baseline runs, 2 workers",
            "<= 20 minutes",
            f"~{per_run * 1000 / 60:,.0f} min, {60 / per_run:.1f} runs/min (measured {n_runs} runs: "
            f"{per_run:.2f} s each, 2 workers)",
        )
    )

    ui = ui_step_ms()
    rows.append(("UI step at default settings", "<= 50 ms", ui))
    rows.append(("UI days per second at day 3,000 vs day 30", ">= 80%", ui_speed()))
    rows.append(("`hashpivot calibrate --seeds 30` (2 workers)", "<= 60 s", calibrate_s(4 if args.quick else 30)))

    from benchmarks.numba_alternative import summary as numba_summary
    from benchmarks.phases import markdown as phase_table

    phases = phase_table(days=730 if args.quick else 3650)
    phases += (
        "\n\nMeasured alternative, the hottest numeric kernel compiled "
        f"(`python benchmarks/numba_alternative.py`): {numba_summary()}."
    )
    text = render(rows, args.quick, phases)
    print(text)
    args.out.write_text(text)
    return 0


def calibrate_s(seeds: int) -> str:
    """Wall seconds of ``hashpivot calibrate --seeds N --workers 2`` (its tables to a scratch folder)."""
    import subprocess
    import tempfile

    cli = Path(sys.executable).parent / "hashpivot"
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        done = subprocess.run(
            [str(cli), "calibrate", "--seeds", str(seeds), "--workers", "2", "--out", tmp], capture_output=True
        )
        if done.returncode not in (0, 1):  # 1: a seed-fact row fails (docs/calibration.md says which)
            raise RuntimeError(done.stderr.decode())
        wall = time.perf_counter() - t
    scaled = "" if seeds == 30 else f" (measured with {seeds} seeds, x {30 / seeds:.1f})"
    return f"{wall * 30 / seeds:.0f} s{scaled}"


def ui_step_ms() -> str:
    """Median ms of one Step in the SolaraViz page (benchmarks/ui_step.py)."""
    from benchmarks.ui_step import median_step_ms

    return f"{median_step_ms():.0f} ms (median of 30 steps after 5 warm-up, Python side incl. every view)"


def ui_speed() -> str:
    """Days per second of the UI at day 30 and day 3,000 (benchmarks/ui_speed.py)."""
    from benchmarks.ui_speed import summary

    return summary()


def render(rows, quick: bool, phases: str) -> str:
    """The performance table as Markdown."""
    import mesa

    head = [
        "# Performance",
        "",
        f"Measured by `make bench` (`python benchmarks/bench.py{' --quick' if quick else ''}`) on "
        f"{dt.date.today().isoformat()}: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, Mesa {mesa.__version__}, NumPy {np.__version__}.",
        "",
        "| what | target | measured |",
        "|---|---|---|",
    ]
    body = [f"| {w} | {t} | {m} |" for w, t, m in rows]
    body += ["", "Where the time of a 10-year baseline run goes (`python benchmarks/phases.py`):", "", phases]
    notes_path = ROOT / "docs" / "performance-notes.md"
    notes = ["", notes_path.read_text()] if notes_path.exists() else []
    return "\n".join(head + body + notes) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
