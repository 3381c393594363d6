"""Batched NPVs are bit-identical to one call per group (the speed-ups rely on it; see finance.sum_columns_as_calls)."""

from __future__ import annotations

import numpy as np
import pytest

from hashpivot.model.world import finance

YEARS = np.arange(0.5, 10.0, 1.0)
FIXED = {"opex_usd_per_mw_day": 4_000.0, "failure_rate_per_year": 0.05, "idle_cost_usd_per_mw_day": 300.0}


def _inputs(rng, n):
    return {
        "j_per_th": rng.uniform(12.0, 40.0, n),
        "price_mean": rng.uniform(0.0, 90.0, n),
        "price_sigma_log": rng.uniform(0.2, 0.9, n),
        "adder": rng.uniform(0.0, 10.0, n),
        "scarcity_share": rng.uniform(0.0, 0.05, n),
        "rate_per_year": rng.uniform(0.08, 0.4, n),
        "dr_usd_per_mw_day": rng.uniform(0.0, 50.0, n),
        "life_years": rng.uniform(0.5, 5.0, n),
    }


# A few groups, and enough of them that numpy lays the batch out by column (more than 32,768 terms).
@pytest.mark.parametrize("widths", [[1, 2, 1, 5, 3, 1, 17, 1, 60, 8, 86], [1, 86, 2, 60] * 40])
def test_groups_valued_together_equal_groups_valued_apart(widths):
    rng = np.random.default_rng(7)
    n = sum(widths)
    paths = rng.uniform(20.0, 80.0, (50, YEARS.size))
    owners = rng.integers(0, 50, n)
    x = _inputs(rng, n)
    together = finance.mining_npv_terms(paths[owners].T, YEARS, **x, **FIXED)  # as Valuations.npv_terms builds it
    sums = finance.sum_columns_as_calls(together, widths)
    start = 0
    for width, got in zip(widths, sums, strict=True):
        cols = slice(start, start + width)
        apart = {k: v[cols] for k, v in x.items()}
        alone = finance.mining_npv_usd_per_mw(paths[owners[cols]].T, YEARS, **apart, **FIXED)
        assert got.tobytes() == alone.tobytes()
        start += width


def _lone_sums_match_numpy() -> bool:
    rng = np.random.default_rng(11)
    for n in range(0, 301):
        cols = rng.standard_normal((n, 40)) * rng.choice([1.0, 1e6, 1e-3], (n, 40))
        cols[rng.random((n, 40)) < 0.3] = -0.0
        cols[:, :3] = -0.0  # numpy's sum of negative zeros is +0.0
        alone = np.concatenate([cols[:, j : j + 1].copy().sum(axis=0) for j in range(40)])
        emulated = finance.lone_column_sums(cols)
        if alone.tobytes() != emulated.tobytes():
            return False
    return True


def test_lone_column_sums_are_numpys_own_sums():
    """The vectorised pairwise sum of many lone columns gives numpy's bits for every length (short, blocked, split)."""
    assert _lone_sums_match_numpy()


@pytest.mark.parametrize("disabled", ["X86_V4 AVX512_ICL AVX512_SPR", "X86_V4 AVX512_ICL AVX512_SPR X86_V3 AVX2 FMA3"])
def test_lone_column_sums_match_numpy_with_other_simd_kernels(disabled):
    """numpy picks its kernels at run time: the pins hold on AVX2 machines too (scripts/pin_digests.py)."""
    import os
    import subprocess
    import sys

    code = (
        "import sys; from tests.test_speed_npv_batching import _lone_sums_match_numpy as ok; sys.exit(0 if ok() else 1)"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": disabled}
    assert subprocess.run([sys.executable, "-c", code], cwd=root, env=env).returncode == 0


def test_row_sums_by_group_are_np_add_at_bit_for_bit():
    """The dispatch's per-region hour sums (``arrays.row_sums_by_group``) equal ``np.add.at``'s, signed zeros too."""
    from hashpivot.model.world.arrays import row_sums_by_group

    rng = np.random.default_rng(5)
    for n in range(0, 400, 7):
        group = rng.integers(0, 15, n)
        values = rng.random((n, 24)) * rng.choice([1.0, 1e5, 1e-4], (n, 1))
        values[rng.random((n, 24)) < 0.3] = 0.0
        values[rng.random((n, 24)) < 0.1] = -0.0
        expected = np.zeros((15, 24))
        np.add.at(expected, group, values)
        assert row_sums_by_group(values, group, 15).tobytes() == expected.tobytes()


def test_weighted_mean_is_np_average_bit_for_bit():
    """The decision's MW-weighted means (``arrays.weighted_mean``) equal ``np.average``'s."""
    from hashpivot.model.world.arrays import weighted_mean

    rng = np.random.default_rng(9)
    for n in range(1, 200):
        values, weights = rng.random(n) * 3.0, rng.random(n) * rng.choice([1.0, 1e3], n)
        assert weighted_mean(values, weights) == float(np.average(values, weights=weights))
