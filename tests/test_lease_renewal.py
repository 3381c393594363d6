"""Leases end and renew: at term end tenant and landlord bargain a renewal, or the MW return to the landlord.

Before 2026-12-03 every lease simply ended at its term: the MW went back to the landlord, even while the tenant
still needed them and was building greenfield for the same demand (issue "AI demand and grid prices", item 5).
Here GPU-cloud terms are cut to one year so that terms end inside a short run (all RFPs GPU cloud).
"""

from __future__ import annotations

import pytest
from helpers import scenario

from hashpivot.model.markets.leasing import BargainingContext, rubinstein_bargaining
from hashpivot.model.markets.renewal import RenewalOffer, renewal_rent
from hashpivot.model.simulation import HashpivotModel

SHORT_TERMS = {"ai": {"gpu_cloud_share": 1.0, "gpu_cloud": {"term_years": 1.0}}}
DAYS = 1000


def _run(demand_ends_on_day: int | None = None):
    m = HashpivotModel(scenario(SHORT_TERMS), seed=0, check_invariants=True)
    for _ in range(DAYS):
        if m.day == demand_ends_on_day:
            for hs in m.hyperscalers:  # the AI boom ends: no addressable demand beyond what existed at the start
                hs.demand_mw = lambda day: 0.0
        m.step()
    return m


def _kinds(m, kind):
    return [e for e in m.events if e["kind"] == kind]


@pytest.fixture(scope="module")
def growing():
    return _run()


def _first_end_day(m) -> int:
    return min(x.end_day for x in m.leases.leases if x.end_day >= 0)


def test_a_tenant_that_still_needs_the_mw_renews_them(growing):
    """Fails on 61fe54e: no lease was ever renewed (the event kind did not exist)."""
    m = growing
    renewals = _kinds(m, "renew")
    assert renewals, "AI demand keeps growing, so tenants renew"
    by_id = {x.id: x for x in m.leases.leases}
    renewed = [x for x in by_id.values() if x.prepayment_usd == 0 and x.start_day == x.sign_day >= 0]
    assert len(renewed) == len(renewals)
    for new in renewed:
        old = [x for x in by_id.values() if x.site == new.site and x.end_day == new.start_day]
        assert old and new.mw <= max(x.mw for x in old) + 1e-9
        assert new.miner_reservation_usd_per_kw_month <= new.rent_usd_per_kw_month
        assert new.rent_usd_per_kw_month <= new.hyperscaler_reservation_usd_per_kw_month


def test_when_demand_ends_the_mw_return_to_the_landlord(growing):
    """Paired with the run above (same seed): demand ends before the first term ends -> terms end unrenewed."""
    stop = _first_end_day(growing) - 1
    m = _run(demand_ends_on_day=stop)
    assert not _kinds(m, "renew")
    ended = _kinds(m, "lease_end")
    assert ended and all("not renewed" in e["text"] for e in ended)
    last = m.day - 1  # the last day stepped
    assert _live_mw(m, last) < _live_mw(growing, last)
    # the returned MW are idle AI-ready space at the landlord's sites, not AI load
    for x in m.leases.leases:
        if 0 <= x.end_day <= last:
            assert m.sites.ai_mw[x.site] == pytest.approx(_live_mw(m, last, x.site), abs=1e-6)


def _live_mw(m, day: int, site: int | None = None) -> float:
    return sum(
        x.mw for x in m.leases.leases if 0 <= x.start_day <= day < x.end_day and (site is None or x.site == site)
    )


def test_renewal_rent_lies_between_the_two_reservations_and_needs_a_surplus():
    args = ("rubinstein", 0.12, 0.15, 0.5)
    offer = RenewalOffer(mw=50.0, reservation_usd_per_kw_month=900.0)
    rent = renewal_rent(600.0, offer, 20.0, *args)
    assert 600.0 < rent < 900.0
    # bilateral: an incumbent tenant faces no rival bids, so scarcity is 1
    assert rent == rubinstein_bargaining(BargainingContext(600.0, 900.0, 0.12, 0.15, 1.0, 0.5))
    assert renewal_rent(950.0, offer, 20.0, *args) is None  # no surplus: the MW go back
    assert renewal_rent(600.0, None, 20.0, *args) is None  # the tenant no longer needs them
    assert renewal_rent(600.0, RenewalOffer(10.0, 900.0), 20.0, *args) is None  # less than a block
