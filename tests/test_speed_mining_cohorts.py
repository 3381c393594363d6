"""Mining by cohort (batches sharing a site and J/TH decided once) is bit-identical to one row per batch."""

from __future__ import annotations

import numpy as np

from hashpivot.model.world.fleet import Fleet, mine_day


def _fleet(rng, n: int, n_sites: int) -> Fleet:
    f = Fleet()
    for _ in range(n):
        j = float(rng.choice([14.0, 17.5, 17.5 + 1e-12, 21.5, 29.0]))
        f.add(site=int(rng.integers(0, n_sites)), owner=0, mw=float(rng.uniform(0.1, 60.0)), j_per_th=j,
              cost_usd=1.0, online_day=0)  # fmt: skip
    return f


def _assert_exact_groups(f: Fleet, batches: np.ndarray) -> None:
    first, cohort = f.cohorts(batches)
    site, j = f.site[batches], f.j_per_th[batches]
    assert np.array_equal(site[first][cohort], site)
    assert np.array_equal(j[first][cohort], j)
    assert len({(int(a), float(b)) for a, b in zip(site, j, strict=True)}) == first.size


def test_cohorts_follow_new_batches_and_moved_sites():
    rng = np.random.default_rng(3)
    f = _fleet(rng, 150, 5)
    _assert_exact_groups(f, np.arange(f.n))
    f.move_site(2, 7)
    f.site[10] = 4  # the used-machine market relabels a sold batch in place
    f.add(site=9, owner=0, mw=1.0, j_per_th=14.0, cost_usd=1.0, online_day=0)
    _assert_exact_groups(f, np.arange(f.n))
    _assert_exact_groups(f, np.arange(0, f.n, 3))


def test_mining_by_cohort_is_bit_identical_to_mining_batch_by_batch():
    rng = np.random.default_rng(7)
    n_sites = 9
    f = _fleet(rng, 400, n_sites)
    b = np.arange(f.n)
    site, j, mw = f.site[b], f.j_per_th[b], f.mw[b]
    site_prices = rng.lognormal(np.log(40), 0.6, (n_sites, 24))
    site_called = rng.random((n_sites, 24)) < 0.1
    site_dr = rng.uniform(0.0, 300.0, n_sites)
    by_batch = mine_day(mw, j, site_prices[site], site_called[site], site_dr[site], 55.0)
    first, cohort = f.cohorts(b)
    rows = site[first]
    by_cohort = mine_day(mw, j, site_prices[rows], site_called[rows], site_dr[rows], 55.0, cohort=cohort)
    for name in ("run_hours", "energy_mwh", "power_cost_usd", "hashrate_ph", "called_curtailed_mwh"):
        assert getattr(by_cohort, name).tobytes() == getattr(by_batch, name).tobytes(), name
