"""Fleet investment follows the NPV test entrants use, for every batch that passes (agents/fleet_decisions.py).

Two defects left energised MW idle where new machines paid (``hashpivot diagnose``: baseline seed 2, 10 years,
"idle capacity while mining pays" failed on 32 days, worst 11.0% of mining MW on 2028-08-11):

* expansion used a simple-payback rule (2.5 years on today's margin) while entrants and site requests used the
  NPV at the firm's hurdle rate and beliefs, so after a halving a firm left its own idle MW empty at a payback
  of ~3.7 years that its NPV said to fill;
* an upgrade considered only the firm's least efficient batch, once a month: when new machines did not pay at
  that batch's site, no other batch was ever upgraded, and old machines hibernated for years on good MW.

Each test fails on the code before the fix (e86ce15). The NPV book and today's margins are set directly so that
the two rules disagree; the decision under test is then called as the firm calls it on its decision day.
"""

from __future__ import annotations

import numpy as np
from helpers import scenario

from hashpivot.model.simulation import HashpivotModel


def _model(days: int, seed: int = 0) -> HashpivotModel:
    model = HashpivotModel(scenario({}), seed)
    for _ in range(days):
        model.step()
    return model


def _firm_with_room(m: HashpivotModel):
    """A miner and one of its sites with at least 20 MW of energised room (made by adding capacity)."""
    s = m.sites
    firm = next(a for a in m.miners if a.strategy != "exit" and a.sites.size and a.investable_usd() > 50e6)
    site = int(firm.sites[0])
    s.capacity_mw[site] += 20.0  # energised room with nothing on it
    return firm, site


def _new_mw_at(m: HashpivotModel, site: int) -> float:
    f = m.fleet
    return float(f.mw[: f.n][(f.site[: f.n] == site) & (f.online_day[: f.n] > m.day)].sum())


def test_idle_mw_are_filled_when_the_npv_pays_even_if_simple_payback_is_long():
    m = _model(60)
    firm, site = _firm_with_room(m)
    cost = m.technology.cost_usd_per_mw(m.technology.newest(m.date).j_per_th)
    m.valuations.site_new_npv_per_mw_all()[site] = 1.5 * cost  # this week's plan: buying pays
    m.valuations.new_margins()[site] = cost / (4.0 * 365.0)  # but today's margin repays it in 4 years
    before = _new_mw_at(m, site)
    firm._expand(site)
    assert _new_mw_at(m, site) - before >= 19.0  # the room is filled (on the old code: nothing ordered)


def test_idle_mw_stay_empty_when_the_npv_does_not_pay_even_if_simple_payback_is_short():
    m = _model(60)
    firm, site = _firm_with_room(m)
    cost = m.technology.cost_usd_per_mw(m.technology.newest(m.date).j_per_th)
    m.valuations.site_new_npv_per_mw_all()[site] = 0.9 * cost  # the plan says it does not pay
    m.valuations.new_margins()[site] = cost / 365.0  # though today's margin repays it in a year
    before = _new_mw_at(m, site)
    firm._expand(site)
    assert _new_mw_at(m, site) == before


def test_an_upgrade_that_does_not_pay_at_the_worst_batch_does_not_block_the_others():
    m = _model(60)
    f, gen = m.fleet, m.technology.newest(m.date)
    firm = next(
        a
        for a in m.miners
        if a.strategy != "exit"
        and a.investable_usd() > 100e6
        and len({int(f.site[b]) for b in a.batches() if f.j_per_th[b] * 0.9 > gen.j_per_th}) >= 3
    )
    b = firm.batches()
    b = b[(f.retire_day[b] < 0) & (f.j_per_th[b] * 0.9 > gen.j_per_th)]
    worst = int(b[np.argmax(f.j_per_th[b])])
    cost = m.technology.cost_usd_per_mw(gen.j_per_th)
    book = m.valuations.site_new_npv_per_mw_all()
    book[:] = 10.0 * cost  # new machines pay everywhere ...
    book[f.site[worst]] = 0.0  # ... except where the least efficient batch stands
    sites_before = {int(f.site[i]) for i in b}
    firm._upgrade()
    mine = np.flatnonzero(f.owner[: f.n] == firm.idx)
    retiring = mine[f.retire_day[mine] >= 0]  # a partly replaced batch is split: its replaced part is new
    assert f.retire_day[worst] < 0  # the worst batch stays: replacing it does not pay there
    # All the others are replaced on the same day, at two or more sites (old code: none at all).
    assert {int(f.site[i]) for i in retiring} == sites_before - {int(f.site[worst])}
