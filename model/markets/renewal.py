"""Lease renewal at term end: the tenant's offer, the landlord's ask and the bargain between them.

When a lease's term ends (model/world/construction.py), the tenant and the landlord bargain a renewal on the MW
the tenant still needs, with the same protocol as at signing (``BARGAINING``), or the MW return to the landlord
(idle and AI-ready). Both reservation rents are those of a site that is already converted and live:

- the tenant's is what it would pay to avoid building the same capacity itself, with the whole greenfield wait
  and build saved (``Hyperscaler.renewal_offer``);
- the landlord's is the annuitised capex a renewal needs (new GPUs for GPU cloud, none for colocation: the
  shell is built) plus the mining those MW could earn instead (``Miner.renewal_ask``).

An incumbent tenant faces no rival bidders at renewal, so the bargain is bilateral (scarcity 1). Renewals carry
no prepayment: at signing the prepayment funds the conversion, which a renewal does not need.

Pure functions of typed inputs; ``LeaseMarket.renew`` is the role that books the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

from hashpivot.model.markets.leasing import BARGAINING, BargainingContext


@dataclass(frozen=True)
class RenewalOffer:
    """A tenant's answer at term end: the MW it still needs there and the most it would pay for them."""

    mw: float
    reservation_usd_per_kw_month: float


def renewal_rent(
    ask_usd_per_kw_month: float,
    offer: RenewalOffer | None,
    min_block_mw: float,
    protocol: str,
    miner_rate: float,
    hyperscaler_rate: float,
    base_power: float,
) -> float | None:
    """The agreed renewal rent, or None when there is nothing to agree (no need, too few MW, no surplus).

    Args:
        ask_usd_per_kw_month: the landlord's reservation rent.
        offer: the tenant's offer, None if it no longer needs the MW.
        min_block_mw: the smallest block a tenant leases.
        protocol: name in ``BARGAINING``.
        miner_rate: annual rate of the landlord.
        hyperscaler_rate: annual rate plus delay cost of the tenant.
        base_power: the landlord's base bargaining power (Nash).
    """
    if offer is None or offer.mw < min_block_mw or offer.reservation_usd_per_kw_month < ask_usd_per_kw_month:
        return None
    ctx = BargainingContext(
        ask_usd_per_kw_month, offer.reservation_usd_per_kw_month, miner_rate, hyperscaler_rate, 1.0, base_power
    )
    return BARGAINING[protocol](ctx)
