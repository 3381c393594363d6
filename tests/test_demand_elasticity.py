"""AI demand's response to the cost of capacity: a scenario knob, 0 by default (issue "AI demand ...", item 3)."""

from __future__ import annotations

from helpers import scenario

from hashpivot.model.simulation import HashpivotModel

DAYS = 730


def _run(elasticity: float):
    m = HashpivotModel(scenario({"ai": {"demand_price_elasticity": elasticity}}), seed=0, check_invariants=True)
    for _ in range(DAYS):
        m.step()
    return m


def test_with_the_default_elasticity_demand_follows_the_spending_path():
    m = HashpivotModel(scenario(), seed=0)
    m.step()
    assert all(hs.demand_factor == 1.0 for hs in m.hyperscalers)


def test_demand_falls_as_greenfield_grows_dearer_when_it_is_elastic():
    # Paired, seed 0. Queues congest over the first two years, so the marginal (greenfield) MW costs more than
    # on the first day; with elasticity -1 hyperscalers want less.
    base, elastic = _run(0.0), _run(-1.0)
    cost_now = [hs.greenfield_cost_usd_per_mw_year() for hs in elastic.hyperscalers]
    cost_then = [hs._reference_cost_usd_per_mw_year for hs in elastic.hyperscalers]
    assert all(now > then for now, then in zip(cost_now, cost_then, strict=True))
    assert all(hs.demand_factor < 1.0 for hs in elastic.hyperscalers)
    demand = [sum(hs.demand_mw(DAYS) for hs in m.hyperscalers) for m in (base, elastic)]
    assert demand[1] < demand[0]
