"""``hashpivot sweep``: run a parameter sweep on this machine or a Dask cluster, resumably.

Examples::

    hashpivot sweep runs/sweeps/example.toml                   # all local CPUs
    hashpivot sweep example --workers 2 --out runs/out/sweeps/example
    hashpivot sweep example --scheduler tcp://10.0.0.5:8786    # a Dask cluster
    hashpivot sweep --resume --out runs/out/sweeps/example     # continue from the manifest

Running the same sweep into the same ``--out`` again resumes it: finished runs are skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Iterator
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
from hashpivot.model.tools.sweep.spec import SWEEPS_DIR, SweepPlan, load_sweep, plan_from_manifest
from hashpivot.model.tools.sweep.store import MANIFEST, read_manifest

NAME = "sweep"
HELP = "run a parameter sweep (factorial, LHS, Sobol or Morris) locally or on a Dask cluster"

EXIT_INPUT = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
MAX_WORKERS = 4096


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is not valid (accepted: seconds, > 0 and <= 3600)")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``sweep``'s arguments."""
    parser.add_argument(
        "sweep",
        nargs="?",
        metavar="SWEEP.toml",
        help="sweep file, or the name of one in runs/sweeps/ (may be omitted with --resume)",
    )
    parser.add_argument(
        "--workers",
        type=bounded_int(1, MAX_WORKERS),
        metavar="N",
        help="local worker processes (default: all CPUs; 1 runs in this process)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask cluster instead, e.g. tcp://10.0.0.5:8786 (see docs/sweeps.md)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="results folder (default runs/out/sweeps/<sweep file name>); a folder holding the same sweep is resumed",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the sweep in --out, which must exist; without SWEEP.toml the definition "
        "is read from its manifest",
    )
    parser.add_argument(
        "--format",
        choices=("parquet", "csv"),
        default="parquet",
        help="parquet: results as Parquet parts (always written; resumable); csv: also results.csv (and "
        "series.csv) in the folder, one row per run, for spreadsheets (default parquet)",
    )
    parser.add_argument(
        "--flush-every",
        type=bounded_int(1, 1_000_000),
        default=100,
        metavar="N",
        help="write a results part every N finished runs (default 100)",
    )
    parser.add_argument(
        "--flush-seconds",
        type=_seconds,
        default=5.0,
        metavar="S",
        help="...or every S seconds, whichever comes first (default 5)",
    )


def main(args: argparse.Namespace) -> int:
    """Run (or resume) the sweep and print a summary.

    Returns:
        0 when every run of this session finished (ok or failed), 1 if runs were lost to
        worker failures, 2 for bad input (one line on stderr), 130 if interrupted.
    """
    from hashpivot.model.tools.sweep.execute import SweepFailed, run_sweep

    try:
        plan, out = resolve(args)
        with _terminate_as_interrupt():
            summary = run_sweep(
                plan,
                out,
                workers=args.workers,
                scheduler=args.scheduler,
                must_exist=args.resume,
                flush_rows=args.flush_every,
                flush_seconds=args.flush_seconds,
                argv=getattr(args, "argv", None) or ["hashpivot", *sys.argv[1:]],
            )
    except INPUT_ERRORS as exc:
        print(f"hashpivot: error: {error_line(exc)}", file=sys.stderr)
        return EXIT_INPUT
    except SweepFailed as exc:
        print(f"hashpivot: error: {error_line(exc)}", file=sys.stderr)
        return EXIT_FAILED
    print(summary.text())
    if args.format == "csv" and not summary.interrupted:
        from hashpivot.model.tools.sweep.store import export_csv

        for path in export_csv(out):
            print(f"wrote {path}")
    if summary.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_FAILED if summary.lost else 0


def resolve(args: argparse.Namespace) -> tuple[SweepPlan, Path]:
    """The sweep plan and output folder a command line names.

    Raises:
        CommandError: Contradictory or missing arguments.
        ConfigError: The sweep file (or the manifest) is unusable.
    """
    check_executor_flags(args.workers, args.scheduler)
    if args.sweep is None:
        if not (args.resume and args.out is not None):
            raise CommandError(
                "SWEEP.toml: missing (accepted: a sweep file, or --resume --out DIR to continue "
                "the sweep stored in DIR)"
            )
        manifest = read_manifest(args.out)
        return plan_from_manifest(manifest, str(args.out / MANIFEST)), args.out
    path = find_config(args.sweep, SWEEPS_DIR)
    plan = load_sweep(path)
    return plan, args.out if args.out is not None else default_out(path)


def default_out(sweep_file: Path) -> Path:
    """``runs/out/sweeps/<sweep file stem>``."""
    return OUT_ROOT / "sweeps" / (sweep_file.stem or "sweep")


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM (``kill``, a batch scheduler's time limit) like Ctrl-C: save, then stop."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # ``python -m hashpivot.model.cli.sweep ...`` without the full CLI
    _parser = argparse.ArgumentParser(prog="hashpivot sweep", description=HELP)
    add_arguments(_parser)
    sys.exit(main(_parser.parse_args()))
