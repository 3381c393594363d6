"""Unit tests for each decision rule and market mechanism (issue 3: 'a unit test for each decision rule')."""

import math

import numpy as np
import pytest

from hashpivot.agents.rules import STRATEGY_RULES, StrategyView, myopic_rule, npv_rule, register_strategy_rule
from hashpivot.model.markets.auction import AUCTIONS, SiteBid, first_price, second_price
from hashpivot.model.markets.leasing import (
    BARGAINING,
    RFP,
    BargainingContext,
    Bid,
    ContractKind,
    clear_rfp,
    hyperscaler_reservation_rent,
    miner_reservation_rent,
    nash_bargaining,
    rubinstein_bargaining,
)
from hashpivot.model.world.finance import annuity_pv, crf, usd_per_mw_to_usd_per_kw_month
from hashpivot.model.world.interconnection import InterconnectionQueue, Purpose, Request
from hashpivot.model.world.metrics import hhi, market_cap_usd, nakamoto_coefficient, valuation_per_mw


def view(**kw):
    base = dict(
        current="hold",
        v_hold_usd=100e6,
        v_mining_convertible_usd=20e6,
        convertible_mw=100.0,
        lease_npv_usd_per_mw=0.0,
        lease_access=0.5,
        can_finance=True,
        v_exit_usd=10e6,
        mining_margin_usd_per_day=1e5,
        distressed=False,
        has_contracts=False,
        min_block_mw=20.0,
        hysteresis=0.1,
    )
    base.update(kw)
    return StrategyView(**base)


# --- strategy rules ---------------------------------------------------------------------------------------
def test_npv_rule_holds_when_mining_is_worth_most():
    assert npv_rule(view()).strategy == "hold"


def test_npv_rule_goes_hybrid_when_a_financeable_lease_beats_mining():
    choice = npv_rule(view(lease_npv_usd_per_mw=3e6))
    assert choice.strategy == "hybrid"
    assert choice.values_usd["hybrid"] > choice.values_usd["hold"]


def test_npv_rule_needs_financing_and_a_block_for_hybrid():
    assert npv_rule(view(lease_npv_usd_per_mw=3e6, can_finance=False)).strategy == "hold"
    assert npv_rule(view(lease_npv_usd_per_mw=3e6, convertible_mw=10.0)).strategy == "hold"


def test_npv_rule_exits_when_the_sites_are_worth_more_sold():
    assert npv_rule(view(v_exit_usd=300e6)).strategy == "exit"


def test_npv_rule_hysteresis_keeps_a_close_call_where_it_is():
    # exit beats hold by 5%, less than the 10% switching margin
    assert npv_rule(view(v_exit_usd=105e6)).strategy == "hold"


def test_npv_rule_exit_is_absorbing_and_distress_forces_exit():
    assert npv_rule(view(current="exit", lease_npv_usd_per_mw=9e6)).strategy == "exit"
    assert npv_rule(view(distressed=True)).strategy == "exit"


def test_npv_rule_contracts_bind_a_hybrid():
    assert npv_rule(view(current="hybrid", has_contracts=True)).strategy == "hybrid"


def test_npv_rule_a_hybrid_without_contracts_is_judged_as_a_holder():
    """Fails on 61fe54e: the switching margin kept a contract-less hybrid whose edge over hold was within it.

    Hybrid is worth 90 M$ + 50 MW x 0.3 M$/MW = 105 M$ against hold's 100 M$: 5%, less than the 10% margin.
    With nothing signed there is nothing to undo, so it goes back to hold; a signed contract still binds, and
    a hybrid edge above the margin still keeps it hybrid.
    """
    close = dict(current="hybrid", lease_npv_usd_per_mw=3e5)
    assert npv_rule(view(**close)).strategy == "hold"
    assert npv_rule(view(**close, has_contracts=True)).strategy == "hybrid"
    assert npv_rule(view(current="hybrid", lease_npv_usd_per_mw=3e6)).strategy == "hybrid"
    assert npv_rule(view(current="hold", lease_npv_usd_per_mw=3e5)).strategy == "hold"


def test_myopic_rule_acts_on_this_months_cash_margin():
    assert myopic_rule(view(mining_margin_usd_per_day=-1.0)).strategy == "exit"
    assert myopic_rule(view(lease_npv_usd_per_mw=3e6)).strategy == "hybrid"
    assert myopic_rule(view()).strategy == "hold"


def test_rules_are_picked_by_name_and_extensible():
    register_strategy_rule("always_hold", lambda v: npv_rule(v).__class__("hold", {}, "test"))
    assert STRATEGY_RULES["always_hold"](view(v_exit_usd=1e12)).strategy == "hold"
    del STRATEGY_RULES["always_hold"]


# --- finance ---------------------------------------------------------------------------------------------
def test_capital_recovery_factor_textbook_value():
    # CRF(10%, 10 y) = 0.16275 (standard annuity tables)
    assert float(crf(0.10, 10)) == pytest.approx(0.162745, rel=1e-5)


def test_annuity_pv_matches_closed_form():
    assert float(annuity_pv(1.0, 0.08, 15)) == pytest.approx((1 - math.exp(-math.log(1.08) * 15)) / math.log(1.08))


# --- lease negotiation -----------------------------------------------------------------------------------
def test_reservation_rents_bracket_the_observed_miner_lease_rents():
    # calibration.md: conversion 8-10 M$/MW; miner leases ~100-160 $/kW-month.
    r_m = miner_reservation_rent(9e6, 0.09, 15, 0.85, foregone_mining_npv_usd_per_mw=0.5e6)
    r_h = hyperscaler_reservation_rent(
        11e6, 0.08, 15, 0.85, days_saved=3 * 365, value_of_time_usd_per_mw_year=1.5e6, preference=1.0
    )
    assert 90 < r_m < r_h < 220
    assert 100 <= nash_bargaining(BargainingContext(r_m, r_h, 0.09, 0.1, 1.0, 0.5)) <= 160


def test_capex_annuity_in_usd_per_kw_month():
    # 9 M$/MW at 9% over 15 y: 9e6 x 0.12406 / 12 / 1000 = 93.05 $/kW-month
    assert float(usd_per_mw_to_usd_per_kw_month(9e6, 0.09, 15)) == pytest.approx(93.05, abs=0.05)


def test_nash_split_moves_with_scarcity_of_energised_sites():
    lo = nash_bargaining(BargainingContext(100, 200, 0.1, 0.1, scarcity=0.5, base_power=0.5))
    hi = nash_bargaining(BargainingContext(100, 200, 0.1, 0.1, scarcity=2.0, base_power=0.5))
    assert 100 < lo < hi < 200


def test_rubinstein_gives_more_to_the_patient_side():
    # Rubinstein (1982): proposer share (1 - d2)/(1 - d1 d2); an impatient buyer concedes more.
    patient_buyer = rubinstein_bargaining(BargainingContext(100, 200, 0.2, 0.05, 1.0, 0.5))
    impatient_buyer = rubinstein_bargaining(BargainingContext(100, 200, 0.2, 0.6, 1.0, 0.5))
    assert 100 < patient_buyer < impatient_buyer < 200
    d = (1.1) ** (-1 / 12)
    sym = rubinstein_bargaining(BargainingContext(100, 200, 0.1, 0.1, 1.0, 0.5))
    assert sym == pytest.approx(100 + 100 * (1 - d) / (1 - d * d))


def test_rfp_takes_the_best_surplus_first_and_never_overfills():
    rfp = RFP(1, 99, ContractKind.COLOCATION, mw=100.0, min_block_mw=20.0, issue_day=0)
    bids = [Bid(1, m, m, 60.0, ask, 365, True) for m, ask in ((1, 150.0), (2, 110.0), (3, 250.0))]
    awards = clear_rfp(rfp, bids, lambda b: 200.0, "nash", 0.1, 0.1, 0.5)
    assert [a.bid.miner for a in awards] == [2, 1]  # miner 3 asks more than the buyer's reservation
    assert sum(a.bid.mw for a in awards) == pytest.approx(100.0)
    assert all(a.bid.ask_usd_per_kw_month <= a.rent_usd_per_kw_month <= 200 for a in awards)


def test_bargaining_registry_has_both_protocols():
    assert {"nash", "rubinstein"} <= set(BARGAINING)


# --- site auctions ---------------------------------------------------------------------------------------
def test_second_price_winner_pays_the_runner_up():
    sale = second_price(7, [SiteBid(1, 10.0), SiteBid(2, 30.0), SiteBid(3, 20.0)], reserve_usd=5.0)
    assert (sale.winner, sale.price_usd) == (2, 20.0)


def test_auction_respects_the_reserve_and_ties_break_by_id():
    assert second_price(7, [SiteBid(1, 4.0)], reserve_usd=5.0) is None
    assert second_price(7, [SiteBid(4, 9.0), SiteBid(2, 9.0)], 1.0).winner == 2
    assert first_price(7, [SiteBid(1, 10.0), SiteBid(2, 20.0)], 0.0).price_usd == pytest.approx(10.0)
    assert set(AUCTIONS) >= {"second_price", "first_price"}


# --- interconnection queue -------------------------------------------------------------------------------
def _req(i, mw, firm, need):
    return Request(i, 1, -1, mw, firm, Purpose.GREENFIELD, 0, 0.0, need)


def test_study_backlog_forms_when_requests_outrun_study_capacity():
    q = InterconnectionQueue(headroom_mw=1e6, study_capacity_mw_per_day=10.0)
    first = q.submit(_req(1, 100, True, 100), day=0, study_days=30)
    second = q.submit(_req(2, 500, True, 500), day=0, study_days=30)
    assert first.study_done_day == 30
    assert second.study_done_day == pytest.approx(60)  # 600 MW at 10 MW/day of study capacity


def test_flexible_load_is_admitted_where_firm_load_waits_for_headroom():
    q = InterconnectionQueue(headroom_mw=50.0, study_capacity_mw_per_day=1e6)
    firm = q.submit(_req(1, 100, True, 100.0), day=0, study_days=0)
    flex = q.submit(_req(2, 100, False, 20.0), day=0, study_days=0)
    approved = q.admit(day=1)
    assert flex in approved and firm not in approved
    assert q.pending == [firm]
    q.headroom_mw += 100
    assert q.admit(day=2) == [firm]


def test_expected_wait_grows_with_the_queue():
    q = InterconnectionQueue(headroom_mw=100.0, study_capacity_mw_per_day=5.0)
    before = q.expected_wait_days(100, True, 0, 60, 1.0, 0.8)
    for i in range(10):
        q.submit(_req(i, 100, True, 100.0), day=0, study_days=60)
    assert q.expected_wait_days(100, True, 0, 60, 1.0, 0.8) > before


def test_a_withdrawn_request_frees_the_queue_for_those_behind_it():
    q = InterconnectionQueue(headroom_mw=100.0, study_capacity_mw_per_day=5.0)
    first = q.submit(_req(1, 100, True, 100.0), day=0, study_days=60)
    q.submit(_req(2, 100, True, 100.0), day=0, study_days=60)
    waiting = q.expected_wait_days(100, True, 0, 60, 1.0, 0.8)
    assert q.withdraw(first.id, 40.0) == 40.0  # part of it: its headroom need shrinks in proportion
    assert (first.mw, first.headroom_mw) == (60.0, 60.0)
    assert q.withdraw(first.id, 1e9) == 60.0  # the rest removes it
    assert q.pending_mw() == 100.0 and first not in q.pending
    assert q.expected_wait_days(100, True, 0, 60, 1.0, 0.8) < waiting
    assert q.withdraw(first.id, 10.0) == 0.0  # gone: nothing more to withdraw


# --- concentration ---------------------------------------------------------------------------------------
def test_hhi_and_nakamoto_coefficient():
    assert hhi(np.array([1.0, 1.0, 1.0, 1.0])) == pytest.approx(0.25)
    assert hhi(np.array([5.0, 0.0])) == pytest.approx(1.0)
    assert nakamoto_coefficient(np.array([0.4, 0.3, 0.2, 0.1])) == 2
    assert nakamoto_coefficient(np.array([0.6, 0.4])) == 1
    assert nakamoto_coefficient(np.array([0.5, 0.5])) == 2  # must *exceed* 50%


# --- valuation per MW (SF-4) ------------------------------------------------------------------------------
def test_market_cap_is_ev_less_net_debt_plus_treasury_floored_at_zero():
    ev = np.array([10e6, 1e6])
    cap = market_cap_usd(ev, cash_usd=np.array([1e6, 0.0]), btc_usd=np.array([2e6, 0.0]), debt_usd=np.array([8e6, 5e6]))
    assert cap == pytest.approx([5e6, 0.0])  # the second firm owes more than it is worth: shares are worth 0


def test_valuation_groups_listed_miners_by_ai_share():
    # Four firms of 100 MW: one 50% AI, one 5% AI (BTC-focused), one unlisted, one with no machines left.
    value = np.array([400e6, 100e6, 900e6, 900e6])
    mw = np.full(4, 100.0)
    ai = np.array([50.0, 5.0, 0.0, 100.0])
    mining = np.array([50.0, 95.0, 100.0, 0.0])
    peers = np.array([True, True, False, True])
    assert valuation_per_mw(value, mw, ai, mining, peers) == pytest.approx((4e6, 1e6))
    v_ai, v_btc = valuation_per_mw(value, mw, ai, mining, np.array([False, True, True, True]))
    assert np.isnan(v_ai) and v_btc == pytest.approx(5e6)  # no AI-focused peer left; the unlisted joins BTC


def test_a_registered_bargaining_protocol_can_be_named_by_a_scenario():
    # ASSUME-style extension: a protocol registered at run time is accepted by the schema and used by the market.
    from hashpivot.model.config.schema import Scenario
    from hashpivot.model.markets.leasing import BARGAINING, register_bargaining
    from hashpivot.model.tools.run import simulate

    register_bargaining("buyer_takes_all", lambda ctx: ctx.miner_reservation)
    try:
        rents = {}
        for protocol in ("nash", "buyer_takes_all"):
            sc = Scenario.model_validate({"ai": {"negotiation": protocol}})
            leases = simulate(sc, seed=0, days=400).leases
            rents[protocol] = np.mean([x["rent_usd_per_kw_month"] for x in leases if x["kind"] == "colocation"])
        assert rents["buyer_takes_all"] < rents["nash"]  # the miner keeps none of the surplus
    finally:
        del BARGAINING["buyer_takes_all"]
