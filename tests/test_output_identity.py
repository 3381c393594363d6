"""Byte-identity of the run outputs: a refactor must not change a single byte of what a run writes.

The digests below are the sha256 of the six tables ``hashpivot run baseline --seed S --days 730`` writes. They
were taken on the code before the architecture refactor and hold for every commit of it. Only a change that
is *meant* to change behaviour (a new mechanism, a fixed defect) may update them, and its commit says so.

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
        "timeseries.csv": "0a408ca82efe37d7e0d88118955aea762727859a57f1605efa0966a878f8900a",
        "agents.csv": "206209f892f0b1c1de03d51954a623fe2d34da172a94b0ba9d63d22b1b92fa99",
        "leases.csv": "892108e8efe4466ee5b97efc70f945fd75da9e7b06a7b6844b77ab7a893d988d",
        "sites.csv": "5e3dd544d810fef7db594a71d5ab4846b79d8d9af511b4690bbfa9b4e1facbe6",
        "sales.csv": "d1aafbd80cd1058fdfd96d04d923ecef198584a4c30562e6e1fc91a1bef94dfe",
        "events.csv": "8278c8feef1134eb0f676d121fcf96c89df82614cdb60da08637589d510ed7d3",
    },
    1: {
        "timeseries.csv": "739dc389b779cab9e801ed3cb53bb8e5ccd1e52ed30609fb5ddab4dd7b03a2b3",
        "agents.csv": "0e0febca121cb4506aef45598be5e60261072d6647a58cb84192f104d9a9a340",
        "leases.csv": "e56d72f851ec147c848e031038596f826cd9caebdf11abf1b428a38a21298268",
        "sites.csv": "1ef586a1e31baaa5c7aaf71f77b4196dc98baaaab2cae4dc685abd1ba993e4ad",
        "sales.csv": "1f2a5cb82e8f441ace7913aea3a961eeeda5812883f0db557373149a623be347",
        "events.csv": "f355797e6a76ca1dedb9ef63129e4b7c958a2be5e5052aef633b5a72846f0ea6",
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
