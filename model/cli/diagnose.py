"""``hashpivot diagnose``: artefact checks on a finished run folder.

Examples::

    hashpivot run baseline --days 730 --out runs/out/baseline
    hashpivot diagnose runs/out/baseline           # a table of checks; exit 1 if any fails
    hashpivot diagnose runs/out/baseline --json    # the same, as JSON

Exit codes: 0 if no check fails (a check the run cannot measure is ``n/a``, not a failure), 1 if one does,
2 for a folder that is not a run (one line). See ``model/tools/diagnose.py``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

NAME = "diagnose"
HELP = "check a run folder for artefacts (hashrate swings, idle profitable MW, negative cash, ...); exit 1 if any"
EXIT_FAILED = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``diagnose``'s arguments."""
    parser.add_argument("folder", type=Path, metavar="RUN_DIR", help="a folder written by hashpivot run")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")


def main(args: argparse.Namespace) -> int:
    """Run the checks, print them, and return 1 if any failed."""
    from hashpivot.model.tools.diagnose import diagnose, failed, load_run, results_json, results_markdown

    results = diagnose(load_run(args.folder))
    if args.json:
        print(json.dumps(results_json(results, args.folder), indent=2))
    else:
        print(results_markdown(results, args.folder), end="")
    return EXIT_FAILED if failed(results) else 0
