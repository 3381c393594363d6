"""Liquidity, exits and wind-down: the defects behind the 2032 collapse of seed 3 (issue 14).

Each test failed on the code before the fix:

* entrants were funded at the machine prices of the day they asked for a site, months before approval, with
  no buffer for the debt they drew, so when ASIC prices had risen they were distressed within days (seed 3,
  2031: "hold -> exit: distressed" two days after "new 100 MW mining site");
* an exiting landlord kept the uncontracted MW of a leased site idle for ever (not for sale: "contracts
  bind"), 8 GW in seed 3;
* exited firms kept their debt and paid interest with no revenue (``exiter_under_losses``: -136 M$ of cash
  at the end of seed 3).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from helpers import scenario

from hashpivot.model.markets.entry import DEVELOPERS
from hashpivot.model.simulation import HashpivotModel
from hashpivot.model.world.accounts import Accounts
from hashpivot.model.world.sites import Owner
from hashpivot.model.world.solvency import liquidate


def _model(days: int, seed: int = 0) -> HashpivotModel:
    model = HashpivotModel(scenario({}), seed)
    for _ in range(days):
        model.step()
    return model


def test_an_entrant_approved_after_asic_prices_rose_can_pay_its_debt_through_delivery():
    m = _model(40)
    region = m.regions.index["ERCOT"]
    mw = m.config.entry.site_mw
    # The capital market's tranche is free: since firms plan with the estimated BTC growth (docs/estimation.md)
    # entrants have spent it by day 40, and this test is about the approval, not the capital limit.
    m.entry.committed.clear()
    assert m.entry.request_site(DEVELOPERS, region, mw)  # priced today ...
    req = max(m.entry.pending)  # the request just filed
    # ... approved when machines cost 1% more. It was 10% until 2026-12-03; since demand is split by capex shares
    # and campuses are sited by value, a new ERCOT site at day 40 clears the entrants' hurdle by only ~33 k$/MW,
    # and a 5% rise already leaves the project below it (the premise the next line checks).
    m.technology.hashprice_smoothed *= 1.01
    # ... and the project still pays (one that no longer does is abandoned: tests/test_exits.py).
    assert m.entry.site_npv_per_mw(m.beliefs.n_firms, m.config.entry.hurdle_premium)[region] > 0
    before = {a.unique_id for a in m.miners}
    m.entry.on_approved(SimpleNamespace(id=req))  # the grid's approval (only its id is read)
    entrant = next(a for a in m.miners if a.unique_id not in before)
    worst = float(m.accounts.cash_usd[entrant.idx])
    for _ in range(m.config.mining.delivery_days + 10):
        m.step()
        worst = min(worst, float(m.accounts.cash_usd[entrant.idx]))
    assert worst >= 0.0
    assert entrant.strategy != "exit"


def test_an_exiting_landlord_sells_the_uncontracted_mw_of_a_leased_site():
    m = _model(400)
    s = m.sites
    landlord, site = next(
        (a, int(x))
        for a in m.miners
        for x in a.sites
        if s.ai_mw[x] + s.converting_mw[x] > 0 and s.capacity_mw[x] - s.ai_mw[x] - s.converting_mw[x] > 10
    )
    contracted = float(s.ai_mw[site] + s.converting_mw[site])
    total = float(s.capacity_mw[site])
    n_before = s.n
    landlord.leave_mining()
    assert s.capacity_mw[site] == contracted  # the tenants' MW stay with the landlord
    carved = [j for j in range(n_before, s.n) if s.region[j] == s.region[site]]
    parcel = min(carved, key=lambda j: abs(s.capacity_mw[j] - (total - contracted)))
    assert s.for_sale[parcel]
    assert s.owner[parcel] == landlord.idx and s.owner_kind[parcel] == Owner.MINER
    assert abs(s.capacity_mw[parcel] - (total - contracted)) < 1e-6


def test_liquidation_pays_creditors_first_and_shareholders_the_rest():
    acc = Accounts(2)
    acc.open_day()
    acc.cash_usd[:] = [50e6, 10e6]
    acc.debt_usd[:] = [30e6, 40e6]
    acc.btc[:] = [0.0, 100.0]
    acc.open_day()
    solvent = liquidate(acc, 0, 100_000.0)
    short = liquidate(acc, 1, 100_000.0)  # 10 M$ cash + 10 M$ of BTC against 40 M$ of debt
    assert not solvent.defaulted and solvent.paid_out_usd == 20e6 and solvent.debt_repaid_usd == 30e6
    assert short.defaulted and short.debt_repaid_usd == 20e6 and short.debt_written_off_usd == 20e6
    assert np.all(acc.debt_usd == 0.0) and np.all(acc.cash_usd == 0.0) and np.all(acc.btc == 0.0)
    acc.check()  # every movement was booked as a flow


def test_firms_that_left_hold_no_debt_and_no_cash():
    m = _model(365)
    # Since holding counts machines at least at their resale, no firm of the baseline sells everything within
    # two years; two firms without contracts are made to leave.
    leaving = [a for a in m.miners if not m.leases.for_miner(a.unique_id) and not a.converting][:2]
    for a in leaving:
        a.strategy = "exit"
        a.leave_mining()
    days = m.config.mining.decommission_days + 3 * m.config.run.decision_interval_days
    for _ in range(days):  # sold, vacated, and wound down at the next decision point
        m.step()
    gone = [a for a in leaving if a.has_left() or a.status != "active"]
    assert gone, "a firm that put everything up for sale has left within the decommissioning time"
    for a in gone:
        assert a.status in ("exited", "defaulted")
        assert m.accounts.debt_usd[a.idx] == 0.0
        assert m.accounts.cash_usd[a.idx] == 0.0
    assert m.solvency.defaulted_total + m.solvency.wound_down_total >= len(gone)


def test_free_equity_of_all_bidders_is_each_firms_own_bit_for_bit():
    """An auction computes its bidders' free equity at once (``free_equity_of``): each firm's own number."""
    from hashpivot.model.world.liquidity import free_equity_of

    model = _model(400)  # leases signed (equipment pending, conversions paid) and debt drawn by now
    miners = [a for a in model.miners if a.status == "active"]
    idx = np.array([a.idx for a in miners])
    together = free_equity_of(model, idx)
    alone = np.array([a.free_equity_usd() for a in miners])
    assert together.tobytes() == alone.tobytes()
    assert model.construction.capex.size and np.ptp(alone) > 0  # a test of something: capex owed, firms differ
