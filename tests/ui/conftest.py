"""Browser tests of the UI: Debian's Chromium driven by pytest-playwright and pytest-ipywidgets.

Nothing here downloads a browser (never ``playwright install``): the tests launch
``/usr/bin/chromium`` (``apt-get install -y chromium``). Without it they are skipped with the
reason -- unless ``HASHPIVOT_REQUIRE_BROWSER=1`` (CI), when a missing browser is a failure.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("HASHPIVOT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",  # running as root in a container
    "--disable-gpu",
    "--disable-background-networking",  # no calls home: the tests run offline
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REQUIRE_ENV = "HASHPIVOT_REQUIRE_BROWSER"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on now (the OS picks it)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _port_busy(host: str, port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((host, port)) == 0


def pytest_configure(config: pytest.Config) -> None:
    """Move pytest-ipywidgets' Solara test server off its default port when that is taken.

    Its default (``$PORT`` + 100, 18865) is shared by every checkout on the machine; an explicit
    ``--solara-port`` is left alone.
    """
    try:
        from solara.test.pytest_plugin import TEST_PORT_START
    except ImportError:  # pytest-ipywidgets missing: the browser tests fail on their fixtures
        return
    host = config.getoption("--solara-host", default="localhost")
    port = config.getoption("--solara-port", default=None)
    if port == TEST_PORT_START and _port_busy(host, port):
        config.option.solara_port = free_port()


@pytest.fixture
def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on now."""
    return free_port()


def require_chromium() -> None:
    """Skip (or, with ``HASHPIVOT_REQUIRE_BROWSER=1``, fail) when Chromium is not installed."""
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} not found: install it with `apt-get install -y chromium`"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1 requires the browser tests to run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Launch Debian's Chromium instead of a Playwright-downloaded browser."""
    require_chromium()
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
    }
