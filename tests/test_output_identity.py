"""Byte-identity of the run outputs: a refactor must not change a single byte of what a run writes.

The digests below are the sha256 of the six tables ``hashpivot run baseline --seed S --days 730`` writes. They
were taken before the architecture refactor and held for every commit of it; the supply-side issue (entry,
hibernation, the used-ASIC market, ASIC prices, per-firm beliefs) changed behaviour by design and re-pinned
them, and so did its liquidity, wind-down and going-concern site-valuation fixes, and the persistent daily
power-price shock (``grid.day_shock_persistence``) with the package versions pinned in constraints.txt, and
expansion and upgrades on the NPV test, and the exit fixes of session 6 (persistent hour-of-day prices, sold
sites vacated in weekly tranches, firms wound down without waiting for machines they gave up, damped hashrate
trends in miners' forecasts, used-machine budgets that pay the installation), and load-driven power prices
with tenant equipment bought at approval (2026-12-02; new daily price columns). Only a
change that is *meant* to change behaviour (a new mechanism, a fixed defect) may update them, and its commit
says so.

The digests depend on floating-point results, so they are pinned for the project's own set-up (the versions in
``constraints.txt``, which ``make setup`` installs, on Linux x86-64, as in CI); the test runs the installed
command line, as a user would.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

TABLES = ("timeseries.csv", "agents.csv", "leases.csv", "sites.csv", "sales.csv", "events.csv")

PINNED = {
    0: {
        "timeseries.csv": "3ff44248bbc3e7e847076019e501217c30be094193dade7b1d75a199f5ca60f6",
        "agents.csv": "c9c19c37fcada0a917b192f08225755518e1b4c182573f83d6d0c7d9153b9721",
        "leases.csv": "95c6333fc8382743ffb062d5bb4ceb606f39797caab49bfc4c33e9b31a7e2910",
        "sites.csv": "f9cb0e9c86b8a7bd0f7daeb36834db0e0cfb1668aeef98077ebf745eb5927343",
        "sales.csv": "023031c831c729e8c730b5c6c0427f2cb1fc29a4ed1be693b931364442652752",
        "events.csv": "4f2ee40e8aeea079f28ab5e7dd993d5fa76dbb1bd1b348e10bc4ee899f3e3bc5",
    },
    1: {
        "timeseries.csv": "e528cfdbc711416a18e8535a9ba18e03997669298b7a3f3c67ee4665371dff14",
        "agents.csv": "4dab434396025c9a6510995997b7a4e2355074f97c285b34ef487bf0c9ab65fc",
        "leases.csv": "bcd2b1f410ba8d9c144d146563cb9a19348194aae077f7cc9dc643df7a0b347b",
        "sites.csv": "587415af9f205e7046a14a96cf32f3d1af3a15555018e79cbd97346e254f4ba4",
        "sales.csv": "33fed825b355d75c7ee274f7c491e4e4a609e8a5caedd8d083a2ee6f823dcef0",
        "events.csv": "70a224a5d8c73c0054055d6a4c04d73c43c4c72210149e566d158323f06522a6",
    },
}


def _digests(folder: Path) -> dict[str, str]:
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in TABLES}


@pytest.mark.parametrize("seed", sorted(PINNED))
def test_two_year_baseline_outputs_are_byte_identical(seed, tmp_path):
    cli = Path(sys.executable).parent / "hashpivot"
    out = tmp_path / f"baseline-{seed}"
    done = subprocess.run(
        [str(cli), "run", "baseline", "--seed", str(seed), "--days", "730", "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert _digests(out) == PINNED[seed]
