"""One capacity ledger per hyperscaler: every MW of AI capacity it has secured, counted once, by stage.

Stages, in the order capacity moves through them:

* ``greenfield_queued_mw``: campuses requested at the grid and not yet admitted (``Hyperscaler.pipeline``
  entries without a site);
* ``greenfield_building_mw`` and ``greenfield_live_mw``: admitted campuses, a site of its own from admission
  (``ConstructionBook.start_greenfield``), converting and then in service;
* ``leased_mw``: MW signed with miners and not ended (converting or in service);
* ``owned_mw``: energised sites it bought from miners and converts or runs itself, and ``bought_mw``: sites
  bought and still being vacated by their seller.

The ledger only reads the books. ``Hyperscaler.committed_mw``, which procurement plans against, still leaves out
``greenfield_live_mw`` (a live campus drops out of the pipeline and its site is not counted as owned), so a
campus that goes live reopens its gap and is ordered again: the daily columns ``ai_demand_mw``,
``ai_capacity_secured_mw`` and ``ai_capacity_live_mw`` built from this ledger show by how much (``hashpivot
diagnose``, "AI capacity secured above demand"). Planning against the ledger is the fix (issue "AI demand and
grid prices that close the loop", item 1).
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
        return sum(getattr(self, f.name) for f in fields(self) if f.name != "live_mw")


def ledger_of(model: HashpivotModel, hs: Hyperscaler) -> CapacityLedger:
    """Read ``hs``'s ledger from the lease book, the site book, the construction book and its pipeline."""
    m, s = model, model.sites
    leases = [x for x in m.leases.leases if x.hyperscaler == hs.unique_id and (x.end_day < 0 or x.end_day > m.day)]
    owned = m.sites.owned_by(Owner.HYPERSCALER, hs.idx)
    campus = owned[s.greenfield[owned]]
    bought = owned[~s.greenfield[owned]]
    admitted = {b.request_id for b in m.construction.own_builds if b.request_id is not None}
    in_service = float(sum(x.mw for x in leases if x.start_day >= 0))
    return CapacityLedger(
        leased_mw=float(sum(x.mw for x in leases)),
        owned_mw=float(s.converting_mw[bought].sum() + s.ai_mw[bought].sum()),
        bought_mw=m.site_market.convertible_mw_bought_by(hs.unique_id),
        greenfield_live_mw=float(s.ai_mw[campus].sum()),
        greenfield_building_mw=float(s.converting_mw[campus].sum()),
        greenfield_queued_mw=float(sum(p.mw for p in hs.pipeline if p.request_id not in admitted)),
        live_mw=in_service + float(s.ai_mw[bought].sum() + s.ai_mw[campus].sum()),
    )


def totals(model: HashpivotModel) -> dict[str, float]:
    """The daily columns: AI demand (today's, and at each hyperscaler's planning date), secured and live MW.

    ``ai_demand_planned_mw`` is the demand each hyperscaler plans its greenfield pipeline for: at the day a campus
    requested today would go live (``Hyperscaler.planning_day``). Capacity secured for it is not over-ordering.
    """
    ledgers = [ledger_of(model, h) for h in model.hyperscalers]
    return {
        "ai_demand_mw": float(sum(h.demand_mw(model.day) for h in model.hyperscalers)),
        "ai_demand_planned_mw": float(sum(h.demand_mw(h.planning_day()) for h in model.hyperscalers)),
        "ai_capacity_secured_mw": float(np.sum([x.secured_mw for x in ledgers])),
        "ai_capacity_live_mw": float(np.sum([x.live_mw for x in ledgers])),
    }
