"""Where a hyperscaler builds a greenfield campus: the region where a MW is worth most to it.

A campus's yearly value per MW of IT load in region r (all in USD per MW-year):

    value_r = preference_r x revenue - 8,760 x power_r - delay_r

- ``revenue``: what a MW of AI capacity is worth to the buyer a year (``ai.usd_per_mw_year``), scaled by the
  same regional preference its reservation rents use (non-US regions discounted by ``ai.us_preference`` times
  missing ``hyperscaler_access``, SF-8);
- ``power_r``: the all-hours wholesale price a firm load expects there, USD/MWh (scarcity hours included:
  a firm load runs through them; ``Grid.expected_firm_price_usd_per_mwh``), one MWh per MW of IT load an hour
  (assumption: PUE 1, which scales every region's power cost alike);
- ``delay_r``: the value of time lost waiting in the region's interconnection queue
  (``ai.value_of_time_usd_per_mw_year`` per year of wait), annuitised over the campus's horizon at the buyer's
  rate, as the time value in its reservation rent is (leasing.py).

Regions without hyperscaler access (``hyperscaler_access = 0``: Russia, China in the packaged table) are not
built in at all. The earlier rule ranked regions by access and broke ties by wait, so power prices never
entered and the cheapest fast region of full access took every campus; now the queues' waits and the prices
that added load raises (load_pricing.py) trade off against each other.

Pure: every input is passed in.
"""

from __future__ import annotations

import numpy as np

from hashpivot.model.world.finance import crf

HOURS_PER_YEAR = 8_760.0


def campus_values_usd_per_mw_year(
    revenue_usd_per_mw_year: float,
    preference: np.ndarray,
    power_usd_per_mwh: np.ndarray,
    wait_days: np.ndarray,
    value_of_time_usd_per_mw_year: float,
    rate: float,
    horizon_years: float,
) -> np.ndarray:
    """Each region's yearly value of a campus MW (formula in the module docstring)."""
    delay_usd_per_mw = np.asarray(wait_days, float) / 365.0 * value_of_time_usd_per_mw_year
    delay = delay_usd_per_mw * crf(rate, horizon_years)
    return (
        np.asarray(preference, float) * revenue_usd_per_mw_year - HOURS_PER_YEAR * np.asarray(power_usd_per_mwh) - delay
    )


def best_campus_region(values: np.ndarray, access: np.ndarray) -> int:
    """The region of highest value among those with access (all regions if none has any)."""
    allowed = np.asarray(access) > 0
    if not allowed.any():
        allowed = np.ones_like(allowed)
    return int(np.argmax(np.where(allowed, values, -np.inf)))
