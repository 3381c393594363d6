"""Miners learn their chance of a tenant from the lease market, including from rounds that never come.

With no AI demand (``ai.addressable_share = 0``) no RFP is ever issued. Before 2026-12-02 the learned win rate
stayed at its prior (0.5) for ever, so firms kept turning hybrid for tenants who never came: 45 of 69 firms were
hybrid in 2030 in ``no_ai_boom`` seed 0, none with a contract (issue "AI demand and grid prices", item 4).
"""

from __future__ import annotations

import pytest
from helpers import scenario

from hashpivot.model.markets.lease_market import LEASE_WIN_RATE_PRIOR
from hashpivot.model.simulation import HashpivotModel

DAYS = 1100
NO_AI = {"ai": {"addressable_share": 0.0}}


@pytest.fixture(scope="module")
def no_ai_run():
    m = HashpivotModel(scenario(NO_AI), seed=0)
    hybrids = []
    for _ in range(DAYS):
        m.step()
        hybrids.append(sum(1 for x in m.miners if x.strategy == "hybrid"))
    return m, hybrids


def test_no_rfp_ever_and_the_win_rate_decays_to_nothing(no_ai_run):
    m, _ = no_ai_run
    assert m.lease_market.rounds == 0 and not m.leases.leases
    assert m.lease_market.win_rate < 1e-6 < LEASE_WIN_RATE_PRIOR  # 0.5 x 0.7^37 ~ 9e-7 after 37 empty rounds


def test_without_ai_demand_no_firm_turns_hybrid_after_two_years(no_ai_run):
    """Fails on 8079346: with the win rate stuck at its prior the hybrid count kept rising after two years."""
    _, hybrids = no_ai_run
    assert max(hybrids[730:]) <= hybrids[729]  # seed 0: 12 on day 364, 15 from day ~540 on


def test_without_ai_demand_no_firm_is_hybrid(no_ai_run):
    """Fails on 61fe54e: 15 of 69 firms turned hybrid in the first ~540 days, while the win rate decayed from
    its prior and the going rent was the constant reference rent, and the switching margin kept them there."""
    _, hybrids = no_ai_run
    assert max(hybrids) == 0
