"""Mining by cohort (batches sharing a site and J/TH decided once) is bit-identical to one row per batch."""

from __future__ import annotations

import numpy as np

from hashpivot.model.world.fleet import cohorts, mine_day


def test_cohorts_group_exactly_the_batches_with_the_same_site_and_efficiency():
    rng = np.random.default_rng(3)
    site = rng.integers(0, 5, 200).astype(np.int32)
    j = rng.choice([15.0, 17.5, 17.5 + 1e-12, 21.0], 200)
    first, cohort = cohorts(site, j)
    assert np.array_equal(site[first][cohort], site)
    assert np.array_equal(j[first][cohort], j)
    assert len({(int(a), float(b)) for a, b in zip(site, j, strict=True)}) == first.size


def test_mining_by_cohort_is_bit_identical_to_mining_batch_by_batch():
    rng = np.random.default_rng(7)
    n_sites, n = 9, 400
    site = rng.integers(0, n_sites, n).astype(np.int32)
    j = rng.choice([14.0, 17.5, 21.5, 29.0, 34.0], n)
    mw = rng.uniform(0.1, 60.0, n)
    site_prices = rng.lognormal(np.log(40), 0.6, (n_sites, 24))
    site_called = rng.random((n_sites, 24)) < 0.1
    site_dr = rng.uniform(0.0, 300.0, n_sites)
    by_batch = mine_day(mw, j, site_prices[site], site_called[site], site_dr[site], 55.0)
    first, cohort = cohorts(site, j)
    rows = site[first]
    by_cohort = mine_day(mw, j, site_prices[rows], site_called[rows], site_dr[rows], 55.0, cohort=cohort)
    for name in ("run_hours", "energy_mwh", "power_cost_usd", "hashrate_ph", "called_curtailed_mwh"):
        assert getattr(by_cohort, name).tobytes() == getattr(by_batch, name).tobytes(), name
