"""``hashpivot sensitivity``: Sobol or Morris indices of a finished sweep's outputs.

Example::

    hashpivot sensitivity runs/out/sweeps/example --output mw_ai_leased_final

writes ``sensitivity/<metric>.csv``, ``.md``, ``.png`` and ``.svg`` into the sweep folder and
prints the Markdown table. Without ``--output`` every numeric output is analysed; one that is
constant over the design is skipped with a note.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hashpivot.model.cli.common import INPUT_ERRORS, CommandError, error_line

NAME = "sensitivity"
HELP = "Sobol or Morris sensitivity indices of a sweep's outputs (CSV, Markdown, bar chart)"

EXIT_INPUT = 2


def _resamples(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 10 <= value <= 100_000:
        raise argparse.ArgumentTypeError(f"{text!r} is not valid (accepted: an integer from 10 to 100000)")
    return value


def _level(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.5 <= value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not valid (accepted: a number >= 0.5 and < 1, e.g. 0.95)")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``sensitivity``'s arguments."""
    parser.add_argument("sweep_dir", type=Path, metavar="SWEEP_DIR", help="a sweep's results folder")
    parser.add_argument(
        "--output",
        dest="outputs",
        action="append",
        metavar="METRIC",
        help="output (metric name) to analyse; repeatable (default: every numeric output)",
    )
    parser.add_argument(
        "--resamples",
        type=_resamples,
        default=1000,
        metavar="N",
        help="bootstrap resamples for confidence intervals (default 1000)",
    )
    parser.add_argument(
        "--conf-level",
        type=_level,
        default=0.95,
        metavar="P",
        help="confidence level of the intervals (default 0.95)",
    )


def main(args: argparse.Namespace) -> int:
    """Analyse, write the report files, print the tables.

    Returns:
        0 on success, 2 for bad input (one line on stderr).
    """
    from hashpivot.model.tools.sensitivity import (
        ConstantOutput,
        analyze_sweep,
        markdown,
        numeric_metrics,
        sweep_spec,
        write_report,
    )

    try:
        if not args.sweep_dir.is_dir():
            raise CommandError(
                f"{args.sweep_dir}: not a folder (accepted: a results folder written by hashpivot sweep)"
            )
        spec = sweep_spec(args.sweep_dir)
        explicit = bool(args.outputs)
        metrics = list(dict.fromkeys(args.outputs or numeric_metrics(spec)))
        reports = []
        for metric in metrics:
            try:
                result = analyze_sweep(args.sweep_dir, metric, resamples=args.resamples, conf_level=args.conf_level)
            except ConstantOutput as exc:
                if explicit:
                    raise
                print(f"note: skipped {metric}: {error_line(exc)}", file=sys.stderr)
                continue
            reports.append((result, write_report(args.sweep_dir, result)))
            for warning in result.warnings:
                print(f"warning: {metric}: {warning}", file=sys.stderr)
    except INPUT_ERRORS as exc:
        print(f"hashpivot: error: {error_line(exc)}", file=sys.stderr)
        return EXIT_INPUT
    for result, files in reports:
        print(markdown(result))
        print(f"wrote {', '.join(str(f) for f in files)}\n")
    return 0
