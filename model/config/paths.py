"""Where the checkout's folders are: the one place that knows the layout on disk."""

from __future__ import annotations

from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[2]
"""The checkout (``model/config/`` is two levels below it)."""
RUNS_DIR = REPO_DIR / "runs"
"""Shipped scenarios, sweep files and their data."""
DOCS_DIR = REPO_DIR / "docs"
"""Documentation, calibration notes and generated tables."""
