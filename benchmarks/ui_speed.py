"""Days per second of the UI at day 30 and at day 3,000: does Play keep its speed as the run grows?

Two measurements of the baseline at the page's defaults:

* **browser**: the page served as ``hashpivot ui`` serves it, in Debian's headless Chromium
  (``/usr/bin/chromium``, never a downloaded browser), playing with Mesa's ▶. Days per second are
  counted off the page's own day counter over a window of wall time, once from day 30 and once
  from day ~3,000 (reached with Mesa's "Render Interval" at its maximum, then set back to 1);
* **server**: the same page rendered headless with ``solara.render``, timing Step clicks with every
  view redrawn after every day (``panels.REDRAW_PERIOD_S = 0``; while playing the page redraws its
  charts only every REDRAW_PERIOD_S): the server's cost of a day, without the browser.

Timing lives here, not in the test suite. Run: ``.venv/bin/python benchmarks/ui_speed.py``.
"""

from __future__ import annotations

import functools
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
EARLY_DAY, LATE_DAY = 30, 3_000
WINDOW_S = 8.0


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_days_per_s(days: tuple[int, ...] = (EARLY_DAY, LATE_DAY), clicks: int = 30) -> dict[int, float]:
    """Days per second of Step clicks in a headless render of the page, from each day in ``days``."""
    import ipyvuetify as v
    import solara

    from hashpivot.model.tools.ui import page, panels

    built = []

    class Recorded(page.UiModel):
        @functools.wraps(page.UiModel.__init__)
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            built.append(self)

    original, page.UiModel = page.UiModel, Recorded
    period, panels.REDRAW_PERIOD_S = panels.REDRAW_PERIOD_S, 0.0
    page.end_session()
    try:
        box, rc = solara.render(solara.AppLayout(children=[page.Page()]), handle_error=False)
    finally:
        page.UiModel = original
    try:
        step = rc.find(v.Btn, children=["Step"]).widget
        model = built[-1]
        out = {}
        for day in days:
            while model.day < day - 3:  # get there without drawing every day
                model.step()
            for _ in range(3):  # the views catch up with the jump
                step.click()
            times = []
            for _ in range(clicks):
                t = time.perf_counter()
                step.click()
                times.append(time.perf_counter() - t)
            out[day] = 1.0 / statistics.median(times)
        return out
    finally:
        rc.close()
        page.end_session()
        panels.REDRAW_PERIOD_S = period


def browser_days_per_s(days: tuple[int, int] = (EARLY_DAY, LATE_DAY), window_s: float = WINDOW_S) -> dict[int, float]:
    """Days per second of Play in Chromium, from about each day in ``days`` (see the module docstring)."""
    from playwright.sync_api import sync_playwright

    from hashpivot.model.tools.ui import server

    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen(
        server.server_command("127.0.0.1", port),
        env=server.server_env(None),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(url)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 2400})
            page.goto(url)
            page.locator(".hp-day").wait_for(timeout=90_000)
            if not page.get_by_role("button", name="Step").is_visible():
                page.locator(".v-app-bar button").first.click()
            out = {}
            early, late = days
            _play_until(page, early)
            out[early] = _play_rate(page, window_s)
            _set_slider(page, "Render Interval (steps)", "End", "100")  # 100 days a render: the fast way there
            _play_until(page, late - 60)
            _set_slider(page, "Render Interval (steps)", "Home", "1")
            out[late] = _play_rate(page, window_s)
            browser.close()
            return out
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_for(url: str, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _set_slider(page, name: str, key: str, value: str) -> None:
    """Move one of Mesa's sliders with the keyboard, as a user can, and wait until it shows ``value``."""
    from playwright.sync_api import expect

    slider = page.get_by_role("slider", name=name)
    slider.focus()
    slider.press(key)
    expect(slider).to_have_attribute("aria-valuenow", value, timeout=30_000)
    time.sleep(0.5)  # the new value reaches the server


def _day(page) -> int:
    day = page.locator(".hp-day")
    if not day.count():  # the page fell over: say why rather than wait for a counter that is gone
        raise RuntimeError(f"the page shows no day counter: {page.locator('body').inner_text()[:1500]}")
    return int(day.first.inner_text().replace(",", ""))


def _toggle_play(page) -> None:
    page.locator(".v-navigation-drawer button", has_text="▶").or_(
        page.locator(".v-navigation-drawer button", has_text="❚❚")
    ).first.click()


def _play_until(page, day: int) -> None:
    """Play until the page shows ``day`` or later, then pause and let the last redraw land."""
    _toggle_play(page)
    while _day(page) < day:
        time.sleep(0.05)
    _toggle_play(page)
    time.sleep(2.0)


def _play_rate(page, window_s: float) -> float:
    """Play for ``window_s`` seconds; days per second by the page's day counter."""
    _toggle_play(page)
    time.sleep(1.0)  # the first days after ▶ include the press itself
    d0, t0 = _day(page), time.monotonic()
    time.sleep(window_s)
    d1, t1 = _day(page), time.monotonic()
    _toggle_play(page)
    time.sleep(1.0)
    return (d1 - d0) / (t1 - t0)


def summary() -> str:
    """One line for ``make bench``'s table: Play in Chromium at day 30 and day 3,000 (headless Step without it)."""
    if Path(CHROMIUM).exists():
        rates, how = browser_days_per_s(), "Play in Chromium"
    else:
        rates, how = server_days_per_s(), f"Step clicks, headless ({CHROMIUM} not found)"
    early, late = rates[EARLY_DAY], rates[LATE_DAY]
    return (
        f"{late / early:.0%}: {early:.1f} days/s from day {EARLY_DAY}, {late:.1f} from day ~{LATE_DAY:,} "
        f"({how}, baseline, the page's defaults)"
    )


def report() -> list[str]:
    """The figures as lines of text."""
    lines = []
    srv = server_days_per_s()
    lines.append(
        f"server (Step clicks, headless, every view redrawn every day): {srv[EARLY_DAY]:.1f} days/s "
        f"at day {EARLY_DAY}, "
        f"{srv[LATE_DAY]:.1f} at day {LATE_DAY:,} ({srv[LATE_DAY] / srv[EARLY_DAY]:.0%})"
    )
    if Path(CHROMIUM).exists():
        web = browser_days_per_s()
        lines.append(
            f"browser (Play in Chromium): {web[EARLY_DAY]:.1f} days/s from day {EARLY_DAY}, "
            f"{web[LATE_DAY]:.1f} from day ~{LATE_DAY:,} ({web[LATE_DAY] / web[EARLY_DAY]:.0%}; target >= 80%)"
        )
    else:
        lines.append(f"browser: {CHROMIUM} not found (apt-get install -y chromium)")
    return lines


if __name__ == "__main__":
    print("\n".join(report()))
