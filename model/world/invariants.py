"""The world's invariants, asserted after every step when a run asks for it (``--check-invariants``).

* every site's MW are in exactly one state, none negative (``SiteBook.check``);
* each miner's cash moved only by booked flows (``Accounts.check``);
* no MW is leased twice: leases in force fit in the MW converting or in AI service at their site;
* the network hashrate is positive and finite;
* firms (model/world/creditors.py, model/markets/mergers.py): no going concern has been unpaid (negative cash)
  for longer than ``firms.default_grace_days``; only a firm in default has its debt service stayed; a firm gone
  from the model holds no cash, BTC, debt, site, machine or contract; every site and every machine a miner owns
  belongs to a firm still in the model (so after a default or a takeover each has exactly one owner);
* no hyperscaler keeps queued greenfield it does not need: when it has planned its pipeline, secured capacity
  exceeds the demand it plans for (at ``Hyperscaler.planned_day``) by at most one procurement block
  (``ai.min_block_mw``), unless what is left over is admitted or live and cannot be withdrawn. Checked at the
  end of each procurement day (``check_ai_surplus``, called by ``HashpivotModel.hyperscalers_procure`` in
  runs that check invariants): between plans, site purchases and RFPs add to it until the next plan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hashpivot.model.world.ai_ledger import ledger_of
from hashpivot.model.world.sites import Owner

if TYPE_CHECKING:
    from hashpivot.agents.hyperscaler import Hyperscaler
    from hashpivot.model.simulation import HashpivotModel


def check(model: HashpivotModel) -> None:
    """Raise AssertionError naming the first invariant that does not hold."""
    model.sites.check()
    model.accounts.check()
    s = model.sites
    leased = np.zeros(s.n)
    for x in model.leases.leases:
        if x.end_day < 0 or x.end_day > model.day:
            leased[x.site] += x.mw
    held = s.converting_mw[: s.n] + s.ai_mw[: s.n]
    if np.any(leased > held + 1e-6):
        i = int(np.argmax(leased - held))
        raise AssertionError(f"site {i}: {leased[i]:.3f} MW under lease but only {held[i]:.3f} MW converting/AI")
    h = model.recorder.last("network_hashrate_ehs")
    if not (np.isfinite(h) and h > 0):
        raise AssertionError(f"network hashrate {h} is not positive and finite")
    check_firms(model)


def check_firms(model: HashpivotModel) -> None:
    """Firms' fates leave nothing unowned, nothing owed by a firm that is gone, no going concern long unpaid."""
    acc, s, f = model.accounts, model.sites, model.fleet
    firms = model.all_miners()
    if not firms:  # a world without miners: nothing to own
        return
    status = np.array([x.status for x in firms])
    gone = np.array([x.gone for x in firms], dtype=bool)
    grace = model.config.firms.default_grace_days
    unpaid = model.creditors.days_unpaid_all()
    late = np.flatnonzero((status == "active") & (unpaid > grace))
    if late.size:
        raise AssertionError(f"miner {late[0]}: unpaid for {unpaid[late[0]]} days, past the {grace}-day grace")
    odd = np.flatnonzero(acc.stayed & (status != "defaulted"))
    if odd.size:
        raise AssertionError(f"miner {odd[0]}: debt service stayed but its status is {status[odd[0]]}")
    for name, arr in (("cash", acc.cash_usd), ("BTC", acc.btc), ("debt", acc.debt_usd)):
        held = np.flatnonzero(gone & (np.abs(arr) > 1e-3))
        if held.size:
            raise AssertionError(f"miner {held[0]} is gone but holds {name} {arr[held[0]]:.3f}")
    n = s.n
    by_miner = s.owner_kind[:n] == Owner.MINER
    orphan = np.flatnonzero(by_miner & gone[np.where(by_miner, s.owner[:n], 0)])
    if orphan.size:
        raise AssertionError(f"site {orphan[0]} belongs to miner {s.owner[orphan[0]]}, which is gone")
    live = (f.mw[: f.n] > 0) & ~f.removed[: f.n]
    stray = np.flatnonzero(live & gone[f.owner[: f.n]])
    if stray.size:
        raise AssertionError(f"batch {stray[0]} belongs to miner {f.owner[stray[0]]}, which is gone")
    uids = {x.unique_id for x in firms if x.gone}
    for x in model.leases.leases:
        if x.miner in uids and (x.end_day < 0 or x.end_day > model.day):
            raise AssertionError(f"lease {x.id} is held by miner {x.miner}, which is gone")


def check_ai_surplus(model: HashpivotModel, hs: Hyperscaler) -> None:
    """``hs`` has just planned: secured AI capacity above planned demand by more than a block is not queued.

    Read from its ledger (model/world/ai_ledger.py), not from ``Hyperscaler.committed_mw`` that planned it.
    """
    block = model.config.ai.min_block_mw
    ledger = ledger_of(model, hs)
    surplus = ledger.secured_mw - hs.demand_mw(hs.planned_day)
    if min(surplus - block, ledger.greenfield_queued_mw) > 1e-6:
        raise AssertionError(
            f"{hs.name}: {surplus:.1f} MW secured above planned demand with "
            f"{ledger.greenfield_queued_mw:.1f} MW of greenfield still queued"
        )
