"""The UI end to end in headless Chromium (see conftest.py for the browser set-up).

Two ways in: ``solara_test`` renders the page inside pytest-ipywidgets' test server, in this
process, so a test can look at the model the page built; ``served`` runs the page the way users
do (``hashpivot.model.tools.ui.server.server_command``, a ``solara run`` subprocess) and checks it works offline.

Regenerate the screenshot in the docs with::

    HASHPIVOT_UI_SCREENSHOT=docs/ui-screenshot.png .venv/bin/python -m pytest tests/ui -k served
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import solara
from IPython.display import display
from playwright.sync_api import Page, expect

from hashpivot.model.tools import ui
from hashpivot.model.tools.ui import charts, params, server

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SCREENSHOT_ENV = "HASHPIVOT_UI_SCREENSHOT"
SERVER_START_S = 90.0
TIMEOUT_MS = 30_000


def open_controls(page: Page) -> None:
    """Show the sidebar (Mesa's controls), which starts closed in a narrow or embedded page."""
    step = page.get_by_role("button", name="Step")
    page.locator(".hp-date").wait_for(timeout=TIMEOUT_MS)
    if not step.is_visible():
        page.locator(".v-app-bar button").first.click()
    step.wait_for(timeout=TIMEOUT_MS)


def press_step(page: Page, times: int) -> None:
    """Press Step ``times`` times, each time waiting for the day shown to move on."""
    day = int(page.locator(".hp-day").inner_text())
    for _ in range(times):
        page.get_by_role("button", name="Step").click()
        day += 1
        expect(page.locator(".hp-day")).to_have_text(str(day), timeout=TIMEOUT_MS)


def chart(page: Page, index: int):
    """The ``index``-th chart (charts.CHARTS order), once Vega has drawn it."""
    locator = page.locator(".vega-embed").nth(index)
    locator.locator("svg").first.wait_for(timeout=TIMEOUT_MS)
    return locator


def wait_for_new_picture(locator, before: bytes, timeout_s: float = 10.0) -> bytes:
    """A screenshot of ``locator`` once it differs from ``before`` (Vega redraws debounced)."""
    deadline = time.monotonic() + timeout_s
    while True:
        after = locator.screenshot()
        if after != before or time.monotonic() > deadline:
            return after
        time.sleep(0.2)


def test_step_redraws_and_reset_applies_a_slider(solara_test, page_session: Page, built):
    display(solara.AppLayout(children=[ui.Page()]))
    page = page_session
    open_controls(page)
    expect(page.locator(".hp-day")).to_have_text("0")
    start = built[-1].date

    price = chart(page, list(charts.CHARTS).index("price"))
    before = price.screenshot()
    press_step(page, 5)
    assert built[-1].day == 5
    expect(page.locator(".hp-date")).to_have_text((start + dt.timedelta(days=5)).isoformat())
    assert wait_for_new_picture(price, before) != before, "the price chart did not redraw"

    # Move the drift slider to its maximum with the keyboard, as a user can, then Reset.
    drift = page.get_by_role("slider", name="BTC price drift (1/yr)")
    drift.focus()
    drift.press("End")
    high = params.model_params()["btc_drift_per_year"]["max"]
    expect(drift).to_have_attribute("aria-valuenow", f"{high:g}")
    page.get_by_role("button", name="Reset").click()
    expect(page.locator(".hp-day")).to_have_text("0", timeout=TIMEOUT_MS)
    expect(page.get_by_text(f"BTC price drift (1/yr) {high:.3g}*")).to_be_visible(timeout=TIMEOUT_MS)
    model = built[-1]
    assert model.day == 0 and model.ui_error is None
    assert model.config.price.drift_per_year == pytest.approx(high)
    press_step(page, 1)  # the rebuilt model runs
    assert model.day == 1


@pytest.fixture
def served(tmp_path, free_tcp_port):
    """The page as ``hashpivot ui`` serves it, on a free port; yields its URL."""
    port = free_tcp_port
    log = (tmp_path / "solara.log").open("w")
    proc = subprocess.Popen(
        server.server_command("127.0.0.1", port), env=server.server_env(None), stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + SERVER_START_S
    try:
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                output = (tmp_path / "solara.log").read_text()[-2000:]
                pytest.fail(f"solara did not start: {output}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_served_page_runs_offline(served, page_session: Page):
    page = page_session
    outside: list[str] = []

    def note(request):
        if not request.url.startswith(served) and not request.url.startswith("data:"):
            outside.append(request.url)

    page.on("request", note)
    try:
        page.set_viewport_size({"width": 1600, "height": 2200})  # room for every view
        page.goto(served)
        open_controls(page)
        for i in range(len(charts.CHARTS)):
            chart(page, i)
        press_step(page, 30)
        expect(page.locator(".hp-date")).to_have_text("2024-05-20")  # baseline: 2024-04-20 + 30
        for i in range(len(charts.CHARTS)):
            chart(page, i)
        page.wait_for_timeout(1500)  # Vega redraws are debounced; let the last one land
        if target := os.environ.get(SCREENSHOT_ENV):
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=target, full_page=True)
    finally:
        page.remove_listener("request", note)
        page.set_viewport_size({"width": 1280, "height": 720})
        page.goto("about:blank")
    assert outside == [], "the page fetched from outside the server (it must work offline)"
