"""Miners' hashrate forecasts (model/world/valuation.py, model/world/finance.py): a recent trend fades.

Before, each firm extrapolated its trailing hashrate growth (45-135 days) at a constant rate over the whole
valuation horizon, and switched from the prior (+30%/yr) to that rate on the day its window filled. After the
2024 halving the trailing rate hit its -30%/yr bound, so hashprice was expected to grow ~70% a year for five
years: the NPV of a new ERCOT site jumped from 1.3 to 6.2 M$/MW between days 90 and 93 of the baseline with
hashprice unchanged, entrants paid ~4 M$/MW for running sites and spent the year's entry capital in a week.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import scenario

from hashpivot.model.simulation import HashpivotModel
from hashpivot.model.world import finance

YEARS = np.arange(0.5, 5.0, 1.0)


def _path(growth: float, fade_years: float | None, long_run: float = 0.3) -> np.ndarray:
    return finance.expected_hashprice_path(
        50.0, growth, 1_000_000, 0.0, YEARS, 0.2, long_run_growth_per_year=long_run, trend_fade_years=fade_years
    )


def test_a_damped_trend_starts_at_the_recent_rate_and_ends_near_the_long_run_one():
    recent, long_run = _path(-0.3, 0.5), _path(0.3, None)
    # The first months follow the recent fall; by year 4.5 the path grows like the long-run one.
    assert recent[0] > long_run[0]
    growth_late = np.log(recent[-1] / recent[-2])
    assert growth_late == pytest.approx(np.log(long_run[-1] / long_run[-2]), abs=0.01)
    # Without a fade the recent rate holds for ever: the old extrapolation.
    np.testing.assert_allclose(
        _path(-0.3, None), finance.expected_hashprice_path(50.0, -0.3, 1_000_000, 0.0, YEARS, 0.2)
    )


def test_the_new_site_npv_does_not_jump_when_a_window_fills():
    m = HashpivotModel(scenario({}), 0)
    ercot = np.array([m.regions.index["ERCOT"]])
    npvs = []
    for _ in range(140):
        m.step()
        if m.day >= 40:
            gen = m.technology.newest(m.date)
            npv = m.valuations.npv_in_regions(
                ercot, np.array([5.0]), gen.j_per_th, m.beliefs.n_firms, m.config.mining.machine_life_years, 0.0
            )
            npvs.append(float(npv[0]))
    ratio = np.array(npvs[1:]) / np.array(npvs[:-1])
    assert ratio.max() < 1.25 and ratio.min() > 0.8, "no day moves the NPV of a new site by a quarter"
