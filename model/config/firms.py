"""The scenario's ``[firms]`` section: how firms fail, restructure, merge and pay out.

Declared like every section (model/config/declare.py); read by the lenders (model/world/creditors.py), the
takeover market (model/markets/mergers.py) and the payout policy (model/world/payouts.py).
"""

from __future__ import annotations

from hashpivot.model.config.declare import P, Section


class FirmsSection(Section):
    """Firms that fail, restructure, merge and pay out (econ: Firms that can fail; cal: Firms: default, deals)."""

    covenant_net_debt_to_ebitda_max: float = P(
        4.0,
        "x (net debt / covenant EBITDA)",
        "assumption: a maximum-leverage maintenance covenant at a common leveraged-loan level; calibration.md "
        "has no miner covenant level (its < 0.5x is large miners' actual leverage, unconfirmed). Tested on corporate "
        "net debt and trailing-year EBITDA: lease-backed project debt and the rent servicing it are carved out",
        gt=0,
        le=50,
    )
    restructured_leverage_share: float = P(
        0.5,
        "share of the covenant ceiling",
        "assumption: a debt-for-equity swap leaves net debt at this share of the ceiling (headroom to the next "
        "test; Core Scientific emerged in Jan 2024 with its debt cut by roughly half, cal: defaults)",
        ge=0,
        le=1,
    )
    default_grace_days: int = P(
        90,
        "days",
        "issue 'Firms that can fail': a firm that cannot pay (negative cash after selling BTC and issuing equity) "
        "for this long defaults; within the 30-90-day cure periods of loan agreements",
        ge=1,
        le=730,
    )
    payout_share_per_year: float = P(
        0.5,
        "share of excess cash per year",
        "assumption: cash beyond the reserve, committed capex and the trailing year's investment is returned at "
        "this rate (buybacks; cal: capital returns -- no dividends found, buybacks alongside convertibles, "
        "issuance dominates); 0 = never (cash then piles up: the artefact the issue measured)",
        ge=0,
        le=12,
    )
    acquisitions: bool = P(True, "flag", "econ: Consolidation; false = no firm bids for another")
    acquisition_premium: float = P(
        0.45,
        "share over market cap",
        "cal: acquisitions -- median of the premiums of the four 2024-25 miner bids (CleanSpark-GRIID 0%, "
        "Riot-Bitfarms 24% rejected, CoreWeave-Core Scientific 66%, Bitfarms-Stronghold 71%)",
        ge=0,
        le=5,
    )
    acquisition_bidders: int = P(
        5,
        "firms",
        "assumption: the firms with most capital to deploy screen targets each month (bounds the valuation cost)",
        ge=0,
        le=100,
    )
