"""The used-ASIC market mechanism: lots of machines offered, buyers' bids per TH, a price that clears.

Pure: it gets the lots, the bids and each buyer's room (MW it can install at a site) and budget, and returns
the trades. Each lot is sold in a uniform-price auction: the highest bids are filled until the lot is gone,
and every winner pays the highest losing bid (or the reserve if no bid was left out). With unit demand this
is the (k+1)-th price auction (Vickrey 1961): bidding one's value is a dominant strategy, so bids are values
and the price is the marginal buyer's value -- economics.md: "the market price per TH is the marginal buyer's
value". Lots go in order of efficiency, best first, so scarce room goes to the machines that earn most.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MIN_TRADE_MW = 0.05  # below this a fill is dust, not a trade


@dataclass(frozen=True)
class UsedLot:
    """Machines offered second-hand: ``mw`` at full load of ``j_per_th`` machines, at least ``reserve_usd_per_th``."""

    lot: int  # the fleet batch
    seller: int  # miner index
    mw: float
    j_per_th: float
    reserve_usd_per_th: float


@dataclass(frozen=True)
class MachineBid:
    """A buyer's value per TH of one lot, installed at one of its sites, and what installing a MW costs it there."""

    buyer: int  # miner index
    site: int
    lot: int
    usd_per_th: float
    install_usd_per_mw: float = 0.0  # moving the machines and building unbuilt MW for them, paid with the price


@dataclass(frozen=True)
class MachineTrade:
    """``mw`` of a lot sold to a buyer for its site at ``usd_per_th``."""

    lot: int
    buyer: int
    site: int
    mw: float
    usd_per_th: float


def th_per_mw(j_per_th: float) -> float:
    """TH/s that 1 MW of machines of this efficiency hashes."""
    return 1e6 / j_per_th


def clear_used_machines(
    lots: Sequence[UsedLot],
    bids: Sequence[MachineBid],
    room_mw: Mapping[tuple[int, int], float],
    budget_usd: Mapping[int, float],
) -> list[MachineTrade]:
    """Sell every lot to the highest bidders that have room and money; each winner pays the clearing price.

    Args:
        lots: machines on offer.
        bids: values per TH, one per (buyer, site, lot) at most.
        room_mw: MW each (buyer, site) can still install; shared across lots.
        budget_usd: what each buyer can still spend; shared across its sites and lots.

    Returns:
        The trades, lot by lot in order of efficiency (best first), highest bids first within a lot.
    """
    room, budget = dict(room_mw), dict(budget_usd)
    by_lot: dict[int, list[MachineBid]] = {}
    for b in bids:
        by_lot.setdefault(b.lot, []).append(b)
    trades: list[MachineTrade] = []
    for lot in sorted(lots, key=lambda x: (x.j_per_th, x.lot)):
        ranked = sorted(
            (b for b in by_lot.get(lot.lot, ()) if b.usd_per_th >= lot.reserve_usd_per_th),
            key=lambda b: (-b.usd_per_th, b.buyer, b.site),
        )
        trades += _clear_lot(lot, ranked, room, budget)
    return trades


def _clear_lot(
    lot: UsedLot, ranked: list[MachineBid], room: dict[tuple[int, int], float], budget: dict[int, float]
) -> list[MachineTrade]:
    tph = th_per_mw(lot.j_per_th)
    left, fills, price = lot.mw, [], lot.reserve_usd_per_th
    for b in ranked:
        if left < MIN_TRADE_MW:
            price = max(price, b.usd_per_th)  # the best bid left out sets the price
            break
        # The budget pays the machines and their installation: a buyer that spent it on the price alone had
        # the move and the build-out still to pay (a firm in btc_bear ran 5 months of negative cash that way).
        per_mw = b.usd_per_th * tph + b.install_usd_per_mw
        affordable = budget.get(b.buyer, 0.0) / per_mw if per_mw > 0 else float("inf")
        take = min(left, room.get((b.buyer, b.site), 0.0), affordable)
        if take < MIN_TRADE_MW:
            continue
        fills.append((b, take))
        left -= take
    trades = []
    for b, take in fills:
        room[(b.buyer, b.site)] -= take
        budget[b.buyer] = budget.get(b.buyer, 0.0) - take * (tph * price + b.install_usd_per_mw)
        trades.append(MachineTrade(lot.lot, b.buyer, b.site, take, price))
    return trades
