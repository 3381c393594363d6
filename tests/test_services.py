"""The services the model composes (docs/architecture.md): each does one job, and the model wires them.

Paired runs (same seed, one change) show that a parameter the services read really changes the run; unit
cases pin the construction book's arithmetic and the typed records.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from helpers import scenario

from hashpivot.agents.hyperscaler import Hyperscaler
from hashpivot.agents.miner import Miner
from hashpivot.model.simulation import HashpivotModel
from hashpivot.model.world.construction import ConstructionBook


def _stepped(overrides: dict, days: int) -> HashpivotModel:
    model = HashpivotModel(scenario(overrides), seed=0)
    for _ in range(days):
        model.step()
    return model


def test_the_valuation_horizon_is_read():
    # It was dead: `--set finance.npv_horizon_years=2` changed nothing. Shorter than the machines' 4-year
    # life, it must change batches' NPVs and cut the fleet's (fewer years of mostly positive margin count;
    # a batch whose later years lose money after the 2028 halving may gain).
    base, short = _stepped({}, 2), _stepped({"finance": {"npv_horizon_years": 2.0}}, 2)
    # Expansion follows the NPV, so the two fleets may differ by a few new batches: compare the shared ones.
    f, g = base.fleet, short.fleet
    n = min(f.n, g.n)
    same = (f.site[:n] == g.site[:n]) & (f.j_per_th[:n] == g.j_per_th[:n]) & (f.mw[:n] == g.mw[:n])
    batches = np.flatnonzero(same & (f.mw[:n] > 0))
    initial = HashpivotModel(scenario({}), seed=0).fleet.n  # before any step: the scenario's own fleet
    assert batches.size > 0.8 * initial  # most of the initial fleet, at least (new batches may differ)
    npv_base = base.valuations.batch_npv_per_mw(batches)
    npv_short = short.valuations.batch_npv_per_mw(batches)
    mw = base.fleet.mw[batches]
    assert not np.allclose(npv_short, npv_base)
    assert (npv_short * mw).sum() < 0.9 * (npv_base * mw).sum()
    assert short.valuations.path_years.tolist() == [0.5, 1.5]


def test_a_horizon_past_the_machines_life_changes_nothing():
    # NPVs count min(horizon, machine life): at a 4-year life, 10 and 20 years value the same cash flows.
    a = _stepped({}, 40).recorder.as_dict()
    b = _stepped({"finance": {"npv_horizon_years": 20.0}}, 40).recorder.as_dict()
    for column in a:
        np.testing.assert_array_equal(a[column], b[column])


def test_agents_are_found_through_mesa_and_by_id():
    model = HashpivotModel(scenario(), seed=0)
    assert list(model.miners) == list(model.agents_by_type[Miner])
    assert [m.idx for m in model.miners] == list(range(len(model.miners)))
    assert len(model.hyperscalers) == model.config.ai.hyperscalers
    for agent in (*model.miners, *model.hyperscalers):
        assert model.agent_by_uid(agent.unique_id) is agent
    assert isinstance(model.agent_by_uid(next(iter(model.hyperscalers)).unique_id), Hyperscaler)


def test_the_day_result_is_frozen_and_read_by_the_recorder():
    model = _stepped({}, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.today.network_ph = 0.0
    assert model.recorder.last("network_hashrate_ehs") == model.today.network_ph / 1_000.0
    assert model.recorder.last("mining_revenue_usd") == pytest.approx(float(model.today.mined_usd.sum()))


def test_capex_is_spent_evenly_and_the_loan_pays_its_share():
    book = ConstructionBook(n_miners=2)
    book.schedule_capex(miner=1, total_usd=1_000.0, first_day=10, days=4, debt_share=0.75)
    spend, draws = book.capex_today(9)
    assert spend.tolist() == [0.0, 0.0]
    spend, draws = book.capex_today(10)
    assert spend.tolist() == [0.0, 250.0] and draws.tolist() == [0.0, 187.5]
    assert book.capex_today(14)[0].tolist() == [0.0, 0.0]  # the end day is exclusive
    assert book.capex_remaining_usd(1, day=12) == 500.0  # days 12 and 13 left
    assert book.equity_committed_usd(1, day=12) == 125.0  # a quarter of it is equity
    assert book.equity_committed_usd(0, day=12) == 0.0


def test_a_conversion_is_approved_by_its_own_request_id():
    book = ConstructionBook(n_miners=1)
    book.add_conversion(lease_id=1, request_id=7, built_day=5)
    book.add_conversion(lease_id=2, request_id=9, built_day=5)
    book.approve_conversion(9, day=0)
    assert [c.approved for c in book.conversions.values()] == [False, True]


def test_tenant_equipment_is_bought_when_the_grid_approves_not_at_signing():
    # A conversion stuck in a firm-service queue used to carry its GPUs' cost (and their loan) from signing.
    book = ConstructionBook(n_miners=1)
    book.schedule_capex(miner=0, total_usd=900.0, first_day=0, days=90, debt_share=0.8)  # the shell
    book.add_conversion(lease_id=1, request_id=7, built_day=90, equipment=(0, 2_000.0, 0.8))
    assert sum(book.capex_today(d)[0][0] for d in range(400)) == pytest.approx(900.0)  # no GPUs while waiting
    assert book.capex_remaining_usd(0, day=0) == pytest.approx(2_900.0)  # still committed
    assert book.equity_committed_usd(0, day=0) == pytest.approx(0.2 * 2_900.0)
    book.approve_conversion(7, day=400)
    spent = [book.capex_today(d)[0][0] for d in range(400, 400 + 90)]
    assert sum(spent) == pytest.approx(2_000.0) and spent[0] > 0
    assert book.capex_remaining_usd(0, day=400) == pytest.approx(2_000.0)  # counted once
