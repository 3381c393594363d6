"""Bad input, as the tools report it: one line naming the file or flag, the field and what is accepted.

The command line (``hashpivot.model.cli``) prints any of ``INPUT_ERRORS`` as ``hashpivot: error: <line>`` and
exits with 2; the tools raise them, so they never depend on the command line.
"""

from __future__ import annotations

from pathlib import Path

from hashpivot.model.config.errors import ConfigError
from hashpivot.model.tools.output import MANIFEST, OutputError, check_out_dir
from hashpivot.model.tools.run import NonFiniteOutput
from hashpivot.model.world.price import PriceInputError
from hashpivot.model.world.regions import RegionDataError


class CommandError(ValueError):
    """Bad input a tool or command found itself (e.g. ``--until`` before the start); one line."""


INPUT_ERRORS = (ConfigError, PriceInputError, RegionDataError, OutputError, CommandError, NonFiniteOutput)
"""What a tool raises for bad input: reported in one line, exit code 2.

``NonFiniteOutput`` is here too: a scenario whose accepted values drive a run to an overflow is reported
like a value out of range, before anything is written."""


def error_line(exc: BaseException) -> str:
    """The one-line text of an input error (line breaks inside file names joined)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def check_out_option(out: Path, marker: str = MANIFEST, kind: str = "run output") -> None:
    """``check_out_dir`` for an ``--out`` option: the same refusal, as a one-line ``CommandError``."""
    try:
        check_out_dir(out, marker, kind)
    except OutputError as exc:
        raise CommandError(f"--out {exc}") from exc
