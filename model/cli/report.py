"""``hashpivot report``: figures, tables and a document from a run, ensemble or sweep folder.

Examples::

    hashpivot report runs/out/baseline                     # -> runs/out/baseline/report/report.md
    hashpivot report runs/out/baseline-ensemble --format html --out reports/baseline

The folder's kind is found by its files (``ensemble.json``; a run's ``manifest.json`` and
``timeseries.parquet``; a sweep's ``manifest.json`` and ``results/``). See ``model/tools/report/``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hashpivot.model.tools.report import FORMATS

NAME = "report"
HELP = "write a research report (figures, tables, Markdown/HTML) for a run, ensemble or sweep"


def document_format(text: str) -> str:
    """The ``--format`` of ``report`` and ``compare`` (an argparse type): one of the report ``FORMATS``."""
    if text not in FORMATS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a report format (accepted: {', '.join(FORMATS)})")
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``report``'s arguments."""
    parser.add_argument("folder", type=Path, metavar="DIR", help="a run, ensemble or sweep output folder")
    parser.add_argument(
        "--format",
        type=document_format,
        default="md",
        help="document format: md (report.md beside figures/ and tables/), html (report.html, one "
        "self-contained file: figures and tables embedded) or pdf (that page printed by headless Chromium); "
        "default md",
    )
    parser.add_argument(
        "--no-svg",
        dest="svg",
        action="store_false",
        help="write figures as PNG only (default: SVG and PNG); for small example folders",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="report folder, replaced if it holds a previous report (default DIR/report)",
    )


def main(args: argparse.Namespace) -> int:
    """Build the report and say where it is."""
    from hashpivot.model.tools.report import build_report

    out = args.out if args.out is not None else args.folder / "report"
    argv = getattr(args, "argv", None) or ["hashpivot", *sys.argv[1:]]
    document = build_report(args.folder, out, args.format, argv, svg=args.svg)
    print(f"wrote {document}")
    return 0
