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
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            models.append(self)

    # Patched in the module whose Page builds the model (it looks the name up there).
    monkeypatch.setattr(page, "UiModel", Recorded)
    return models
