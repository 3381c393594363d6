"""``hashpivot compare``: scenarios side by side, from run or ensemble folders.

Example::

    hashpivot ensemble baseline --seeds 10 --out runs/out/baseline-ensemble
    hashpivot ensemble no_ai_boom --seeds 10 --out runs/out/no_ai_boom-ensemble
    hashpivot compare runs/out/baseline-ensemble runs/out/no_ai_boom-ensemble

The first folder is the reference: the key-metrics table gives every other folder's difference
against it. See ``model/tools/compare.py``.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from hashpivot.model.cli.common import OUT_ROOT
from hashpivot.model.cli.report import document_format
from hashpivot.model.tools.report import FORMATS

NAME = "compare"
HELP = "compare run or ensemble folders side by side (shared axes, key metrics and differences)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``compare``'s arguments."""
    parser.add_argument(
        "folders",
        type=Path,
        nargs="+",
        metavar="DIR",
        help="two or more run or ensemble folders; the first is the reference",
    )
    parser.add_argument(
        "--format",
        type=document_format,
        default="md",
        help=f"document format: {', '.join(FORMATS)} (compare.md; compare.html self-contained; its PDF); default md",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output folder, replaced if it holds a previous comparison "
        "(default runs/out/compare/<first>_vs_<second>...)",
    )


def main(args: argparse.Namespace) -> int:
    """Build the comparison and say where it is."""
    from hashpivot.model.tools.compare import build_comparison

    out = args.out if args.out is not None else default_out(args.folders)
    argv = getattr(args, "argv", None) or ["hashpivot", *sys.argv[1:]]
    document = build_comparison(args.folders, out, args.format, argv)
    print(f"wrote {document}")
    return 0


def default_out(folders: list[Path]) -> Path:
    """``runs/out/compare/<a>_vs_<b>...`` from the folders' names, made safe."""
    names = [re.sub(r"[^A-Za-z0-9_.-]+", "_", f.resolve().name).strip("._") or "dir" for f in folders]
    return OUT_ROOT / "compare" / "_vs_".join(names)
