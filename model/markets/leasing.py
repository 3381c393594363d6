"""How a lease is negotiated: RFPs, bids, reservation rents, bargaining and the signed contract.

The sequence (issue 3, economics.md "Lease negotiation"):

1. A hyperscaler issues an ``RFP`` for MW of one contract kind (colocation/powered shell, or GPU cloud).
2. Eligible miners answer with ``Bid``s: MW at a site, their *reservation rent* (the least they accept:
   annuitised conversion capex plus the mining margin they give up, grossed up for operating cost) and the
   day the MW can be ready.
3. The hyperscaler scores each bid by the surplus it offers: its own reservation rent for that site (its
   outside option -- greenfield capex annuitised, plus the value of the queue time an energised site saves,
   adjusted for firmness, regulatory preference and counterparty credit) minus the ask. Bids without
   surplus are dropped; the best are taken until the MW are filled.
4. Each selected pair bargains bilaterally between the two reservation rents with the scenario's protocol
   (``BARGAINING`` registry): Nash (1950) or Rubinstein (1982) alternating offers.
5. A ``Lease`` is signed: term, escalator, prepayment, a start date after the conversion build and the grid's
   approval of firm service, and a late-delivery penalty.

Everything here is a pure function of typed inputs; the agents decide *whether* to take part.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from hashpivot.model.world.finance import annuity_pv, usd_per_mw_to_usd_per_kw_month


class ContractKind(StrEnum):
    """The two AI business models (economics.md): the miner as landlord, or as GPU-cloud operator."""

    COLOCATION = "colocation"
    GPU_CLOUD = "gpu_cloud"


@dataclass(frozen=True)
class RFP:
    """A hyperscaler's request for proposals."""

    id: int
    hyperscaler: int  # unique_id
    kind: ContractKind
    mw: float
    min_block_mw: float
    issue_day: int


@dataclass(frozen=True)
class Bid:
    """A miner's answer to an RFP: MW at one site, its reservation rent and readiness."""

    rfp_id: int
    miner: int  # unique_id
    site: int
    mw: float
    ask_usd_per_kw_month: float
    ready_day: int
    keeps_flexible_load: bool  # mining stays on site: it can be shed instead of the AI load (SB 6)


@dataclass
class Lease:
    """A signed AI contract. Money in USD, power in MW of IT load, rent in USD per kW-month."""

    id: int
    miner: int
    hyperscaler: int
    site: int
    kind: ContractKind
    mw: float
    rent_usd_per_kw_month: float
    term_years: float
    escalator_per_year: float
    prepayment_usd: float
    margin: float
    capex_usd: float
    sign_day: int
    promised_day: int
    late_penalty_usd_per_day: float
    miner_reservation_usd_per_kw_month: float
    hyperscaler_reservation_usd_per_kw_month: float
    start_day: int = -1  # set when conversion is built and the grid has approved firm service
    end_day: int = -1

    def total_contract_value_usd(self) -> float:
        """Undiscounted rent over the term, with escalation."""
        annual = self.rent_usd_per_kw_month * 12_000.0 * self.mw
        years = int(np.ceil(self.term_years))
        return float(sum(annual * (1 + self.escalator_per_year) ** y for y in range(years)))


def effective_capex_usd_per_mw(terms, rate: float, capex_multiplier: float = 1.0, conversion: bool = True) -> float:
    """Capex per MW of a contract net of the present value of the equipment left at the end of the term.

    Args:
        terms: the contract kind's ``ContractTerms``.
        rate: the annual rate the owner discounts at.
        capex_multiplier: the site's conversion-capex multiplier.
        conversion: include the conversion (shell and fit-out) capex.
    """
    equipment = terms.equipment_capex_usd_per_mw
    residual = equipment * terms.equipment_residual_share / (1.0 + rate) ** terms.term_years
    shell = terms.conversion_capex_usd_per_mw * capex_multiplier if conversion else 0.0
    return shell + equipment - residual


def miner_reservation_rent(
    capex_usd_per_mw: float, rate: float, term_years: float, margin: float, foregone_mining_npv_usd_per_mw: float
) -> float:
    """The least rent a miner accepts, USD/kW-month.

    Annuitised capex (conversion, plus GPUs for a GPU-cloud contract) plus the mining it gives up on those
    MW -- the NPV of their mining, spread as a level payment over the term -- divided by the contract's
    operating margin (the rest of the rent pays operations).
    """
    capex_rent = float(usd_per_mw_to_usd_per_kw_month(capex_usd_per_mw, rate, term_years))
    foregone = float(usd_per_mw_to_usd_per_kw_month(max(foregone_mining_npv_usd_per_mw, 0.0), rate, term_years))
    return (capex_rent + foregone) / max(margin, 1e-6)


def hyperscaler_reservation_rent(
    own_capex_usd_per_mw: float,
    rate: float,
    term_years: float,
    margin: float,
    days_saved: float,
    value_of_time_usd_per_mw_year: float,
    preference: float,
) -> float:
    """The most rent a hyperscaler pays for a site, USD/kW-month.

    Its outside option is to build the same capacity itself: own capex annuitised over the term and grossed
    up by the same operating share, plus the value of the time the energised site saves over waiting in the
    interconnection queue and building (annuitised over the term). ``preference`` in [0, 1] scales it for
    region, firmness and counterparty (1 = a US site with firm power from a sound landlord).
    """
    build = float(usd_per_mw_to_usd_per_kw_month(own_capex_usd_per_mw, rate, term_years)) / max(margin, 1e-6)
    time_value_usd_per_mw = max(days_saved, 0.0) / 365.0 * value_of_time_usd_per_mw_year
    time_rent = float(usd_per_mw_to_usd_per_kw_month(time_value_usd_per_mw, rate, term_years))
    return (build + time_rent) * preference


# --- bargaining protocols ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BargainingContext:
    """What the two sides bring to the table."""

    miner_reservation: float
    hyperscaler_reservation: float
    miner_rate_per_year: float
    hyperscaler_rate_per_year: float  # includes the cost of delay: an impatient buyer concedes more
    scarcity: float  # RFP MW / MW bid: > 1 when energised sites are scarce
    base_power: float


def nash_bargaining(ctx: BargainingContext) -> float:
    """Generalised Nash bargaining (Nash 1950): rent = R_m + beta (R_h - R_m).

    The miner's bargaining power beta rises with the scarcity of energised sites (economics.md): beta =
    base x scarcity^0.5, bounded to [0.05, 0.95].
    """
    beta = float(np.clip(ctx.base_power * np.sqrt(max(ctx.scarcity, 1e-9)), 0.05, 0.95))
    return ctx.miner_reservation + beta * (ctx.hyperscaler_reservation - ctx.miner_reservation)


def rubinstein_bargaining(ctx: BargainingContext) -> float:
    """Rubinstein (1982) alternating offers, monthly rounds, the miner (the bidder) proposing first.

    The proposer's share of the surplus is (1 - d_h) / (1 - d_m d_h) with per-round discount factors
    d = (1 + r)^(-1/12): the more patient side gets more, and a hyperscaler losing value to delay is
    impatient.
    """
    d_m = (1.0 + ctx.miner_rate_per_year) ** (-1.0 / 12.0)
    d_h = (1.0 + ctx.hyperscaler_rate_per_year) ** (-1.0 / 12.0)
    share = (1.0 - d_h) / (1.0 - d_m * d_h)
    return ctx.miner_reservation + share * (ctx.hyperscaler_reservation - ctx.miner_reservation)


BARGAINING: dict[str, Callable[[BargainingContext], float]] = {
    "nash": nash_bargaining,
    "rubinstein": rubinstein_bargaining,
}


def register_bargaining(name: str, protocol: Callable[[BargainingContext], float]) -> None:
    """Add a bargaining protocol that scenarios can name (``ai.negotiation``) without editing agents."""
    BARGAINING[name] = protocol


@dataclass(frozen=True)
class Award:
    """A selected bid and the rent the two sides agreed."""

    bid: Bid
    rent_usd_per_kw_month: float
    hyperscaler_reservation: float


def clear_rfp(
    rfp: RFP,
    bids: list[Bid],
    reservation_for: Callable[[Bid], float],
    protocol: str,
    miner_rate: float,
    hyperscaler_rate: float,
    base_power: float,
) -> list[Award]:
    """Score the bids, take the best until the RFP's MW are filled, and bargain each rent.

    Args:
        rfp: the request.
        bids: the miners' bids.
        reservation_for: the hyperscaler's reservation rent for a bid's site (its scoring function).
        protocol: name in ``BARGAINING``.
        miner_rate: annual rate of the miner side (for alternating offers).
        hyperscaler_rate: annual rate plus delay cost of the hyperscaler side.
        base_power: the miner's base bargaining power (Nash).
    """
    scored = []
    for bid in bids:
        r_h = reservation_for(bid)
        if bid.mw >= rfp.min_block_mw and r_h > bid.ask_usd_per_kw_month:
            scored.append((r_h - bid.ask_usd_per_kw_month, -bid.ready_day, -bid.miner, bid, r_h))
    scored.sort(key=lambda t: t[:3], reverse=True)
    bid_mw = sum(b.mw for b in bids)
    scarcity = rfp.mw / bid_mw if bid_mw > 0 else 1.0
    bargain = BARGAINING[protocol]
    awards, filled = [], 0.0
    for _, _, _, bid, r_h in scored:
        if filled + rfp.min_block_mw > rfp.mw + 1e-9:
            break
        mw = min(bid.mw, rfp.mw - filled)
        if mw < rfp.min_block_mw:
            continue
        ctx = BargainingContext(bid.ask_usd_per_kw_month, r_h, miner_rate, hyperscaler_rate, scarcity, base_power)
        rent = bargain(ctx)
        awards.append(Award(Bid(**{**bid.__dict__, "mw": mw}), rent, r_h))
        filled += mw
    return awards


def lease_npv_usd_per_mw(
    rent_usd_per_kw_month: float,
    margin: float,
    rate: float,
    term_years: float,
    escalator: float,
    capex_usd_per_mw: float,
    build_years: float,
) -> float:
    """NPV to the landlord of 1 MW leased: discounted net rent from the start date, less the capex."""
    net = rent_usd_per_kw_month * 12_000.0 * margin
    pv = float(annuity_pv(net, rate, term_years, escalator)) / (1.0 + rate) ** build_years
    return pv - capex_usd_per_mw
