"""Subcommands of the ``hashpivot`` command line, and the helpers they share.

Each subcommand is a module here listed in ``hashpivot.model.cli.COMMAND_MODULES`` and exposing:

* ``NAME`` -- the subcommand (``hashpivot NAME ...``);
* ``HELP`` -- one line for ``hashpivot --help``;
* ``add_arguments(parser)`` -- declares its arguments on an ``argparse`` subparser;
* ``main(args) -> int`` -- runs it and returns the exit code.

A command reports bad input by raising one of ``INPUT_ERRORS`` (``CommandError`` for its own
checks); ``hashpivot.model.cli.main`` prints it as ``hashpivot: error: <one line>`` and exits with 2. The
argument types below reject bad flag values the same way, naming the flag and the accepted range.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path

from hashpivot.model.config.scenarios import LoadedScenario, builtin_names, load_scenario
from hashpivot.model.tools.errors import INPUT_ERRORS, CommandError, check_out_option, error_line

MAX_SEED = 2**63 - 1
MIN_DAYS, MAX_DAYS = 1, 36_500
OUT_ROOT = Path("runs") / "out"
"""Default output root, relative to the working directory (``make run`` runs from the repo)."""

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")

__all__ = ["INPUT_ERRORS", "CommandError", "check_out_option", "error_line"]  # re-exported for the commands


# --------------------------------------------------------------------------------------------
# Argument types: each raises ArgumentTypeError naming what is accepted
# --------------------------------------------------------------------------------------------


def bounded_int(low: int, high: int):
    """An argparse type accepting integers in ``[low, high]`` (the error names the accepted range)."""

    def parse(text: str) -> int:
        return _integer(text, low, high)

    return parse


def _integer(text: str, low: int, high: int) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{text!r} is not valid (accepted: an integer from {low} to {high})")
    return value


def seed_type(text: str) -> int:
    """``--seed``: an integer from 0 to 2**63 - 1."""
    return _integer(text, 0, MAX_SEED)


def days_type(text: str) -> int:
    """``--days``: an integer from 1 to 36,500 (100 years)."""
    return _integer(text, MIN_DAYS, MAX_DAYS)


def date_type(text: str) -> dt.date:
    """A calendar date written ``YYYY-MM-DD``."""
    value = None
    if _ISO_DATE.fullmatch(text.strip()):
        try:
            value = dt.date.fromisoformat(text.strip())
        except ValueError:
            pass
    if value is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a valid date (accepted: a date YYYY-MM-DD, e.g. 2026-01-15)")
    return value


# --------------------------------------------------------------------------------------------
# Arguments several commands share
# --------------------------------------------------------------------------------------------


def add_scenario_argument(parser: argparse.ArgumentParser, many: bool = False) -> None:
    """Add the positional scenario (a file, or a name in ``runs/``; default: the baseline)."""
    names = ", ".join(builtin_names()) or "none installed"
    what = "scenario files or names" if many else "scenario file or name"
    parser.add_argument(
        "scenario",
        nargs="*" if many else "?",
        metavar="SCENARIO",
        help=f"{what} in runs/ ({names}); default: runs/baseline.toml, else the built-in defaults",
    )


def add_horizon_arguments(parser: argparse.ArgumentParser, what: str, default_out: str) -> None:
    """Declare ``--days`` / ``--until`` (mutually exclusive) and ``--out`` for commands that run the model."""
    horizon = parser.add_mutually_exclusive_group()
    horizon.add_argument("--days", type=days_type, help="days to simulate, 1..36500 (default: the scenario's run.days)")
    horizon.add_argument(
        "--until",
        type=date_type,
        metavar="YYYY-MM-DD",
        help="simulate up to and including this date (after the scenario's run.start_date)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help=f"output folder, replaced if it holds a previous {what} (default {default_out})",
    )


def add_set_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--set section.key=value`` (repeatable)."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario value, e.g. --set price.kind=constant (repeatable; TOML values)",
    )


def load_from_args(scenario: str | None, overrides: list[str]) -> LoadedScenario:
    """Load the scenario a command line names (see ``hashpivot.model.config.scenarios.load_scenario``)."""
    return load_scenario(Path(scenario) if scenario else None, overrides)


def default_out_dir(name: str) -> Path:
    """``runs/out/<scenario name>``, the name made safe as a single folder name."""
    safe = _SAFE_NAME.sub("_", name).strip("._") or "scenario"
    return OUT_ROOT / safe


def overrides_tag(overrides: Sequence[str]) -> str:
    """A short hash of ``--set`` overrides, in order (later ones win, so order matters): 8 hex digits."""
    return hashlib.sha256("\n".join(overrides).encode("utf-8")).hexdigest()[:8]


def default_run_dir(name: str, overrides: Sequence[str], scenario_sha256: str, seed: int, days: int) -> Path:
    """Where a run without ``--out`` goes: never over a different run.

    ``runs/out/<scenario name>``, with ``-<hash of the overrides>`` when there are ``--set`` overrides;
    if that folder holds another run (other scenario fingerprint, seed or horizon), the first of
    ``...-2``, ``...-3``, ... that is free or holds this same run. So ``hashpivot run --set ...`` never
    replaces ``runs/out/baseline`` (``make run``'s output), and re-running the same command refreshes its
    own folder.
    """
    stem = name if not overrides else f"{name}-{overrides_tag(overrides)}"
    base = default_out_dir(stem)
    wanted = {"scenario_sha256": scenario_sha256, "seed": seed, "days": days}
    for k in range(1, 10_000):
        candidate = base if k == 1 else base.with_name(f"{base.name}-{k}")
        if not candidate.exists() or (candidate.is_dir() and not any(candidate.iterdir())):
            return candidate
        held = _run_identity(candidate)
        if held == wanted:
            return candidate
    raise CommandError(f"--out: no free folder next to {base} (accepted: give --out DIR)")


def _run_identity(folder: Path) -> dict | None:
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict):
        return None
    return {k: manifest.get(k) for k in ("scenario_sha256", "seed", "days")}


def horizon_flag(days: int | None, until: dt.date | None) -> str | None:
    """The flag that set a run's horizon, as the manifest records it (``--until 2027-12-31``), or None."""
    if until is not None:
        return f"--until {until.isoformat()}"
    return None if days is None else f"--days {days}"


def horizon_days(start: dt.date, scenario_days: int, days: int | None, until: dt.date | None) -> int:
    """Number of days to simulate from ``--days``, ``--until`` or the scenario.

    Args:
        start: The scenario's ``run.start_date``.
        scenario_days: The scenario's ``run.days``.
        days: ``--days``, if given.
        until: ``--until``, if given: the last day simulated (inclusive).

    Returns:
        The number of daily steps.

    Raises:
        CommandError: ``--until`` is not after ``start`` or is more than 36,500 days after it.
    """
    if days is not None:
        return days
    if until is None:
        return scenario_days
    first = start + dt.timedelta(days=1)
    last = start + dt.timedelta(days=MAX_DAYS - 1)
    accepted = f"accepted: a date from {first.isoformat()} to {last.isoformat()}"
    if until < first:
        raise CommandError(
            f"--until {until.isoformat()}: is not after the scenario's run.start_date {start.isoformat()} ({accepted})"
        )
    if until > last:
        raise CommandError(
            f"--until {until.isoformat()}: is more than {MAX_DAYS} days after the scenario's "
            f"run.start_date {start.isoformat()} ({accepted})"
        )
    return (until - start).days + 1


def check_executor_flags(workers: int | None, scheduler: str | None) -> None:
    """``--workers`` and ``--scheduler`` (commands that run batches of runs): one of them, and no empty address.

    Raises:
        CommandError: Both given, or an empty scheduler address.
    """
    if scheduler is not None and workers is not None:
        raise CommandError(
            "--workers and --scheduler: choose one (accepted: --workers N for local processes, "
            "or --scheduler ADDRESS for a Dask cluster)"
        )
    if scheduler is not None and not scheduler.strip():
        raise CommandError("--scheduler: empty address (accepted: e.g. tcp://10.0.0.5:8786)")
