"""Hyperscalers differ: AI demand is split by 2025 capex shares, not equally (issue "AI demand and grid prices", 3)."""

from __future__ import annotations

import pytest
from helpers import scenario

from hashpivot.model.simulation import HashpivotModel
from hashpivot.model.world.ai_buyers import ROSTER, buyers


def test_default_buyers_carry_the_2025_capex_shares():
    # calibration.md, "Hyperscalers and GPUs": Amazon 33%, Alphabet 23%, Meta 18%, Microsoft 16%, Oracle 9%.
    b = buyers(5)
    assert [x.name for x in b] == ["AWS", "Google", "Meta", "Microsoft", "Oracle"]
    assert [x.demand_share for x in b] == pytest.approx([w / 0.99 for _, w in ROSTER])


@pytest.mark.parametrize("n", [1, 3, 5, 8, 100])
def test_shares_sum_to_one_largest_first(n):
    b = buyers(n)
    assert len(b) == n
    assert sum(x.demand_share for x in b) == pytest.approx(1.0)
    assert [x.demand_share for x in b] == sorted((x.demand_share for x in b), reverse=True)


def test_total_demand_does_not_depend_on_how_many_buyers_share_it():
    day = 2000

    def total(n):
        m = HashpivotModel(scenario({"ai": {"hyperscalers": n}}), seed=0)
        return sum(hs.demand_mw(day) for hs in m.hyperscalers)

    assert total(2) == pytest.approx(total(5), rel=1e-12) == pytest.approx(total(12), rel=1e-12)


def test_the_largest_buyer_needs_the_most():
    m = HashpivotModel(scenario(), seed=0)
    demand = [hs.demand_mw(1000) for hs in m.hyperscalers]
    assert demand[0] == max(demand) and demand[0] / demand[-1] == pytest.approx(33 / 9)
