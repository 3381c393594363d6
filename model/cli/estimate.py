"""``hashpivot estimate``: estimate scenario parameters from observations, with intervals (docs/estimation.md).

Examples::

    hashpivot estimate backtest_2024_2025 --workers 2          # runs/estimation/backtest_2024_2025.toml
    hashpivot estimate FILE --budget 200 --out runs/out/estimation/try
    hashpivot estimate FILE --synthetic "ai.addressable_share=0.4,finance.expected_btc_growth_per_year=0.1"
    hashpivot estimate FILE --resume --out DIR                 # continue a stopped estimation

Running the same estimation into the same ``--out`` again continues it: finished runs are skipped.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hashpivot.model.cli.common import (
    INPUT_ERRORS,
    OUT_ROOT,
    CommandError,
    bounded_int,
    check_executor_flags,
    error_line,
)
from hashpivot.model.config.toml_io import find_config

NAME = "estimate"
HELP = "estimate parameters from observations (history matching with emulators), with credible intervals"

EXIT_INPUT = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
MAX_WORKERS = 4096


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``estimate``'s arguments."""
    parser.add_argument("file", metavar="FILE", help="estimation file, or the name of one in runs/estimation/")
    parser.add_argument(
        "--workers",
        type=bounded_int(1, MAX_WORKERS),
        metavar="W",
        help="local worker processes (default: all CPUs; 1 runs in this process)",
    )
    parser.add_argument("--scheduler", metavar="ADDR", help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786")
    parser.add_argument(
        "--budget",
        type=bounded_int(1, 10_000_000),
        metavar="N",
        help="at most N model runs in all; waves beyond it are dropped (default: all waves of the file)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="results folder (default runs/out/estimation/<file "
        "name>, with -synthetic for --synthetic); a folder holding the same estimation is continued",
    )
    parser.add_argument("--resume", action="store_true", help="continue the estimation in --out, which must exist")
    parser.add_argument(
        "--synthetic",
        metavar='"NAME=VALUE,..."',
        help="identifiability check: replace the observations by a model run at these values, then "
        "estimate; the report says whether each true value lies in its interval",
    )


def main(args: argparse.Namespace) -> int:
    """Run (or continue) the estimation and write its tables and report.

    Returns:
        0 when done, 1 if the estimation could not finish, 2 for bad input, 130 if interrupted.
    """
    from hashpivot.model.tools.estimate.report import write_outputs
    from hashpivot.model.tools.estimate.run import EstimationFailed, run_estimation

    try:
        plan, out, synthetic = resolve(args)
        result = run_estimation(
            plan,
            out,
            workers=args.workers,
            scheduler=args.scheduler,
            budget=args.budget,
            synthetic=synthetic,
            say=lambda text: print(text, file=sys.stderr),
        )
    except INPUT_ERRORS as exc:
        print(f"hashpivot: error: {error_line(exc)}", file=sys.stderr)
        return EXIT_INPUT
    except EstimationFailed as exc:
        print(f"hashpivot: error: {error_line(exc)}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted: finished runs are saved; run the same command again to continue", file=sys.stderr)
        return EXIT_INTERRUPTED
    for path in write_outputs(result, out):
        print(f"wrote {path}")
    print(summary(result))
    return 0


def resolve(args: argparse.Namespace):
    """The plan, the output folder and the synthetic truth a command line names (all checked; nothing written).

    Raises:
        CommandError, ConfigError: Bad flags or a bad file, in one line.
    """
    from hashpivot.model.tools.estimate.run import MANIFEST, check_new_folder, planned_waves
    from hashpivot.model.tools.estimate.spec import ESTIMATION_DIR, load_estimation, parse_synthetic

    check_executor_flags(args.workers, args.scheduler)
    if args.resume and args.out is None:
        raise CommandError("--resume: needs --out DIR (accepted: --resume --out DIR, the folder to continue)")
    path = find_config(args.file, ESTIMATION_DIR)
    plan = load_estimation(path)
    synthetic = parse_synthetic(args.synthetic, plan.spec) if args.synthetic is not None else None
    planned_waves(plan, args.budget, synthetic is not None)
    stem = path.stem or "estimation"
    out = args.out or OUT_ROOT / "estimation" / (f"{stem}-synthetic" if synthetic else stem)
    if args.resume and not (out / MANIFEST).is_file():
        raise CommandError(
            f"--out {out}: nothing to resume: no {MANIFEST} (accepted: a folder written by hashpivot estimate)"
        )
    check_new_folder(out)
    return plan, out, synthetic


def summary(result) -> str:
    """The estimates in a few lines, for the terminal."""
    from hashpivot.model.tools.estimate.report import estimate_rows

    lines = [f"estimate: {result.runs_used} runs in {result.wall_time_s:.0f} s; effective sample size {result.ess:.0f}"]
    for r in estimate_rows(result):
        flag = "" if r["identified"] else "  (not identified)"
        truth = (
            ""
            if r["true_value"] is None
            else f"  true {r['true_value']:.4g} {'in' if r['true_in_interval'] else 'NOT in'} interval"
        )
        lines.append(f"  {r['parameter']}: {r['estimate']:.4g} [{r['low90']:.4g}, {r['high90']:.4g}]{flag}{truth}")
    return "\n".join(lines)


if __name__ == "__main__":
    _parser = argparse.ArgumentParser(prog="hashpivot estimate", description=HELP)
    add_arguments(_parser)
    sys.exit(main(_parser.parse_args()))
