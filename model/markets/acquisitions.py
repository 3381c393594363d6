"""Who buys a whole firm, and at what price: the takeover mechanism.

Pure: it gets the target's market value, the premium its board requires and each bidder's offer (what the
target's equity is worth to that bidder, and what it can pay), and returns the deal or nothing.

A board sells when an offer beats the market value by the premium (cal: acquisitions -- 2024-25 miner deals
closed at 0-71% premiums, and Riot's 24% for Bitfarms was refused). Bidders compete, so the winner is the
bidder that values the target most, and it pays what the runner-up would have (an English auction: Vickrey
1961), never less than the board's price. A bidder never pays more than the target is worth to it or more
than it can fund. For a firm sold by its creditors after a default the "market value" is the estate's
liquidation value and there is no premium: the estate goes to the best offer above what a piecemeal sale
would fetch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Offer:
    """A bidder's view of one target (USD): its value to the bidder and the most the bidder can pay."""

    bidder: int  # miner index
    value_usd: float
    budget_usd: float


@dataclass(frozen=True)
class Deal:
    """A takeover agreed: ``bidder`` pays ``price_usd`` for the target's equity."""

    bidder: int
    price_usd: float
    value_usd: float
    floor_usd: float  # the board's (or the creditors') price


def clear(market_value_usd: float, premium: float, offers: Sequence[Offer]) -> Deal | None:
    """The winning offer, if any beats ``market_value_usd x (1 + premium)`` and can be funded."""
    floor = max(market_value_usd, 0.0) * (1.0 + premium)
    valid = sorted(
        (o for o in offers if min(o.value_usd, o.budget_usd) > floor), key=lambda o: (-o.value_usd, o.bidder)
    )
    if not valid:
        return None
    best = valid[0]
    runner_up = min(valid[1].value_usd, valid[1].budget_usd) if len(valid) > 1 else floor
    price = min(max(floor, runner_up), best.value_usd, best.budget_usd)
    return Deal(best.bidder, price, best.value_usd, floor)
