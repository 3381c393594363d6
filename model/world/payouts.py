"""The payout policy: cash a firm does not need is returned to its shareholders.

A firm keeps its liquidity reserve (model/world/liquidity.py), the equity it owes to signed conversions, and a
year of investment at its trailing pace (it plans to keep investing as it has). What is beyond that earns its
shareholders nothing held inside the firm (Jensen 1986, the agency cost of free cash flow), so it is returned,
as buybacks, at ``firms.payout_share_per_year`` of the excess a year (cal: capital returns -- miners bought
back stock alongside convertible issues in 2024-25, no dividends). Before, no firm ever paid anything out and
miners' cash grew from 4.9 to 34.7 B$ over the baseline's ten years.
"""

from __future__ import annotations

import math


def excess_cash_usd(cash_usd: float, reserve_usd: float, committed_usd: float, planned_usd: float) -> float:
    """Cash beyond the reserve, the equity committed to conversions and the planned investment."""
    return max(cash_usd - reserve_usd - committed_usd - planned_usd, 0.0)


def payout_usd(excess_usd: float, share_per_year: float, interval_days: float) -> float:
    """What is paid out at one decision: the excess at a continuous rate of ``share_per_year``."""
    return excess_usd * -math.expm1(-share_per_year * interval_days / 365.0)
