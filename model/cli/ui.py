"""``hashpivot ui``: open the Mesa browser UI (model/tools/ui/) on a scenario."""

from __future__ import annotations

import argparse

from hashpivot.model.cli.common import add_scenario_argument

NAME = "ui"
HELP = "serve the browser UI (Mesa/Solara) to watch miners pivot, step by step"

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def port_type(text: str) -> int:
    """``--port``: an integer from 1 to 65535."""
    try:
        value = int(text.strip())
    except ValueError:
        value = 0
    if not 1 <= value <= 65_535:
        raise argparse.ArgumentTypeError(f"{text!r} is not valid (accepted: an integer from 1 to 65535)")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``ui``'s arguments: ``[SCENARIO] [--host 127.0.0.1] [--port 8765]``."""
    add_scenario_argument(parser)
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to bind (default {DEFAULT_HOST}: this machine only; 0.0.0.0 shares the page on the network)",
    )
    parser.add_argument(
        "--port", type=port_type, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})"
    )


def main(args: argparse.Namespace) -> int:
    """Serve the page until interrupted; a bad scenario is reported before the server starts."""
    # Imported here: Solara, Mesa's visualisation and Altair take seconds to import, and every
    # other command would pay for them when the command line builds its parser.
    from hashpivot.model.tools.ui import serve

    return serve(args.scenario, host=args.host, port=args.port)
