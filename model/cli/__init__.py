"""The ``hashpivot`` command line: a small registry of subcommands.

Usage::

    hashpivot run [SCENARIO] [--seed S] [--days N | --until YYYY-MM-DD] [--out DIR]
                  [--set key=value ...] [--check-invariants]
    hashpivot validate [SCENARIO ...] [--set key=value ...]
    hashpivot show [SCENARIO] [--set key=value ...]

SCENARIO is a TOML file or the name of one in ``runs/`` (``hashpivot run btc_bear``).

Each subcommand lives in ``model/cli/<name>.py`` (see ``model/cli/__init__.py`` for
the interface); to add one, write the module and append its name to ``COMMAND_MODULES``.

Bad input of any kind -- a file, a value, a flag -- ends with one line on stderr,
``hashpivot: error: <file or flag>: <field>: <problem> (accepted: ...)``, and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from importlib import metadata
from types import ModuleType
from typing import NoReturn

from hashpivot.model.cli.common import INPUT_ERRORS, error_line

PROG = "hashpivot"
COMMAND_MODULES = [
    "run",
    "validate",
    "show",
    "calibrate",
    "ui",
    "sweep",
    "sensitivity",
    "ensemble",
    "report",
    "compare",
    "discover",
    "diagnose",
    "estimate",
]
"""Subcommand modules under ``model/cli/``, in the order ``--help`` lists them."""

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """A command-line usage error (argparse's message, one line)."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises instead of printing a usage block and exiting."""

    def error(self, message: str) -> NoReturn:
        """Raise ``UsageError`` naming the subcommand, so ``main`` reports it on one line."""
        command = self.prog.removeprefix(PROG).strip()
        raise UsageError(f"{command}: {message}" if command else message)


def load_commands(names: Sequence[str] = COMMAND_MODULES) -> list[ModuleType]:
    """Import the subcommand modules.

    Args:
        names: Module names under ``hashpivot.model.cli.common``.

    Returns:
        The modules, in order.
    """
    return [importlib.import_module(f"hashpivot.model.cli.{name}") for name in names]


def build_parser(commands: Sequence[ModuleType] | None = None) -> argparse.ArgumentParser:
    """The top-level parser with one subparser per command module.

    Args:
        commands: Command modules (default: ``load_commands()``).

    Returns:
        The parser; ``args.handler`` is the chosen command's ``main``.
    """
    parser = _Parser(
        prog=PROG,
        description="HashPivot: agent-based simulator of Bitcoin miners pivoting to AI.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in commands if commands is not None else load_commands():
        sub = subparsers.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(handler=module.main)
    return parser


def _version() -> str:
    try:
        return metadata.version("hashpivot")
    except metadata.PackageNotFoundError:
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``hashpivot`` command line.

    Args:
        argv: Arguments without the program name (default: ``sys.argv[1:]``).

    Returns:
        The exit code: 0 on success, 2 for bad input (one line on stderr), 130 if interrupted.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
        args.argv = [PROG, *argv]  # for the run manifest
        return args.handler(args)
    except UsageError as exc:
        return _fail(error_line(exc))
    except INPUT_ERRORS as exc:
        return _fail(error_line(exc))
    except SystemExit as exc:  # --help and --version exit through argparse
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`hashpivot show | head`): nothing left to say, and Python
        # must not complain again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return EXIT_USAGE
