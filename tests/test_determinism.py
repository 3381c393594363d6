"""Determinism: the same scenario and seed give the same run, byte for byte, wherever it runs.

* repeated runs in one process write byte-identical tables (every file but the manifest, whose
  wall time, timestamp and command line differ; its scenario, fingerprint and seed do not);
* two ``python -m hashpivot run`` processes, with different hash seeds, write identical files;
* the sweep's executors -- serial, a spawned process pool and a Dask ``LocalCluster`` -- return
  identical daily series, both through the sweep worker (``hashpivot.model.tools.sweep.worker.run_task``) and
  submitting ``hashpivot.model.tools.run.simulate`` itself;
* different seeds give different paths where the scenario is stochastic (a GBM price, Poisson
  blocks), and a constant price path stays the same across seeds while the run still differs
  (see ``test_constant_price_is_seed_free_but_the_run_is_not`` for why).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hashpivot.model.cli import main
from hashpivot.model.config.schema import Scenario
from hashpivot.model.simulation import COLUMNS
from hashpivot.model.tools.output import MANIFEST
from hashpivot.model.tools.run import simulate
from hashpivot.model.tools.sweep.execute import open_backend
from hashpivot.model.tools.sweep.worker import OK, run_task

REPO = Path(__file__).resolve().parents[1]
DAYS = 60
VOLATILE_MANIFEST_KEYS = ("wall_time_s", "created_utc", "command")  # differ run to run by design


def small(**sections) -> Scenario:
    """A dozen miners, two hyperscalers, 60 days: every mechanism runs, quickly."""
    miners = [{**a.model_dump(), "count": 1 if a.spread == "none" else 3} for a in Scenario().miners]
    data = {"name": "small", "run": {"days": DAYS}, "miners": miners, "ai": {"hyperscalers": 2}}
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return Scenario.model_validate(data)


def tables(folder: Path) -> dict[str, bytes]:
    """Every output file's bytes, the manifest without its run-specific keys."""
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != MANIFEST}
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    for key in VOLATILE_MANIFEST_KEYS:
        manifest.pop(key)
    files[MANIFEST] = json.dumps(manifest, sort_keys=True).encode()
    return files


def assert_same_series(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    """Exact equality of every daily column (NaN equal to NaN: some metrics are undefined some days)."""
    assert list(a) == list(b)
    for column in a:
        x, y = np.asarray(a[column]), np.asarray(b[column])
        if x.dtype.kind == "f":
            assert np.array_equal(x, y, equal_nan=True), column
        else:
            assert np.array_equal(x, y), column


# --------------------------------------------------------------------------------------------
# Repeated runs, in one process and in separate ones
# --------------------------------------------------------------------------------------------


def test_repeated_runs_write_byte_identical_files(tmp_path, capsys):
    args = ["run", "mass_exit_2026", "--seed", "7", "--days", str(DAYS)]
    for name in ("a", "b", "c"):
        assert main([*args, "--out", str(tmp_path / name)]) == 0
    capsys.readouterr()
    first = tables(tmp_path / "a")
    assert {"timeseries.csv", "timeseries.parquet", "agents.csv", MANIFEST} <= set(first)
    assert tables(tmp_path / "b") == first
    assert tables(tmp_path / "c") == first
    assert first["timeseries.csv"].count(b"\n") == DAYS + 1


def test_separate_processes_write_byte_identical_files(tmp_path):
    # Different hash seeds: nothing may depend on the iteration order of sets or str-keyed dicts.
    outs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"p{hash_seed}"
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "hashpivot",
                "run",
                "baseline",
                "--seed",
                "3",
                "--days",
                str(DAYS),
                "--out",
                str(out),
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        outs.append(out)
    assert (outs[0] / "timeseries.csv").read_bytes() == (outs[1] / "timeseries.csv").read_bytes()
    assert tables(outs[0]) == tables(outs[1])


# --------------------------------------------------------------------------------------------
# Through the sweep's executors
# --------------------------------------------------------------------------------------------

NUMERIC = [c for c in COLUMNS if c != "day"]


def _task_args(seed: int) -> tuple:
    # The sweep worker's own inputs: resolved scenario data, seed, horizon, reducers, kept series.
    scenario = small(run={"stochastic_blocks": True}).model_dump(mode="json")
    reducers = ({"name": "price_final", "column": "btc_price_usd", "reducer": "final", "missing": None},)
    return scenario, seed, DAYS, reducers, NUMERIC


def _through(backend_kwargs: dict, seeds: tuple[int, ...]) -> tuple[list[dict], list]:
    """Run the seeds through one executor, as a sweep does (run_task) and as plain simulate calls."""
    with open_backend(**backend_kwargs) as backend:
        tasks = [backend.executor.submit(run_task, *_task_args(s)) for s in seeds]
        sims = [backend.executor.submit(simulate, small(price={"kind": "gbm"}), s, DAYS) for s in seeds]
        return [t.result() for t in tasks], [r.result() for r in sims]


def _check_same(reference: tuple[list[dict], list], other: tuple[list[dict], list]) -> None:
    for expected, got in zip(reference[0], other[0], strict=True):
        assert expected["status"] == got["status"] == OK, (expected["error"], got["error"])
        assert got["metrics"] == expected["metrics"]
        assert got["series"] == expected["series"]  # lists of floats (None for NaN): exact
    for expected, got in zip(reference[1], other[1], strict=True):
        assert_same_series(expected.timeseries, got.timeseries)
        assert got.leases == expected.leases and got.events == expected.events and got.sales == expected.sales


SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def serial_reference():
    return _through({"workers": 1}, SEEDS)


def test_serial_executor_matches_a_direct_run(serial_reference):
    tasks, sims = serial_reference
    direct = simulate(small(price={"kind": "gbm"}), seed=SEEDS[0], days=DAYS)
    assert_same_series(direct.timeseries, sims[0].timeseries)
    assert tasks[0]["series"]["day"] == list(range(DAYS))
    # The seeds differ, so the runs must too (a stuck seed would make the comparisons vacuous).
    assert tasks[0]["series"]["blocks"] != tasks[1]["series"]["blocks"]


def test_process_pool_gives_identical_series(serial_reference):
    _check_same(serial_reference, _through({"workers": 2}, SEEDS))


def test_dask_cluster_gives_identical_series(serial_reference):
    from distributed import LocalCluster

    # Two worker processes (spawned, so they import hashpivot afresh): ~2 s to start on 2 cores.
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        result = _through({"scheduler": cluster.scheduler_address}, SEEDS)
    _check_same(serial_reference, result)


# --------------------------------------------------------------------------------------------
# Different seeds
# --------------------------------------------------------------------------------------------


def test_gbm_price_differs_by_seed():
    a, b = (simulate(small(price={"kind": "gbm"}), seed=s, days=DAYS).timeseries for s in (1, 2))
    assert a["btc_price_usd"][0] == b["btc_price_usd"][0]  # both start at price.start_usd
    assert not np.array_equal(a["btc_price_usd"], b["btc_price_usd"])


def test_poisson_blocks_differ_by_seed_expected_blocks_do_not_draw():
    # Same constant price in both: only the block draws can tell the two chains apart early on.
    poisson = [
        simulate(small(price={"kind": "constant"}, run={"stochastic_blocks": True}), seed=s, days=DAYS) for s in (1, 2)
    ]
    a, b = (r.timeseries["blocks"] for r in poisson)
    assert not np.array_equal(a, b)
    assert np.all(a == np.round(a))  # Poisson: whole blocks
    expected = simulate(small(price={"kind": "constant"}), seed=1, days=DAYS).timeseries["blocks"]
    assert not np.all(expected == np.round(expected))  # expected-value mode: fractional blocks


def test_constant_price_is_seed_free_but_the_run_is_not():
    # With price.kind = "constant" the BTC price draws nothing from the rng, so it is identical for
    # every seed. The run as a whole still differs by seed, and that is by design: the grid draws each
    # day's hourly power prices (a common daily shock and lognormal hours, agents/grid_operator.py)
    # from its own stream of the model seed, the spread archetypes' vintages are jittered at
    # creation, and agents act in a seeded random order. No scenario setting turns those off.
    a, b = (simulate(small(price={"kind": "constant"}), seed=s, days=DAYS).timeseries for s in (1, 2))
    np.testing.assert_array_equal(a["btc_price_usd"], b["btc_price_usd"])
    assert not np.array_equal(a["mining_revenue_usd"], b["mining_revenue_usd"])
    assert not np.array_equal(a["network_hashrate_ehs"], b["network_hashrate_ehs"])
    # ...and the same seed still reproduces it exactly.
    assert_same_series(a, simulate(small(price={"kind": "constant"}), seed=1, days=DAYS).timeseries)
