"""Byte-identity of the run outputs: a refactor must not change a single byte of what a run writes.

The digests below are the sha256 of the six tables ``hashpivot run baseline --seed S --days 730`` writes. They
were taken before the architecture refactor and held for every commit of it; the supply-side issue (entry,
hibernation, the used-ASIC market, ASIC prices, per-firm beliefs) changed behaviour by design and re-pinned
them, and so did its liquidity, wind-down and going-concern site-valuation fixes. Only a change that is *meant* to change behaviour (a new mechanism, a fixed defect) may update them,
and its commit says so.

The digests depend on floating-point results, so they are pinned for the project's own set-up (the versions
in ``pyproject.toml`` on Linux x86-64, as in CI); the test runs the installed command line, as a user would.
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
        "timeseries.csv": "fd23cfa9bfb8879c81da03273efc5eb9858a25c4afd971406ee4519810b01b47",
        "agents.csv": "236c76bda18edc6c104185d73cfb61d0972a59cff8fbac9698076a67bb726429",
        "leases.csv": "f621d8b459a48890e30d411739e137e45633606b7605f841f8e5837aae016ddf",
        "sites.csv": "fc67cbe85ba98906a117c89943d83861669d806abd8f5034995b36a030ea5caf",
        "sales.csv": "68350b0edf01cab742b892a2aab317a6d908e5e2a2dd417e84010f8b6f69c82b",
        "events.csv": "1c88954fb1966570315f5720b7d50edf5482bac65b561db246e5a5779b3a9d13",
    },
    1: {
        "timeseries.csv": "cdeb69d4f8140ec05ceeef4f7cf0ff222d416c26c8a4ebf471c3bccb0a86e043",
        "agents.csv": "1d4bd83fbb7a8fc3daf06548c7c5d28525eb8727d4caa84606b90d3903d05270",
        "leases.csv": "55117cc5d34c18fdce4ccab9067589806446608e02a995c772c2151e078621ca",
        "sites.csv": "0b3d505be1040b61ee9a7d3168baca209ed1854724d8313fb99eca7bf932ce70",
        "sales.csv": "fdcdd840acfbbdb9b07ca9c0c506e6cbcfe53a6a9bdf8984d6563a8a23777839",
        "events.csv": "62276921f1f556dbfe8afa96696841dad216175372d7e24681bdaf110010060b",
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
