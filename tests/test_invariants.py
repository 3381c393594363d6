"""Invariants checked after every step (issue 3): MW states, cash balance, no double leasing, hashrate."""

import numpy as np
import pytest

from hashpivot.model.simulation import HashpivotModel
from tests.helpers import scenario


@pytest.mark.parametrize("seed", [0, 7])
def test_invariants_hold_every_step_for_two_years(seed):
    model = HashpivotModel(scenario(), seed=seed, check_invariants=True)
    for _ in range(730):
        model.step()  # model.check() raises on any violation
    t = model.recorder.as_dict()
    assert np.all(t["network_hashrate_ehs"] > 0)
    assert t["leases_signed_total"][-1] > 0  # the run exercised the lease path
    states = model.sites.state_mw()
    total = sum(states.values())
    np.testing.assert_allclose(total, model.sites.capacity_mw[: model.sites.n], rtol=0, atol=1e-6)


def test_a_cash_movement_without_a_booked_flow_is_caught():
    model = HashpivotModel(scenario(), seed=0)
    model.step()
    model.accounts.open_day()
    model.accounts.cash_usd[0] += 1.0
    with pytest.raises(AssertionError, match="without a booked flow"):
        model.accounts.check()


def test_a_negative_state_is_caught():
    model = HashpivotModel(scenario(), seed=0)
    model.sites.converting_mw[0] = model.sites.capacity_mw[0] * 2
    with pytest.raises(AssertionError):
        model.sites.check()


def test_same_seed_same_path_different_seed_different_path():
    a = HashpivotModel(scenario(), seed=3)
    b = HashpivotModel(scenario(), seed=3)
    c = HashpivotModel(scenario(), seed=4)
    for _ in range(120):
        a.step(), b.step(), c.step()
    ta, tb, tc = (m.recorder.as_dict() for m in (a, b, c))
    for k in ta:
        np.testing.assert_array_equal(ta[k], tb[k])
    assert not np.array_equal(ta["btc_price_usd"], tc["btc_price_usd"])


def test_a_finished_conversion_leaves_no_converting_mw():
    # MW added to "converting" in pieces and removed as a whole leave float dust; a site whose conversions
    # are all built must read exactly 0 converting MW, or the miner keeps counting as "converting".
    from hashpivot.model.world.sites import Cooling, Owner, SiteBook

    sites = SiteBook()
    i = sites.add(
        region=0,
        capacity_mw=100.0,
        owner_kind=Owner.MINER,
        owner=0,
        energised=True,
        power_adder_usd_per_mwh=0.0,
        cooling=Cooling.AIR,
        convertible_mw=100.0,
        capex_multiplier=1.0,
    )
    for piece in (0.1, 0.2, 0.3):
        sites.converting_mw[i] += piece
    assert sites.converting_mw[i] != 0.6  # 0.1 + 0.2 + 0.3 in floating point
    sites.take_mw("converting_mw", i, 0.6)
    assert sites.converting_mw[i] == 0.0
