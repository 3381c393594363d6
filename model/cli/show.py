"""``hashpivot show``: print a scenario fully resolved, as a TOML file that loads back the same."""

from __future__ import annotations

import argparse

from hashpivot.model.cli.common import add_scenario_argument, add_set_argument, load_from_args
from hashpivot.model.config.scenarios import LoadedScenario
from hashpivot.model.config.toml_io import dump_toml

NAME = "show"
HELP = "print a scenario fully resolved (every default filled in) as TOML"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``show``'s arguments."""
    add_scenario_argument(parser)
    add_set_argument(parser)


def main(args: argparse.Namespace) -> int:
    """Print the resolved scenario."""
    print(render(load_from_args(args.scenario, args.overrides)), end="")
    return 0


def render(loaded: LoadedScenario) -> str:
    """The scenario as TOML with a provenance header.

    Python-mode dumping keeps dates and date-times as TOML dates rather than strings; both read
    back to the same scenario.

    Args:
        loaded: The scenario.

    Returns:
        A TOML document.
    """
    chain = " <- ".join(str(p) for p in loaded.chain) or "none (schema defaults)"
    header = "\n".join(
        [
            f"HashPivot scenario {loaded.name!r}, fully resolved: every default filled in.",
            f"source: {loaded.source}",
            f"files: {chain}",
            f"overrides: {' '.join(loaded.overrides) or 'none'}",
            f"sha256: {loaded.sha256}",
            "Written by `hashpivot show`; this file is itself a valid scenario.",
        ]
    )
    return dump_toml(loaded.scenario.model_dump(mode="python"), header=header)
