"""``hashpivot validate``: check scenario files without running them."""

from __future__ import annotations

import argparse
import sys

from hashpivot.model.cli.common import (
    INPUT_ERRORS,
    add_scenario_argument,
    add_set_argument,
    error_line,
    load_from_args,
)

NAME = "validate"
HELP = "check scenario files (schema, data files, region ids) without running them"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``validate``'s arguments."""
    add_scenario_argument(parser, many=True)
    add_set_argument(parser)


def main(args: argparse.Namespace) -> int:
    """Validate each scenario; print ``ok: ...`` or one error line each; 2 if any failed."""
    failed = False
    for scenario in args.scenario or [None]:
        try:
            loaded = load_from_args(scenario, args.overrides)
        except INPUT_ERRORS as exc:
            print(f"hashpivot: error: {error_line(exc)}", file=sys.stderr)
            failed = True
            continue
        print(f"ok: {loaded.source} (sha256 {loaded.sha256})")
    return 2 if failed else 0
