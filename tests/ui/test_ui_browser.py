"""The UI end to end in headless Chromium (see conftest.py for the browser set-up).

Two ways in: ``solara_test`` renders the page inside pytest-ipywidgets' test server, in this
process, so a test can look at the model the page built; ``served`` runs the page the way users
do (``hashpivot.model.tools.ui.server.server_command``, a ``solara run`` subprocess) and checks
it works offline.

Regenerate the screenshot in the docs with::

    HASHPIVOT_UI_SCREENSHOT=docs/ui-screenshot.png .venv/bin/python -m pytest tests/ui -k served
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import solara
from IPython.display import display
from playwright.sync_api import Page, expect

from hashpivot.model.tools import ui
from hashpivot.model.tools.run import collect
from hashpivot.model.tools.ui import charts, params, server

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SCREENSHOT_ENV = "HASHPIVOT_UI_SCREENSHOT"
SERVER_START_S = 90.0
TIMEOUT_MS = 30_000
SEED_FIELD = "Seed (whole number, as --seed)"
EXPORT_FIELD = "Folder (empty: runs/out/ui/<scenario>-seed<S>-day<N>)"


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


def type_into(page: Page, label: str, text: str) -> None:
    """Type into a text field and press Enter, as a user does."""
    box = page.get_by_role("textbox", name=label)
    box.fill(text)
    box.press("Enter")


def chart(page: Page, name: str):
    """Chart ``name`` (charts.CHARTS) once Vega has drawn it."""
    locator = page.locator(f".hp-chart-{name} .hp-vega")
    locator.locator("canvas").first.wait_for(timeout=TIMEOUT_MS)
    return locator


def wait_for_new_picture(locator, before: bytes, timeout_s: float = 10.0) -> bytes:
    """A screenshot of ``locator`` once it differs from ``before`` (the views redraw a few times a second)."""
    deadline = time.monotonic() + timeout_s
    while True:
        after = locator.screenshot()
        if after != before or time.monotonic() > deadline:
            return after
        time.sleep(0.2)


def cli_timeseries(tmp_path: Path, scenario: str, days: int) -> dict[str, list]:
    """``hashpivot run SCENARIO --seed 0 --days N``'s timeseries.csv, by column."""
    from hashpivot.model import cli

    out = tmp_path / f"cli-{scenario}"
    assert cli.main(["run", scenario, "--seed", "0", "--days", str(days), "--out", str(out)]) == 0
    with (out / "timeseries.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return {name: [row[i] for row in rows[1:]] for i, name in enumerate(rows[0])}


def test_the_page_runs_what_the_command_line_runs_and_exports_it(solara_test, page_session: Page, built, tmp_path):
    display(solara.AppLayout(children=[ui.Page()]))
    page = page_session
    open_controls(page)
    expect(page.locator(".hp-day")).to_have_text("0")
    expect(page.get_by_role("textbox", name=SEED_FIELD)).to_have_value("0")  # the command line's seed

    # Pick a scenario as a user does; every control reloads from its file, none is starred.
    page.locator(".v-select", has_text="Scenario").first.click()
    page.locator(".v-menu__content .v-list-item", has_text="no_ai_boom").click()
    growth = params.KNOBS["ai_spend_growth_per_year"].label
    expect(page.get_by_role("textbox", name=growth)).to_have_value("0")
    expect(page.get_by_role("slider", name=growth)).to_have_attribute("aria-valuenow", "0")
    page.get_by_role("button", name="Reset").click()
    expect(page.locator(".hp-scenario")).to_contain_text("'no_ai_boom'", timeout=TIMEOUT_MS)
    expect(page.locator(".hp-control-label", has_text="*")).to_have_count(0)
    model = built[-1]
    assert model.config.name == "no_ai_boom" and model.ui_overrides == () and model.ui_error is None

    expect(page.locator(".hp-chart-price .hp-empty")).to_contain_text("No day simulated yet")  # not a blank chart
    press_step(page, 10)
    before = chart(page, "price").screenshot()
    press_step(page, 1)
    assert wait_for_new_picture(chart(page, "price"), before) != before, "the price chart did not redraw"
    ts = collect(model).timeseries
    table = cli_timeseries(tmp_path, "no_ai_boom", model.day)
    assert list(ts["date"]) == table["date"]
    for name, values in ts.items():
        if name != "date":
            expected = np.array([float(x) if x else np.nan for x in table[name]])
            np.testing.assert_array_equal(np.asarray(values, float), expected, err_msg=name)

    out = tmp_path / "exported"
    type_into(page, EXPORT_FIELD, str(out))
    # The click must not overtake the typed folder on its way to the kernel (CI once exported to the default).
    expect(page.locator(".hp-export-target")).to_contain_text(str(out), timeout=TIMEOUT_MS)
    page.get_by_role("button", name="Export run").click()
    expect(page.locator(".hp-export-ok")).to_contain_text(f"Wrote {out}", timeout=TIMEOUT_MS)
    expect(page.locator(".hp-export-ok")).to_contain_text("Same again: hashpivot run no_ai_boom --seed 0 --days 11")
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["scenario_name"], manifest["seed"], manifest["days"]) == ("no_ai_boom", 0, 11)


def test_bad_values_get_a_visible_line_and_play_stops_at_the_horizon(
    solara_test, page_session: Page, built, short_scenario, monkeypatch
):
    monkeypatch.setenv(params.SCENARIO_ENV, str(short_scenario))
    display(solara.AppLayout(children=[ui.Page()]))
    page = page_session
    open_controls(page)
    type_into(page, SEED_FIELD, "abc")
    expect(page.get_by_text("Seed: 'abc' is not valid (accepted: a whole number from 0 to 2**63 - 1)")).to_be_visible()
    rent = params.KNOBS["lease_rent_usd_per_kw_month"].label
    type_into(page, rent, "-5")
    message = "Lease rent reference ($/kW-month) (ai.reference_rent_usd_per_kw_month): -5 is out of range"
    expect(page.locator(".hp-input-error", has_text=message)).to_be_visible()

    page.get_by_role("button", name="▶").click()
    expect(page.locator(".hp-horizon")).to_contain_text(
        "Reached the scenario's horizon: 3 days simulated", timeout=TIMEOUT_MS
    )
    expect(page.get_by_role("button", name="Step")).to_be_disabled()
    time.sleep(1.0)  # a day already asked for could still land: it must not
    assert built[-1].day == 3 and not built[-1].running
    expect(page.locator(".hp-day")).to_have_text("3")


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


def test_served_page_runs_offline_with_its_map(served, page_session: Page, tmp_path):
    page = page_session
    outside: list[str] = []
    warnings: list[str] = []

    def note(request):
        if not request.url.startswith(served) and not request.url.startswith("data:"):
            outside.append(request.url)

    def console(message):
        if message.type in ("warning", "error") and "Vue script" not in message.text:
            warnings.append(message.text)

    page.on("request", note)
    page.on("console", console)
    try:
        page.set_viewport_size({"width": 1600, "height": 3300})  # room for every view
        with page.expect_response(lambda r: r.url.endswith(charts.BASE_MAP), timeout=60_000) as base_map:
            page.goto(served)
            open_controls(page)
            press_step(page, 30)
        assert base_map.value.status == 200, "the base map comes from the local asset cache"
        expect(page.locator(".hp-date")).to_have_text("2024-05-20")  # baseline: 2024-04-20 + 30
        for name in charts.CHARTS:
            chart(page, name)
        page.wait_for_timeout(1500)  # the views redraw a few times a second; let the last one land
        # Mesa's own "Page 0" tab and "Information: Time: ..." card say nothing to a user: hidden.
        for text in ("Page 0", "Model Parameters", "Information", "Time: 30.0"):
            expect(page.get_by_text(text, exact=True)).to_be_hidden()
        expect(page.locator(".hp-caption").first).to_be_visible()
        page.locator("tr.hp-row").first.click()  # a miner's card: its strategy, the NPVs it compared, why
        expect(page.locator(".hp-card")).to_contain_text("Value compared (NPV)", timeout=TIMEOUT_MS)
        expect(page.locator(".hp-card .hp-decision")).to_contain_text("Last decision")
        page.wait_for_timeout(500)
        (tmp_path / "map.png").write_bytes(page.locator(".hp-chart-regions").screenshot())
        if target := os.environ.get(SCREENSHOT_ENV):
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=target, full_page=True)
    finally:
        page.remove_listener("request", note)
        page.remove_listener("console", console)
        page.set_viewport_size({"width": 1280, "height": 720})
        page.goto("about:blank")
    assert outside == [], "the page fetched from outside the server (it must work offline)"
    assert not [w for w in warnings if "Infinite extent" in w or "WARN" in w], warnings
