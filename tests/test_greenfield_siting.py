"""Greenfield campuses go where a MW is worth most: access, power price and queue time traded off.

Before 2026-12-03 a hyperscaler ranked regions by access and broke ties by wait (``access * 1e6 - waits``), so
power prices never entered and every campus of the 10-year baseline (27.2 GW, seed 0) went to ERCOT (issue "AI
demand and grid prices", item 3). Now ``model/markets/siting.py`` values a campus MW in each region.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import scenario

from hashpivot.model.markets.siting import best_campus_region, campus_values_usd_per_mw_year
from hashpivot.model.simulation import HashpivotModel


def _values(power, waits, preference=(1.0, 1.0)):
    return campus_values_usd_per_mw_year(9.7e6, np.array(preference), np.array(power), np.array(waits), 1.5e6, 0.08, 15)


def test_cheaper_power_wins_at_equal_waits_and_a_shorter_wait_at_equal_power():
    assert best_campus_region(_values([45.0, 30.0], [300.0, 300.0]), np.ones(2)) == 1
    assert best_campus_region(_values([30.0, 30.0], [700.0, 300.0]), np.ones(2)) == 1


def test_a_year_of_queue_is_worth_about_175_thousand_usd_per_mw_year():
    # 1.5 M$/MW-yr of delay for a year, annuitised at 8% over 15 years (crf 0.1168): the trade-off's rate.
    v = _values([30.0, 30.0], [0.0, 365.0])
    assert v[0] - v[1] == pytest.approx(1.5e6 * 0.08 * 1.08**15 / (1.08**15 - 1.0), rel=1e-12)


def test_no_campus_where_hyperscalers_have_no_access():
    values = _values([10.0, 40.0], [0.0, 900.0])  # region 0 is cheaper and faster
    assert best_campus_region(values, np.array([0.0, 1.0])) == 1
    assert best_campus_region(values, np.array([0.0, 0.0])) == 0  # a table without access anywhere: by value


def _share_of_campus_mw(region: str, overrides: dict | None) -> float:
    """Share of the greenfield MW requested or built in the first 400 days that is in ``region`` (seed 0)."""
    m = HashpivotModel(scenario(overrides), seed=0)
    for _ in range(400):
        m.step()
    mw = np.zeros(len(m.regions.ids))
    for hs in m.hyperscalers:
        for p in hs.pipeline:
            mw[p.region] += p.mw
    for site in range(m.sites.n):
        if m.sites.greenfield[site]:
            mw[m.sites.region[site]] += m.sites.capacity_mw[site]
    return float(mw[m.regions.ids.index(region)] / mw.sum())


def test_dearer_power_sends_campuses_elsewhere():
    # Paired, seed 0: SPP (cheapest power, 2.5-year firm wait vs ERCOT's 2 years at 44 $/MWh all hours) takes
    # the first campuses; a lasting doubling of its power price from the first day moves them away.
    shock = {"date": "2024-04-20", "kind": "power_price", "regions": ["SPP"], "power_price_multiplier": 2.0}
    base = _share_of_campus_mw("SPP", None)
    dear = _share_of_campus_mw("SPP", {"shocks": [shock]})
    assert base > 0.5
    assert dear < base - 0.3
