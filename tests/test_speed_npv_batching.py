"""Batched NPVs are bit-identical to one call per group (the speed-ups rely on it; see finance.sum_columns_as_calls)."""

from __future__ import annotations

import numpy as np

from hashpivot.model.world import finance


def _inputs(rng, n):
    return {
        "j_per_th": rng.uniform(12.0, 40.0, n),
        "price_mean": rng.uniform(0.0, 90.0, n),
        "price_sigma_log": rng.uniform(0.2, 0.9, n),
        "adder": rng.uniform(0.0, 10.0, n),
        "scarcity_share": rng.uniform(0.0, 0.05, n),
        "rate_per_year": rng.uniform(0.08, 0.4, n),
        "dr_usd_per_mw_day": rng.uniform(0.0, 50.0, n),
        "life_years": rng.uniform(0.5, 12.0, n),
    }


def test_groups_valued_together_equal_groups_valued_apart():
    rng = np.random.default_rng(7)
    years = np.arange(0.5, 10.0, 1.0)
    widths = [1, 2, 1, 5, 3, 1, 17, 1, 60, 8]
    n = sum(widths)
    hp = rng.uniform(20.0, 80.0, (years.size, n))
    x = _inputs(rng, n)
    fixed = {"opex_usd_per_mw_day": 4_000.0, "failure_rate_per_year": 0.05, "idle_cost_usd_per_mw_day": 300.0}
    together = finance.mining_npv_terms(hp, years, **x, **fixed)
    sums = finance.sum_columns_as_calls(together, widths)
    start = 0
    for width, got in zip(widths, sums, strict=True):
        cols = slice(start, start + width)
        alone = finance.mining_npv_usd_per_mw(hp[:, cols], years, **{k: v[cols] for k, v in x.items()}, **fixed)
        assert got.tobytes() == alone.tobytes()
        start += width
