"""``hashpivot discover``: scenario discovery (PRIM) on a finished sweep.

Example::

    hashpivot discover runs/out/sweeps/us_exodus --output us_share_ratio --below 0.7

prints the boxes of parameter space where the outcome happens -- coverage, density and the parameter
ranges -- and writes ``discover/<metric>_<below|above>_<X>.md``, ``.csv``, ``.json``, ``.png`` and ``.svg``
into the sweep folder (``hashpivot report`` includes them). See ``model/tools/discover.py``.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from hashpivot.model.cli.common import CommandError, bounded_int

NAME = "discover"
HELP = "scenario discovery on a sweep: PRIM boxes where an output is above or below a threshold"


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not valid (accepted: a finite number)")
    return value


def _share(low: float, high: float):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not low < value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is not valid (accepted: a number > {low:g} and <= {high:g})")
        return value

    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``discover``'s arguments."""
    parser.add_argument("sweep_dir", type=Path, metavar="SWEEP_DIR", help="a sweep's results folder")
    parser.add_argument("--output", required=True, metavar="METRIC", help="the sweep output (metric name) to explain")
    side = parser.add_mutually_exclusive_group(required=True)
    side.add_argument("--above", type=_number, metavar="X", help="cases of interest: runs with METRIC > X")
    side.add_argument("--below", type=_number, metavar="X", help="cases of interest: runs with METRIC < X")
    parser.add_argument(
        "--boxes", type=bounded_int(1, 10), default=1, metavar="N", help="boxes to look for (1..10, default 1)"
    )
    parser.add_argument(
        "--min-coverage",
        type=_share(0.0, 1.0),
        default=0.5,
        metavar="C",
        help="choose the densest box covering at least this share of the cases (default 0.5)",
    )
    parser.add_argument(
        "--peel-alpha",
        type=_share(0.0, 0.5),
        default=0.05,
        metavar="A",
        help="share of runs PRIM peels off per step (default 0.05)",
    )
    parser.add_argument(
        "--mass-min",
        type=_share(0.0, 1.0),
        default=0.05,
        metavar="M",
        help="smallest box, as a share of the runs (default 0.05)",
    )


def main(args: argparse.Namespace) -> int:
    """Run PRIM, write the files, print the boxes."""
    from hashpivot.model.tools.discover import discover, markdown, write_discovery

    if not args.sweep_dir.is_dir():
        raise CommandError(f"{args.sweep_dir}: not a folder (accepted: a results folder written by hashpivot sweep)")
    found = discover(
        args.sweep_dir,
        args.output,
        above=args.above,
        below=args.below,
        boxes=args.boxes,
        min_coverage=args.min_coverage,
        peel_alpha=args.peel_alpha,
        mass_min=args.mass_min,
    )
    files = write_discovery(args.sweep_dir, found)
    print(markdown(found))
    print(f"wrote {', '.join(str(f) for f in files)}")
    return 0
