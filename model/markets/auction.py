"""Competition for sites: sealed-bid auctions of parcels for sale.

Sites that an exiting or distressed miner sells, and powered parcels a grid operator releases, go to
auction among miners, hyperscalers and developers. Each bidder bids from its own valuation (miners: the NPV of
mining there; hyperscalers: the rent and queue time an energised site saves them; developers: a powered-land
value that stands for the many buyers outside the model). The mechanism is picked by name from ``AUCTIONS``.
In a second-price auction (Vickrey 1961) bidding one's valuation is a dominant strategy, so bids *are*
valuations; under first price the bidders shade by the standard (n-1)/n of uniform private values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SiteBid:
    """A bidder's valuation of a site, USD for the whole site."""

    bidder: int  # unique_id; -1 for the developer fringe
    value_usd: float


@dataclass(frozen=True)
class Sale:
    """Outcome of an auction: who won and what they pay."""

    site: int
    winner: int
    price_usd: float


def _ranked(bids: list[SiteBid]) -> list[SiteBid]:
    # Ties broken by bidder id so the outcome never depends on the order bids were collected in.
    return sorted(bids, key=lambda b: (b.value_usd, -b.bidder), reverse=True)


def second_price(site: int, bids: list[SiteBid], reserve_usd: float) -> Sale | None:
    """Vickrey: the highest bidder wins and pays the second-highest bid (or the reserve)."""
    ranked = [b for b in _ranked(bids) if b.value_usd >= reserve_usd]
    if not ranked:
        return None
    price = ranked[1].value_usd if len(ranked) > 1 else reserve_usd
    return Sale(site, ranked[0].bidder, max(price, reserve_usd))


def first_price(site: int, bids: list[SiteBid], reserve_usd: float) -> Sale | None:
    """First price with equilibrium shading (n-1)/n of the valuation (uniform private values)."""
    n = len(bids)
    shaded = [SiteBid(b.bidder, b.value_usd * (n - 1) / n if n > 1 else b.value_usd) for b in bids]
    ranked = [b for b in _ranked(shaded) if b.value_usd >= reserve_usd]
    if not ranked:
        return None
    return Sale(site, ranked[0].bidder, ranked[0].value_usd)


AUCTIONS: dict[str, Callable[[int, list[SiteBid], float], Sale | None]] = {
    "second_price": second_price,
    "first_price": first_price,
}


def register_auction(name: str, mechanism: Callable[[int, list[SiteBid], float], Sale | None]) -> None:
    """Add an auction mechanism that scenarios can name (``rules.auction``)."""
    AUCTIONS[name] = mechanism
