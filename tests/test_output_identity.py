"""Byte-identity of the run outputs: a refactor must not change a single byte of what a run writes.

The digests below are the sha256 of the six tables ``hashpivot run baseline --seed S --days 730`` writes. They
were taken before the architecture refactor and held for every commit of it; the supply-side issue (entry,
hibernation, the used-ASIC market, ASIC prices, per-firm beliefs) changed behaviour by design and re-pinned
them. Only a change that is *meant* to change behaviour (a new mechanism, a fixed defect) may update them,
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
        "timeseries.csv": "b1f4283554bfcd00ce44db591c1731abab44285f08de045a70da5dbf17cccb14",
        "agents.csv": "4d13d68503bfa5ef0983ebf66ebd9b466a38bc1b8abac3fe09e0cbe21e5cab32",
        "leases.csv": "0a0d556cf5f27221fdc8855aba4d4427789cec609fb9a6a0665ae5e1281b6263",
        "sites.csv": "8ae7cf189110cf935b4d6f1161220a226a37091f5ee0a4e818cbe8e3d4530aa4",
        "sales.csv": "db0a3ff06de5b88da09ce6c9f764320765b7711667315dd978aaa45c21952e39",
        "events.csv": "0974d6175a18adfee400772ede1f6a754781451c0e0c2f6c37f018133f8f67a1",
    },
    1: {
        "timeseries.csv": "bec10074b625ccdc97dd0f95fcdb42e1e93d5baaeba20e52b752039619f7bb89",
        "agents.csv": "05e44ed914140971f8c004bf502bafbfb72bb42e5c7849ef1bb822053339ec8c",
        "leases.csv": "54a571aba8c22d4dcd2b9e57b102049bbe0cb2a46f9f9a2b436779768d9e77b3",
        "sites.csv": "26586da9ab4fafedbf99707184d002b616ee4c7ae390deb832e5377ddf2ba6f0",
        "sales.csv": "40cab3b66216da6ba1a732a651761e51321518e2128cb751b914ba59b3a6e295",
        "events.csv": "e6fb9a2caad62b420b101a6971478d4c86b8852ebd0d92aead156e9a8fb99549",
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
