"""Inputs of a report: a run, an ensemble or a sweep folder, recognised by its files and checked."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path

from hashpivot.model.tools.errors import CommandError
from hashpivot.model.tools.output import ENSEMBLE_FILE, MANIFEST

SWEEP_FORMAT = "hashpivot-sweep/1"
RUN, ENSEMBLE, SWEEP = "run", "ensemble", "sweep"
ACCEPTED_INPUT = (
    "accepted: a folder written by hashpivot run (manifest.json and timeseries.parquet), "
    "hashpivot ensemble (ensemble.json) or hashpivot sweep (manifest.json and results/)"
)


@dataclass(frozen=True)
class Source:
    """A run, ensemble or sweep folder, opened and checked.

    Attributes:
        kind: ``run``, ``ensemble`` or ``sweep``.
        path: The folder as given.
        manifest: The run manifest (the first seed's for an ensemble) or the sweep manifest.
        ensemble: ``ensemble.json`` for an ensemble, else None.
        run_dirs: The run folders (one for a run, one per seed for an ensemble, none for a sweep).
    """

    kind: str
    path: Path
    manifest: dict
    ensemble: dict | None = None
    run_dirs: tuple[Path, ...] = ()

    @property
    def scenario(self) -> dict:
        """The resolved scenario (the base scenario for a sweep), as JSON data."""
        return self.manifest["base_scenario" if self.kind == SWEEP else "scenario"]

    @property
    def name(self) -> str:
        """The scenario's (or the sweep's) name."""
        if self.kind == SWEEP:
            return str(self.manifest.get("name", "sweep"))
        return str(self.manifest.get("scenario_name", self.scenario.get("name", "scenario")))

    @property
    def sha256(self) -> str:
        """The resolved scenario's fingerprint (the base scenario's for a sweep)."""
        if self.kind == SWEEP:
            return str(self.manifest.get("base", {}).get("sha256", "unknown"))
        return str(self.manifest.get("scenario_sha256", "unknown"))

    @property
    def seeds(self) -> list[int]:
        """The seeds of the runs (empty for a sweep: see its manifest's ``root_seed``)."""
        if self.kind == ENSEMBLE:
            return [int(s) for s in self.ensemble["seeds"]]
        if self.kind == RUN:
            return [int(self.manifest["seed"])]
        return []

    @property
    def version(self) -> str:
        """The HashPivot version that wrote the folder."""
        packages = self.manifest.get("packages") or self.manifest.get("versions") or {}
        return str(packages.get("hashpivot", "unknown"))

    @property
    def git(self) -> dict:
        """``{"commit", "dirty"}`` of the checkout that wrote the folder."""
        info = (self.ensemble or self.manifest).get("git") or {}
        return {"commit": info.get("commit", "unknown"), "dirty": info.get("dirty", "unknown")}

    @property
    def days(self) -> int:
        """Days the runs simulated (a sweep: its ``days``, else the base's ``run.days``)."""
        if self.kind == SWEEP:
            return int(self.manifest.get("sweep", {}).get("days") or self.scenario["run"]["days"])
        return int((self.ensemble or self.manifest).get("days") or self.scenario["run"]["days"])

    @property
    def parameter_sources(self) -> dict[str, str] | None:
        """Who set which scenario key (``portable.parameter_sources``), or None for older folders."""
        if self.kind == SWEEP:
            sources = self.manifest.get("base", {}).get("parameter_sources")
            if sources is not None and self.manifest.get("sweep", {}).get("days"):
                sources = {**sources, "run.days": f"the sweep file (days = {self.days})"}
            return sources
        return self.manifest.get("parameter_sources")

    def parameters(self) -> dict:
        """The scenario as the runs ran it: the resolved scenario with ``run.days`` the runs' own horizon."""
        values = copy.deepcopy(self.scenario)
        values["run"]["days"] = self.days
        return values

    @property
    def command(self) -> list[str]:
        """The command line that wrote the folder."""
        if self.kind == ENSEMBLE:
            return list(self.ensemble.get("command", []))
        if self.kind == RUN:
            return list(self.manifest.get("command", []))
        sessions = self.manifest.get("sessions") or [{}]
        return list(sessions[0].get("argv", []))


def open_source(path: Path) -> Source:
    """Open a run, ensemble or sweep folder, recognised by its files.

    Args:
        path: The folder.

    Returns:
        The checked source.

    Raises:
        CommandError: Missing, a file, not one of the three kinds, or incomplete (one line).
    """
    path = Path(path)
    if not path.exists():
        raise CommandError(f"{path}: no such folder ({ACCEPTED_INPUT})")
    if not path.is_dir():
        raise CommandError(f"{path}: is a file, not a folder ({ACCEPTED_INPUT})")
    if (path / ENSEMBLE_FILE).is_file():
        return _open_ensemble(path)
    if (path / MANIFEST).is_file():
        manifest = _read_json(path / MANIFEST)
        if manifest.get("format") == SWEEP_FORMAT:
            return _open_sweep(path, manifest)
        if "scenario" in manifest and "seed" in manifest:
            _check_run_dir(path)
            return Source(RUN, path, manifest, run_dirs=(path,))
    raise CommandError(f"{path}: not a HashPivot run, ensemble or sweep folder ({ACCEPTED_INPUT})")


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CommandError(f"{path}: cannot read: {' '.join(str(exc).split())}") from None
    if not isinstance(data, dict):
        raise CommandError(f"{path}: not a JSON object ({ACCEPTED_INPUT})")
    return data


def _check_run_dir(path: Path) -> None:
    if not any((path / f"timeseries.{ext}").is_file() for ext in ("parquet", "csv")):
        raise CommandError(f"{path}: run folder without timeseries.parquet or timeseries.csv ({ACCEPTED_INPUT})")


def _open_ensemble(path: Path) -> Source:
    info = _read_json(path / ENSEMBLE_FILE)
    runs, seeds = info.get("runs"), info.get("seeds")
    if not isinstance(runs, list) or not runs or not isinstance(seeds, list) or len(seeds) != len(runs):
        raise CommandError(
            f"{path / ENSEMBLE_FILE}: runs/seeds: missing or of different lengths "
            "(accepted: an ensemble.json written by hashpivot ensemble)"
        )
    dirs = tuple(path / str(r) for r in runs)
    manifests = []
    for folder in dirs:
        if not (folder / MANIFEST).is_file():
            raise CommandError(f"{folder}: missing {MANIFEST} (the ensemble is incomplete)")
        _check_run_dir(folder)
        manifests.append(_read_json(folder / MANIFEST))
    for folder, m in zip(dirs, manifests, strict=True):
        if m.get("scenario_sha256") != info.get("scenario_sha256"):
            raise CommandError(
                f"{folder / MANIFEST}: scenario_sha256 differs from {ENSEMBLE_FILE}'s (accepted: runs of one scenario)"
            )
    return Source(ENSEMBLE, path, manifests[0], ensemble=info, run_dirs=dirs)


def _open_sweep(path: Path, manifest: dict) -> Source:
    from hashpivot.model.tools.sweep.store import RESULTS, part_files

    if not part_files(path / RESULTS):
        raise CommandError(f"{path}: sweep folder without results parts in {RESULTS}/ (run it first)")
    if not isinstance(manifest.get("base_scenario"), dict):
        raise CommandError(f"{path / MANIFEST}: base_scenario: missing (accepted: a sweep manifest)")
    return Source(SWEEP, path, manifest)


def scarcity_by_region(source: Source) -> dict[str, float]:
    """Scarcity hours per year of each region the folder's runs used (grid operators, one per region)."""
    # The regions file the runs used (by its recorded path); the packaged one if it has moved.
    from hashpivot.model.tools.portable import absolute
    from hashpivot.model.world.regions import RegionDataError, load_regions

    path = absolute(source.manifest.get("data_files", {}).get("grid.regions_file", {}).get("path") or "")
    try:
        regions = load_regions(Path(path) if path and Path(path).is_file() else None)
    except RegionDataError:
        regions = load_regions(None)
    return {k: v.scarcity_hours_per_year for k, v in regions.items()}
