"""Byte-identity of the run outputs: a refactor must not change a single byte of what a run writes.

The digests below are the sha256 of the six tables ``hashpivot run baseline --seed S --days 730`` writes. They
were taken before the architecture refactor and held for every commit of it; the supply-side issue (entry,
hibernation, the used-ASIC market, ASIC prices, per-firm beliefs) changed behaviour by design and re-pinned
them, and so did its liquidity, wind-down and going-concern site-valuation fixes, and the persistent daily
power-price shock (``grid.day_shock_persistence``) with the package versions pinned in constraints.txt, and
expansion and upgrades on the NPV test, and the exit fixes of session 6 (persistent hour-of-day prices, sold
sites vacated in weekly tranches, firms wound down without waiting for machines they gave up, damped hashrate
trends in miners' forecasts, used-machine budgets that pay the installation), and load-driven power prices
with tenant equipment bought at approval (2026-12-02; new daily price columns), and hyperscalers' procurement
against their capacity ledger (2026-12-02). Only a
change that is *meant* to change behaviour (a new mechanism, a fixed defect) may update them, and its commit
says so.

The digests depend on floating-point results, so they are pinned for the project's own set-up (the versions in
``constraints.txt``, which ``make setup`` installs, on Linux x86-64), and per CPU family (``_platform``); the
test runs the installed command line, as a user would. Pins for both families can be retaken on one AVX-512
machine: ``scripts/pin_digests.py``.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

TABLES = ("timeseries.csv", "agents.csv", "leases.csv", "sites.csv", "sales.csv", "events.csv")

PINNED = {
    # Both taken 2026-12-03 on an Intel Xeon with AVX-512 by scripts/pin_digests.py, after firms could default,
    # restructure, be taken over and pay out (issue "Firms that can fail, merge and pay out"). The "avx2" set
    # is the same machine with numpy's AVX-512 kernels switched off (``NPY_DISABLE_CPU_FEATURES``): that
    # setting reproduced, byte for byte, the earlier pins taken on an AMD EPYC without AVX-512, so the family
    # difference is numpy's SIMD dispatch.
    "avx512": {
        "skip_columns": (),
        0: {
            "timeseries.csv": "0f353374e1082e2c1592714043b443901c03ab392bc72759125cc5886580bca3",
            "agents.csv": "bb3621308c1a57e2e12ce1f712fcdbcd10fd52da9b8fe5d9aab0683b21818772",
            "leases.csv": "8871bdbf4aa91e29191a7d5f004509f76978897a3a6f37c78af78a2b3d5abce9",
            "sites.csv": "7b87782b4a872dde4c5a127b30e9ab441bf7b170dc5850e9944b5b0749d2f59c",
            "sales.csv": "d9702d7b7866f9bfaba75336bf4633988ee193a3c1777c178cfd5a6ea558c1b0",
            "events.csv": "2ccb1375675d78a1b50bdc9b46813774da9319c46dc9b26e2b97d1792a3ee095",
        },
        1: {
            "timeseries.csv": "cb677fa5b80049f851717d39acc28cb6c44a4063bb06682c82d0d5927847023f",
            "agents.csv": "0b38b650eacf71e02480e005571110694de09a844981872193da2504e206c983",
            "leases.csv": "116fe406a996016ebf0e6f96191bc5420f91997605e1bf5fa7cb3551c6c76921",
            "sites.csv": "799725ea6eddc801c2722657a20121674f726a28ba342d92589966c27265ec65",
            "sales.csv": "1e10a284026757db98ab86b3d3bbfb8373ff6ac38279309a02b243884e90f8ba",
            "events.csv": "2990117c2ac01c7a718bfe1e0493b6976c1fc17ab50fc8c7dd5a11faf4955a93",
        },
    },
    "avx2": {
        "skip_columns": (),
        0: {
            "timeseries.csv": "6b452184d31d7c77e5208acb17d121192081279169c6e8a443610074204ec557",
            "agents.csv": "93d4e2765f073ff119aab25717a3c897f5d9cb06bd21b93886dcee9957e50da6",
            "leases.csv": "c1306e4365e11c996112171aa281d80092e8be06d16bd556f3efe5cf6bde1215",
            "sites.csv": "5fd27b6067d540f34b1236cae7e97852d4e6111fe81593d9bf700603612b5a12",
            "sales.csv": "32b2c8f41c98238015d86b90afac1b24f759f50529248609baab38b1fab12134",
            "events.csv": "2ccb1375675d78a1b50bdc9b46813774da9319c46dc9b26e2b97d1792a3ee095",
        },
        1: {
            "timeseries.csv": "c06bdc3fe5a7d971c381d0c8525fc366bdba1ca5baa6ce5032874792cb77265f",
            "agents.csv": "393797513cbaa4f3c04c5190529d130f1d14c18c54a65ab598e2057d781ea6a3",
            "leases.csv": "d7167ec411954de0613f633f13edf4c6ace1bc255dde61c19fcabc3e15deb609",
            "sites.csv": "79364cc47091a041735d991073348bd46ef4dbc18e9e3163368a2aa538428786",
            "sales.csv": "0634a9c9014cadc2f969a8a57001cc64e7804174650228c5412ade25a9001acc",
            "events.csv": "2990117c2ac01c7a718bfe1e0493b6976c1fc17ab50fc8c7dd5a11faf4955a93",
        },
    },
}
SEEDS = (0, 1)


def _platform() -> str:
    """Which set of pins applies: numpy's vectorised math differs in the last bit with and without AVX-512."""
    from numpy._core._multiarray_umath import __cpu_features__

    # X86_V4 is numpy 2.5's AVX-512 group; it reads False when NPY_DISABLE_CPU_FEATURES switches the group off.
    return "avx512" if __cpu_features__.get("X86_V4", __cpu_features__.get("AVX512F")) else "avx2"


def _without(raw: bytes, columns: tuple[str, ...]) -> bytes:
    """The CSV's bytes with ``columns`` removed (the recorder writes no quoted fields)."""
    if not columns:
        return raw
    lines = raw.split(b"\n")
    header = lines[0].split(b",")
    drop = {header.index(c.encode()) for c in columns}
    return b"\n".join(
        b",".join(f for j, f in enumerate(line.split(b",")) if j not in drop) if line else line for line in lines
    )


def _digests(folder: Path, skip_columns: tuple[str, ...]) -> dict[str, str]:
    def raw(name):
        data = (folder / name).read_bytes()
        return _without(data, skip_columns) if name == "timeseries.csv" else data

    return {name: hashlib.sha256(raw(name)).hexdigest() for name in TABLES}


@pytest.mark.parametrize("seed", SEEDS)
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
    pins = PINNED[_platform()]
    assert _digests(out, pins["skip_columns"]) == pins[seed]
