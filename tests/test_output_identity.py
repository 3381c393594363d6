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
    # restructure, be taken over (by miners and by outside capital) and pay out (issue "Firms that can fail,
    # merge and pay out"). The "avx2" set is the same machine with numpy's AVX-512 kernels switched off
    # (``NPY_DISABLE_CPU_FEATURES``): that setting reproduced, byte for byte, the earlier pins taken on an AMD
    # EPYC without AVX-512, so the family difference is numpy's SIMD dispatch.
    "avx512": {
        "skip_columns": (),
        0: {
            "timeseries.csv": "e085f2cf1bc5e813e1a8860b05e581e7048741b777001dbe144c8ce3ec9b013c",
            "agents.csv": "d3482f4db01c485bcc89820eab2a0dfccb065441410a53a32b36238814ac7e3c",
            "leases.csv": "c88a0067a79681de8c786995e92720a78df036f3eca382fb597852552317efff",
            "sites.csv": "dce8555f87fb210da6e60b654f3f48da4e348d0c9e0074bb1fef0460a576fc45",
            "sales.csv": "a772a79110cc91c8608c6cdb84ecfc253c5ae9a263adc119f3299bbdf869305d",
            "events.csv": "421d9ba38f15c7a5427b68c5314c909d571aa2641f74d2a42dc1dcc20b5cadc7",
        },
        1: {
            "timeseries.csv": "70027a5889a7a359ae51b3683d11a1d6a23f1ccf9ee35f462a7a0692bb15aa31",
            "agents.csv": "3e2b63f9c98d6de90b92aa5a072fa1edb8721c6b6757fc48093a5452e32a4347",
            "leases.csv": "411e61cc4857bde3a213ca1991746ebeec9935aec082b5aded35c8972a8e5b20",
            "sites.csv": "d0a32bd14a5f9772185422287ab03272f9f337145a380d96f3bda8c5526309f6",
            "sales.csv": "2ef2fee36ebe4197f8b230341416be3b1d527faa22529d63adfbab3057490ca3",
            "events.csv": "d5955816e8b4a2be451acf50b41a71316abab68cccb3f26271f39cbb3838421f",
        },
    },
    "avx2": {
        "skip_columns": (),
        0: {
            "timeseries.csv": "ed0423ea1e7493c02ae18994986e1743f8b2a9bf342bd6174718d1a18f9d0d38",
            "agents.csv": "12e3fa9872c7b7fc2cf4e8d25fee59c30f418b86be22db9a315c29854d90f8f3",
            "leases.csv": "30c8e50d68fe3655db4c7d1bae04deecd6e3fe618652b0af09a2528dab6bafec",
            "sites.csv": "e55c70b30c3eee5245ccbb3fd435e3ae4b6d5bb8936f4acf7f01ed162fb08587",
            "sales.csv": "a1faedcfde641db770c5fd58d40933c4dbf3e2053d7c9ae2c2977808c540123d",
            "events.csv": "421d9ba38f15c7a5427b68c5314c909d571aa2641f74d2a42dc1dcc20b5cadc7",
        },
        1: {
            "timeseries.csv": "ff132ca9faddb44ad4781b1b48f00cb6ec5ed6eef4e183f379461054ee6b3d02",
            "agents.csv": "adda140a760a7c175c5f362a13f77b7f11172de7e94d26078528483a52e8d710",
            "leases.csv": "07a9a72df8276157bd2d1994166fa96df9dc7099ed74801abb694b098ead6339",
            "sites.csv": "49f8bbabe85c2a63f2d1fbb046a56c0722e82145b5e04399100af10f9f0dc167",
            "sales.csv": "c0e356fc7573c94d3e21d22baf44dc4c5c70c8b4118d79d792a87dd9abe221d5",
            "events.csv": "d5955816e8b4a2be451acf50b41a71316abab68cccb3f26271f39cbb3838421f",
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
