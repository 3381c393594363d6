"""Short-run elasticity of network hashrate to hashprice on one day of a run (the difficulty cobweb's factor).

Runs a scenario to ``--day``, then re-runs that day's hour-by-hour dispatch (``settlement.dispatch``, with the
load-driven price clearing) at the day's hashprice scaled by 0.9 and 1.1, with the same drawn power prices
and nothing else changed. The elasticity is the arc elasticity of ``settlement.hash_supply_elasticity``, the
value a run records as ``hash_supply_elasticity`` on each retarget period's first day; above 1, each difficulty
retarget overshoots the last one (README, "difficulty cycle").

Run: ``.venv/bin/python scripts/dispatch_elasticity.py [--scenario runs/baseline.toml] [--seed 0] [--day 3355]``
"""

from __future__ import annotations

import argparse

import numpy as np

from hashpivot import load_scenario
from hashpivot.model.simulation import HashpivotModel
from hashpivot.model.world.settlement import dispatch, hash_supply_elasticity


def main() -> None:
    """Print the day's hashrate at scaled hashprices and the elasticity."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", default="runs/baseline.toml")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--day", type=int, default=3355)
    args = parser.parse_args()
    m = HashpivotModel(load_scenario(args.scenario).scenario, seed=args.seed)
    for _ in range(args.day):
        m.step()
    live = np.flatnonzero(m.fleet.live(m.day))
    prices, called = m.grid.power_prices()
    print(f"{m.date}: hashprice {m.hashprice_expected:.2f} USD/PH/day, {m.fleet.mw[live].sum():,.0f} MW live")
    for scale in (0.9, 1.0, 1.1):
        md = dispatch(m, live, prices, called, m.hashprice_expected * scale)
        print(f"  hashprice x {scale:.1f}: {md.hashrate_ph.sum() / 1_000.0:,.1f} EH/s")
    print(f"elasticity {hash_supply_elasticity(m, live, prices, called):.2f}")


if __name__ == "__main__":
    main()
