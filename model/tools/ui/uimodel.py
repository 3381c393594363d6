"""``UiModel``: the model the page runs, built from the page's settings as ``hashpivot run`` would build it.

``UiModel(settings)`` loads the scenario with the page's changes as ``--set`` overrides and seeds
the model like ``--seed``: the same ``HashpivotModel(scenario, seed)`` the command line steps, so
N steps here give the timeseries of ``hashpivot run SCENARIO --seed S --days N --set ...``. It
adds no draws and no state the model reads; it only stops at the scenario's horizon and keeps
what Export needs (the loaded scenario, the overrides, the seconds spent stepping).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from hashpivot.model.config.scenarios import LoadedScenario
from hashpivot.model.simulation import HashpivotModel
from hashpivot.model.tools.ui.params import (
    DEFAULT_SEED,
    InputError,
    PageSettings,
    load,
    overrides,
    parse_seed,
    scenario_label,
    ui_values,
)


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


class UiModel(HashpivotModel):
    """``HashpivotModel`` built from the page's settings; it stops at the scenario's horizon.

    A setting that cannot be used does not raise: the model runs the scenario as its file defines
    it (or the seed ``hashpivot run`` defaults to) and ``ui_error`` says so in one line.

    Args:
        settings: What to run, or a function returning it; None: ``settings_source()`` if the class
            has one (``bound_to``: Mesa's Reset builds ``type(model)()``, so the page's model class
            reads the page's controls as they are at Reset), else ``hashpivot run``'s defaults.
            The signature must take neither ``scenario`` nor ``**kwargs``: Mesa's Reset would then
            pass a Mesa ``Scenario`` of its own.

    Attributes:
        ui_settings: The settings it was built from.
        ui_loaded: The scenario as loaded (file chain, overrides, sha256), for the export manifest.
        ui_overrides: The ``--set`` overrides applied (empty when the settings were refused).
        ui_scenario: How the page names the scenario (a ``runs/`` stem or a path).
        ui_error: One-line reason a setting was not applied, or None.
        ui_file_values: Every control's value in the scenario file (what a ``*`` is measured against).
        horizon_days: The scenario's ``run.days``; after that many steps ``running`` is False.
        step_time_s: Seconds spent in ``step`` (the export manifest's ``wall_time_s``).
        ui_lock: Held while a day is stepped; the views hold it while they read (``reading``), since
            Mesa's Play steps in a thread of its own while the page redraws.
    """

    settings_source: Callable[[], PageSettings] | None = None

    @classmethod
    def bound_to(cls, source: Callable[[], PageSettings]) -> type[UiModel]:
        """A subclass whose models are built from ``source()`` (one per browser session)."""
        return type(cls.__name__, (cls,), {"settings_source": staticmethod(source)})

    def __init__(self, settings: PageSettings | Callable[[], PageSettings] | None = None):
        if settings is None and self.settings_source is not None:
            settings = self.settings_source
        settings = settings() if callable(settings) else (settings or PageSettings())
        errors: list[str] = []
        try:
            seed = parse_seed(settings.seed)
        except InputError as exc:
            seed = DEFAULT_SEED
            errors.append(f"{exc}; using seed {DEFAULT_SEED}")
        plain, loaded, applied = self._load(settings, errors)
        super().__init__(loaded.scenario, seed=seed)
        self.ui_file_values = ui_values(plain.scenario)
        self.ui_settings = settings
        self.ui_loaded = loaded
        self.ui_overrides = applied
        self.ui_scenario = scenario_label(settings.scenario) if settings.scenario else loaded.source
        self.ui_error = " | ".join(errors) or None
        self.horizon_days = loaded.scenario.run.days
        self.step_time_s = 0.0
        self.ui_lock = threading.RLock()

    @staticmethod
    def _load(settings: PageSettings, errors: list[str]) -> tuple[LoadedScenario, LoadedScenario, tuple[str, ...]]:
        """The scenario as its file defines it, and with the page's overrides (without them if unusable)."""
        try:
            plain = load(settings.scenario)
        except ValueError as exc:
            errors.append(f"{_one_line(exc)}; showing the default scenario")
            plain = load(None)
            return plain, plain, ()
        try:
            changes = overrides(plain.scenario, settings.values)
            return plain, (load(settings.scenario, changes) if changes else plain), tuple(changes)
        except ValueError as exc:
            errors.append(f"{_one_line(exc)}; running {plain.name} as its file defines it")
            return plain, plain, ()

    @property
    def at_horizon(self) -> bool:
        """Whether the scenario's horizon (``run.days``) has been reached."""
        return self.day >= self.horizon_days

    def step(self) -> None:
        """One day; at the horizon, stop (Mesa's Play and Step then stay off until Reset).

        A step asked for past the horizon does nothing: Mesa's Step runs its "Render Interval" days
        without looking at ``running`` in between.
        """
        if self.at_horizon:
            self.running = False
            return
        with self.ui_lock:
            started = time.perf_counter()
            super().step()
            self.step_time_s += time.perf_counter() - started
            if self.at_horizon:
                self.running = False


def reading(model: Any) -> contextlib.AbstractContextManager:
    """Hold off the next step while the page reads ``model`` (a plain ``HashpivotModel`` has no lock)."""
    lock = getattr(model, "ui_lock", None)
    return lock if lock is not None else contextlib.nullcontext()
