"""Faults during sweeps (issue 20, item 10): a Dask worker killed mid-sweep costs only its runs.

A LocalCluster of two single-threaded worker processes runs a small sweep; when a few runs have been
written, one worker process is killed (SIGKILL, no clean-up). The scheduler retries the runs it held on
the other worker (and its nanny starts a new one), so the sweep completes with every run exactly once and
the same rows as a serial run. The test is bounded: an alarm stops it after ``LIMIT_S`` seconds.
"""

from __future__ import annotations

import os
import signal
import textwrap
import threading
import time
from pathlib import Path

import pytest

from hashpivot.model.tools.sweep.execute import run_sweep
from hashpivot.model.tools.sweep.spec import load_sweep
from hashpivot.model.tools.sweep.store import RESULTS, part_files, read_results

pytestmark = pytest.mark.slow
LIMIT_S = 240
KILL_AFTER_RUNS = 3

SWEEP = """\
name = "faults"
base = "tiny"
days = 45

[[parameters]]
name = "price.drift_per_year"
low = -0.5
high = 0.6

[[parameters]]
name = "ai.hyperscalers"
kind = "int"
low = 2
high = 6

[design]
method = "lhs"
samples = 16
root_seed = 31

[[outputs.metrics]]
name = "price_final"
column = "btc_price_usd"
reducer = "final"

[[outputs.metrics]]
name = "hashrate_final"
column = "network_hashrate_ehs"
reducer = "final"
"""


def rows(out: Path) -> list[dict]:
    records = sorted(read_results(out).to_pylist(), key=lambda r: r["run_id"])
    for record in records:
        del record["wall_time_s"]
    return records


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout(f"the sweep did not finish within {LIMIT_S} s")


def test_a_killed_dask_worker_costs_only_its_runs(tmp_path: Path):
    from distributed import Client, LocalCluster

    (tmp_path / "tiny.toml").write_text('name = "tiny"\n[run]\ndays = 45\n', encoding="utf-8")
    (tmp_path / "faults.toml").write_text(textwrap.dedent(SWEEP), encoding="utf-8")
    plan = load_sweep(tmp_path / "faults.toml")
    out = tmp_path / "dask"
    killed: list[int] = []
    at: list[int] = []  # results parts (one per run) written when the worker was killed

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(LIMIT_S)
    try:
        with (
            LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            client.wait_for_workers(2, timeout=60)
            pids = sorted(client.run(os.getpid).values())
            stop = threading.Event()

            def kill_one() -> None:
                while not stop.is_set():
                    written = len(part_files(out / RESULTS))
                    if written >= KILL_AFTER_RUNS:
                        os.kill(pids[0], signal.SIGKILL)  # mid-sweep, with runs in flight on it
                        killed.append(pids[0])
                        at.append(written)
                        return
                    time.sleep(0.02)

            killer = threading.Thread(target=kill_one, daemon=True)
            killer.start()
            try:
                summary = run_sweep(plan, out, scheduler=cluster.scheduler_address, flush_rows=1, progress=False)
            finally:
                stop.set()
                killer.join(timeout=10)
            client.wait_for_workers(1, timeout=60)
            after = set(client.run(os.getpid).values())
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)

    assert killed == [pids[0]] and pids[0] not in after  # the fault happened...
    assert at[0] < 16  # ...part-way
    assert (summary.ok, summary.failed, summary.lost) == (16, 0, 0)
    done = [r["run_id"] for r in rows(out)]
    assert done == list(range(16))  # every run exactly once
    serial = tmp_path / "serial"
    run_sweep(plan, serial, workers=1, progress=False)
    assert rows(out) == rows(serial)  # the retried runs are the same runs
