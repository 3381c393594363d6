"""One capacity ledger per hyperscaler: every MW of AI capacity it has secured, counted once, by stage.

Stages, in the order capacity moves through them:

* ``greenfield_queued_mw``: campuses requested at the grid and not yet admitted (``Hyperscaler.pipeline``
  entries without a site);
* ``greenfield_building_mw`` and ``greenfield_live_mw``: admitted campuses, a site of its own from admission
  (``ConstructionBook.start_greenfield``), converting and then in service;
* ``leased_mw``: MW signed with miners and not ended (converting or in service);
* ``owned_mw``: energised sites it bought from miners and converts or runs itself, and ``bought_mw``: sites
  bought and still being vacated by their seller.

The ledger only reads the books. Procurement plans against the same MW: ``Hyperscaler.committed_mw`` counts
every stage (a campus in the pipeline until it goes live, then as a live campus), and a hyperscaler withdraws
queued campuses that leave it more than one block above the demand it plans for (``withdraw_greenfield``;
checked by ``model/world/invariants.py``). The daily columns ``ai_demand_mw``, ``ai_demand_planned_mw``,
``ai_capacity_secured_mw`` and ``ai_capacity_live_mw`` come from this ledger; ``hashpivot diagnose`` flags
days where secured capacity exceeds planned demand by more than a block per hyperscaler.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np

from hashpivot.model.world.sites import Owner

if TYPE_CHECKING:
    from hashpivot.agents.hyperscaler import Hyperscaler
    from hashpivot.model.simulation import HashpivotModel


@dataclass(frozen=True)
class CapacityLedger:
    """A hyperscaler's secured AI capacity by stage, MW (each MW in exactly one stage)."""

    leased_mw: float
    owned_mw: float
    bought_mw: float
    greenfield_live_mw: float
    greenfield_building_mw: float
    greenfield_queued_mw: float
    live_mw: float
    """Of the above, in service today: started leases, owned sites' and live campuses' AI MW."""

    @property
    def secured_mw(self) -> float:
        """Everything it has signed, bought, built or requested."""
        return sum(getattr(self, name) for name in _STAGES)


_STAGES = tuple(f.name for f in fields(CapacityLedger) if f.name != "live_mw")


def ledgers(model: HashpivotModel) -> list[CapacityLedger]:
    """Every hyperscaler's ledger, in ``model.hyperscalers`` order.

    Read from the lease book, the site book, the construction book and their pipelines, in one pass over each.
    """
    m, s, n = model, model.sites, model.sites.n
    hyperscalers = list(m.hyperscalers)
    signed, in_service = m.leases.mw_by_hyperscaler([h.unique_id for h in hyperscalers], m.day)
    theirs = s.owner_kind[:n] == Owner.HYPERSCALER
    owner = np.where(theirs, s.owner[:n], 0)
    k = max((h.idx for h in hyperscalers), default=-1) + 1

    def by_owner(mask: np.ndarray, mw: np.ndarray) -> np.ndarray:
        return np.bincount(owner[mask], weights=mw[:n][mask], minlength=k)

    campus, bought = theirs & s.greenfield[:n], theirs & ~s.greenfield[:n]
    live_campus, building = by_owner(campus, s.ai_mw), by_owner(campus, s.converting_mw)
    live_bought, converting_bought = by_owner(bought, s.ai_mw), by_owner(bought, s.converting_mw)
    admitted = m.construction.admitted_requests
    return [
        CapacityLedger(
            leased_mw=float(signed[i]),
            owned_mw=float(converting_bought[h.idx] + live_bought[h.idx]),
            bought_mw=m.site_market.convertible_mw_bought_by(h.unique_id),
            greenfield_live_mw=float(live_campus[h.idx]),
            greenfield_building_mw=float(building[h.idx]),
            greenfield_queued_mw=float(sum(p.mw for p in h.pipeline if p.request_id not in admitted)),
            live_mw=float(in_service[i] + live_bought[h.idx] + live_campus[h.idx]),
        )
        for i, h in enumerate(hyperscalers)
    ]


def ledger_of(model: HashpivotModel, hs: Hyperscaler) -> CapacityLedger:
    """``hs``'s ledger (``ledgers``)."""
    return ledgers(model)[list(model.hyperscalers).index(hs)]


def totals(model: HashpivotModel) -> dict[str, float]:
    """The daily columns: AI demand (today's, and at each hyperscaler's planning date), secured and live MW.

    ``ai_demand_planned_mw`` is the demand each hyperscaler planned its greenfield pipeline for today: at the day
    a campus requested today would go live (``Hyperscaler.planned_day``). Capacity secured for it is not
    over-ordering.
    """
    hyperscalers, book = list(model.hyperscalers), ledgers(model)
    return {
        "ai_demand_mw": float(sum(h.demand_mw(model.day) for h in hyperscalers)),
        "ai_demand_planned_mw": float(sum(h.demand_mw(h.planned_day) for h in hyperscalers)),
        "ai_capacity_secured_mw": float(np.sum([x.secured_mw for x in book])),
        "ai_capacity_live_mw": float(np.sum([x.live_mw for x in book])),
    }
