"""Issue-14 summary figures: hashrate at key dates, entry by region, used machines traded, ban relocation.

Run: ``.venv/bin/python scripts/supply_summary.py [--seeds 0 1 2 3 4]`` (10-year baseline per seed, plus a
ban on China on 2026-01-15 for the relocation share). Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt

import numpy as np

from hashpivot import load_scenario
from hashpivot.model.simulation import HashpivotModel

DATES = ("2026-01-01", "2028-01-01", "2033-04-01", "end")  # one year after the ~2032-04 halving


def _run(scenario, seed: int, days: int) -> HashpivotModel:
    model = HashpivotModel(scenario, seed=seed)
    for _ in range(days):
        model.step()
    return model


def main() -> None:
    """Print the tables."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2, 3, 4])
    parser.add_argument("--ban-only", action="store_true", help="only the China-ban relocation table")
    args = parser.parse_args()
    base = load_scenario("baseline").scenario
    if not args.ban_only:
        _baseline_tables(base, args.seeds)
    _ban_table(base, args.seeds)


def _baseline_tables(base, seeds: list[int]) -> None:
    """Hashrate at the key dates, entry, and used machines traded, per seed; new sites by region."""
    print(
        "| seed | " + " | ".join(f"EH/s {d}" for d in DATES) + " | MW entered | entrant firms | used TH sold (EH/s) |"
    )
    print("|---" * (len(DATES) + 4) + "|")
    regions: collections.Counter = collections.Counter()
    for seed in seeds:
        m = _run(base, seed, base.run.days)
        t = m.recorder.as_dict()
        start = base.run.start_date
        cells = []
        for d in DATES:
            day = len(t["day"]) - 1 if d == "end" else (dt.date.fromisoformat(d) - start).days
            cells.append(f"{t['network_hashrate_ehs'][day]:,.0f}")
        for e in m.events:
            if e["kind"] == "entry" and " in " in e["text"]:
                regions[e["text"].rsplit(" in ", 1)[1]] += 1
        sold = t["used_asic_th_sold_total"][-1] / 1e6
        print(
            f"| {seed} | " + " | ".join(cells) + f" | {t['mw_entered_total'][-1]:,.0f} | "
            f"{int(t['miners_entered_total'][-1])} | {sold:,.0f} |"
        )
    print("\nNew mining sites through the queue, by region (all seeds):", dict(regions.most_common()))


def _ban_table(base, seeds: list[int]) -> None:
    """Share of China's mining MW that the used market moved abroad within two years of a 2026 ban."""
    print("\n| seed | MW in CHINA before the ban | MW relocated out of CHINA by 2028-01-01 | share |")
    print("|---|---|---|---|")
    for seed in seeds:
        sc = _china_ban(base)
        day_ban = (dt.date(2026, 1, 15) - base.run.start_date).days
        m = HashpivotModel(sc, seed=seed)
        for _ in range(day_ban):
            m.step()
        china = m.regions.index["CHINA"]
        s = m.sites
        before = float(s.machine_mw[: s.n][s.region[: s.n] == china].sum())
        sold_before_ban = len(m.machine_market.sales)  # relocations out of China before the ban are not its effect
        for _ in range((dt.date(2028, 1, 1) - dt.date(2026, 1, 15)).days):
            m.step()
        after = m.machine_market.sales[sold_before_ban:]
        moved = sum(x.mw for x in after if x.from_region == "CHINA" and x.to_region != "CHINA")
        print(f"| {seed} | {before:,.0f} | {moved:,.0f} | {moved / before if before else np.nan:.0%} |")


def _china_ban(base):
    from hashpivot.model.config.schema import Shock

    return base.model_copy(update={"shocks": (Shock(date=dt.date(2026, 1, 15), kind="ban", regions=("CHINA",)),)})


if __name__ == "__main__":
    main()
