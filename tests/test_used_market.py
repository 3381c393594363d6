"""The used-ASIC market mechanism (model/markets/machines.py): a buyer's budget pays the machines *and* their
installation (the move, and building unbuilt MW for them).

Before, the budget was charged the price alone, so a buyer with little cash bought lots whose move and
build-out it could not pay: in ``btc_bear`` (seed 0) firm 66 built 68 MW for used machines with 11.7 M$ of
cash and ran five panel snapshots of negative cash (-38 M$) before it defaulted (``hashpivot diagnose``).
"""

from __future__ import annotations

import pytest

from hashpivot.model.markets.machines import MachineBid, UsedLot, clear_used_machines, th_per_mw

J_PER_TH = 20.0
TH_PER_MW = th_per_mw(J_PER_TH)  # 50,000 TH per MW


def _trade(budget_usd: float, install_usd_per_mw: float, usd_per_th: float = 10.0):
    lot = UsedLot(lot=0, seller=9, mw=100.0, j_per_th=J_PER_TH, reserve_usd_per_th=1.0)
    bid = MachineBid(buyer=1, site=5, lot=0, usd_per_th=usd_per_th, install_usd_per_mw=install_usd_per_mw)
    return clear_used_machines([lot], [bid], {(1, 5): 100.0}, {1: budget_usd})


def test_the_budget_pays_the_price_and_the_installation():
    # Fills are sized at the bid (the clearing price is known only once the lot is filled): 10 $/TH is 500 k$
    # per MW, and with 450 k$ of move and build per MW 1 M$ buys ~1.05 MW, not the 2 MW the price alone allows.
    trades = _trade(budget_usd=1e6, install_usd_per_mw=450_000.0)
    assert len(trades) == 1
    assert trades[0].mw == pytest.approx(1e6 / (10.0 * TH_PER_MW + 450_000.0))


def test_without_installation_costs_the_price_alone_bounds_the_purchase():
    trades = _trade(budget_usd=1e6, install_usd_per_mw=0.0)
    assert trades[0].mw == pytest.approx(1e6 / (10.0 * TH_PER_MW))  # affordable at the bid
