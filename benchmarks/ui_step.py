"""Median wall time of one Step in the SolaraViz page at default settings (model step + every view redrawn).

The views are redrawn after every Step here (``panels.REDRAW_PERIOD_S = 0``): the cost of a day when
nothing is skipped. While playing, the page redraws its charts at most every REDRAW_PERIOD_S.
Timing lives here, not in the test suite. Run: ``.venv/bin/python benchmarks/ui_step.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def median_step_ms(steps: int = 30, warmup: int = 5) -> float:
    """Click Step in a headless render of the page and time each click."""
    import ipyvuetify as v
    import solara

    from hashpivot.model.tools import ui
    from hashpivot.model.tools.ui import page, panels

    period, panels.REDRAW_PERIOD_S = panels.REDRAW_PERIOD_S, 0.0
    page.end_session()
    box, rc = solara.render(solara.AppLayout(children=[ui.Page()]), handle_error=False)
    try:
        step = rc.find(v.Btn, children=["Step"]).widget
        for _ in range(warmup):  # first clicks compile the chart templates
            step.click()
        times = []
        for _ in range(steps):
            t = time.perf_counter()
            step.click()
            times.append(time.perf_counter() - t)
        return 1000 * statistics.median(times)
    finally:
        rc.close()
        page.end_session()
        panels.REDRAW_PERIOD_S = period


if __name__ == "__main__":
    print(f"UI step + re-render of every view: median {median_step_ms():.0f} ms over 30 steps")
