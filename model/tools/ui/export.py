"""Export: write the run the page is showing as a run folder, the same files and manifest as ``hashpivot run``.

The folder is written by ``output.write_run`` from ``run.collect`` of the page's model, with the
manifest of ``output.manifest``: the scenario as loaded (the page's changes are its ``--set``
overrides), the seed, the days stepped, and as ``command`` the ``hashpivot run`` command line that
writes the same tables again. ``wall_time_s`` is the time the page spent stepping the model.
"""

from __future__ import annotations

import re
from pathlib import Path

from hashpivot.model.config.scenarios import BUILTIN
from hashpivot.model.tools.output import manifest, write_run
from hashpivot.model.tools.run import collect
from hashpivot.model.tools.ui.params import InputError
from hashpivot.model.tools.ui.uimodel import UiModel, reading

EXPORT_ROOT = Path("runs") / "out" / "ui"
"""Where exports go by default, relative to the folder ``hashpivot ui`` was started in."""

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def default_folder(model: UiModel) -> Path:
    """``runs/out/ui/<scenario>-seed<S>-day<N>``: one folder per run and day, so exports do not replace each other."""
    name = _UNSAFE.sub("_", model.config.name).strip("._") or "scenario"
    return EXPORT_ROOT / f"{name}-seed{model.seed}-day{model.day}"


def rerun_command(model: UiModel, out: Path) -> list[str]:
    """The ``hashpivot run`` command line that runs what the page ran, to ``out``."""
    scenario = [] if model.ui_loaded.source == BUILTIN else [model.ui_scenario]
    sets = [part for override in model.ui_overrides for part in ("--set", override)]
    horizon = ["--seed", str(model.seed), "--days", str(model.day)]
    return ["hashpivot", "run", *scenario, *horizon, *sets, "--out", str(out)]


def export_run(model: UiModel, out: str | Path | None = None) -> tuple[Path, list[str]]:
    """Write the page's run, as of today, to a run folder.

    Args:
        model: The page's model.
        out: The folder (default ``default_folder``); relative paths start from the working folder.

    Returns:
        The folder written (absolute) and the command that runs the same again.

    Raises:
        InputError: No day has been simulated yet.
        OutputError: ``out`` is a file or a folder that is not a run folder (one line).
        OSError: The file system refused a write.
    """
    if model.day == 0:
        raise InputError("Export: no day simulated yet (step at least one day first)")
    text = str(out).strip() if out is not None else ""
    with reading(model):  # a day stepped half-way through the tables would mix two days
        folder = Path(text).expanduser() if text else default_folder(model)
        command = rerun_command(model, folder)
        result, days, wall_time_s = collect(model), model.day, model.step_time_s
    write_run(result, folder, manifest(model.ui_loaded, model.seed, days, command, wall_time_s))
    return folder.resolve(), command
