"""Fixtures shared by the headless UI tests (tests/test_ui.py) and the browser tests (tests/ui/)."""

from __future__ import annotations

import functools

import pytest


@pytest.fixture
def built(monkeypatch):
    """Record every UiModel the page builds (Mesa's Reset makes a new one with type(model))."""
    from hashpivot.model.tools.ui import page  # imported here: only the UI tests pay for Solara

    models: list[page.UiModel] = []

    class Recorded(page.UiModel):
        # wraps: Mesa reads the signature, and one with **kwargs makes Reset pass `scenario`
        @functools.wraps(page.UiModel.__init__)
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            models.append(self)

    # Patched in the module whose Page builds the model (it looks the name up there).
    monkeypatch.setattr(page, "UiModel", Recorded)
    page.end_session()  # headless tests share one Solara session: each page starts afresh
    yield models
    page.end_session()


@pytest.fixture
def every_day_redrawn(monkeypatch):
    """The views redraw after every step, not at most every REDRAW_PERIOD_S (which depends on the clock)."""
    from hashpivot.model.tools.ui import panels

    monkeypatch.setattr(panels, "REDRAW_PERIOD_S", 0.0)


@pytest.fixture
def short_scenario(tmp_path):
    """A scenario file: the baseline with a 3-day horizon (for Play stopping at it)."""
    path = tmp_path / "three_days.toml"
    path.write_text('base = "baseline"\nname = "three_days"\n\n[run]\ndays = 3\n', encoding="utf-8")
    return path
