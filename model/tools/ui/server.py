"""Serving the page: ``serve`` runs ``solara run`` on it in a subprocess until interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from hashpivot.model.tools.ui.params import SCENARIO_ENV, load_base, scenario_label

ASSETS_ENV = "SOLARA_ASSETS_PROXY_CACHE_DIR"
PAGE_ENTRY = "hashpivot.model.tools.ui.page:Page"
"""What ``solara run`` serves: the module that defines ``Page``, and the component."""


def assets_dir() -> Path:
    """Where ``make setup`` caches Solara's front-end files (``scripts/fetch_ui_assets.sh``)."""
    return Path(sys.prefix) / "share" / "solara" / "cdn"


def server_env(scenario: str | None = None) -> dict[str, str]:
    """Environment for the Solara server: the start scenario, and offline assets when cached."""
    env = dict(os.environ)
    if scenario:
        env[SCENARIO_ENV] = scenario
    else:
        env.pop(SCENARIO_ENV, None)
    if assets_dir().is_dir():
        env.setdefault(ASSETS_ENV, str(assets_dir()))
    # Solara's production mode warns on every plain-http start that its iframe cookies want
    # https; for a page served to this machine that is noise.
    env.setdefault("PYTHONWARNINGS", "ignore::UserWarning:solara.server.starlette")
    return env


def server_command(host: str = "127.0.0.1", port: int = 8765) -> list[str]:
    """The ``solara run`` command line for this page."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        PAGE_ENTRY,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
    ]


def serve(scenario: str | None = None, host: str = "127.0.0.1", port: int = 8765) -> int:
    """Serve the page with ``solara run`` until interrupted.

    Args:
        scenario: Scenario to start with: a name in ``runs/`` or a path (None: the default).
        host: Address to bind; 127.0.0.1 keeps the page private to this machine.
        port: Port to listen on.

    Returns:
        The server's exit code (0 after Ctrl-C).

    Raises:
        ValueError: The scenario cannot be loaded (checked first, so the error is one line here
            rather than in the page).
    """
    if scenario:
        load_base(scenario)
        scenario = scenario_label(scenario)
    print(f"HashPivot UI on http://{host}:{port} (Ctrl-C to stop)", file=sys.stderr)
    server = subprocess.Popen(server_command(host, port), env=server_env(scenario))
    # A SIGTERM to this process must not orphan the server: turn it into an exception, so the
    # finally below stops the server (Ctrl-C reaches both processes by itself).
    main_thread = threading.current_thread() is threading.main_thread()  # signals need it
    previous = signal.signal(signal.SIGTERM, _raise_interrupt) if main_thread else None
    try:
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
