"""The seed facts SF-1..SF-8, measured on seeded ensembles of the baseline.

Each fact is a *measurement* on model output, never an input: ``FACTS`` lists, per fact, what is measured,
the target band, and a function from the ensemble's runs to one value per seed. Contrasts (the mass-exit
shock) are measured against the baseline run with the same seed, so both face the same price path (common
random numbers). ``calibrate()`` runs the ensembles in a process pool and returns the table; the CLI writes
it as Markdown and CSV.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np

from hashpivot.model.config.schema import Scenario
from hashpivot.model.tools.run import RunResult, simulate

BASELINE_DAYS = 1460  # 2024-04-20 .. 2028-04: every fact is dated before 2028
CALIBRATION_DAYS = BASELINE_DAYS
"""Every baseline fact is measured on the first 1,460 days of each run (``cut``), by ``hashpivot calibrate`` and
by ``hashpivot report`` alike, so one fact has one number whatever the runs' horizon."""
SF1_WINDOW_DAYS = 7
# The dates the baseline-only facts read: one place for the measure and for ``Fact.last_date``.
SF2_START, SF2_END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
SF4_DATE = dt.date(2026, 1, 15)
SF5_DATE = dt.date(2027, 1, 1)
SF8_DATE = dt.date(2027, 12, 31)
ENSEMBLE_TEXT = {
    "baseline": "the baseline ensemble",
    "halving": "the halving-window ensemble",
    "mass_exit": "the mass_exit_2026 ensemble",
}
"""The ensembles the facts read (keys of ``run_ensembles``'s result), as a sentence names them."""
BACKTEST_POINTS = (  # calibration.md "Network and market levels"
    ("2024-04", dt.date(2024, 4, 20), dt.date(2024, 4, 30), 650.0, "~650 EH/s Apr 2024 (pre-halving, 7-day avg)"),
    ("2024-05", dt.date(2024, 5, 1), dt.date(2024, 5, 31), 580.0, "~580 EH/s May 2024 (post-halving dip)"),
    ("2024-Q4", dt.date(2024, 10, 1), dt.date(2024, 12, 31), 900.0, "~900 EH/s Q4 2024 (reported)"),
    ("2025-10", dt.date(2025, 10, 1), dt.date(2025, 10, 31), 1080.0, "~1,080 EH/s Oct 2025 avg (reported)"),
)


@dataclass(frozen=True)
class Fact:
    """One row of the calibration table, and what its measure needs.

    Attributes:
        id: ``SF-1`` .. ``SF-8``.
        fact: The stylised fact, in words.
        quantity: What is measured.
        band: The target band as shown.
        low: Lower end of the band.
        high: Upper end of the band.
        measure: From the ensembles' runs (by name) to one value per seed.
        ensembles: The ensembles ``measure`` reads (keys of ``run_ensembles``'s result).
        last_date: The last day ``measure`` reads of the baseline runs' daily series; None if it reads no
            fixed date (the panel it is given, or a window set by the shock date). A run ending earlier would
            be read at its last day instead, so the fact cannot be measured on it.
        whole_horizon: The measure reads the whole panel of the first ``CALIBRATION_DAYS`` days (SF-3,
            SF-6): it needs runs at least that long.
    """

    id: str
    fact: str
    quantity: str
    band: str
    low: float
    high: float
    measure: Callable[[dict], list[float]]
    ensembles: tuple[str, ...] = ("baseline",)
    last_date: dt.date | None = None
    whole_horizon: bool = False

    @property
    def other_ensembles(self) -> tuple[str, ...]:
        """The ensembles the measure needs besides the baseline (empty for a baseline-only fact)."""
        return tuple(e for e in self.ensembles if e != "baseline")


def _row_on(r: RunResult, date: dt.date) -> int:
    dates = r.timeseries["date"]
    i = int(np.searchsorted(dates, date.isoformat()))
    return min(i, len(dates) - 1)


def _sf1(runs: dict) -> list[float]:
    """Mean hashprice in the 7 days after block 840,000 over the 7 days before (price held constant)."""
    out = []
    for r in runs["halving"]:
        h = r.timeseries["block_height"]
        hp = r.timeseries["hashprice_usd_per_ph_day"]
        cross = int(np.argmax(h >= 840_000))
        out.append(
            float(hp[cross + 1 : cross + 1 + SF1_WINDOW_DAYS].mean() / hp[cross - SF1_WINDOW_DAYS : cross].mean())
        )
    return out


def _sf2(runs: dict) -> list[float]:
    """GPU-cloud revenue per MW (contracts signed by end 2025) over mining revenue per MW in 2025."""
    out = []
    for r in runs["baseline"]:
        gpu = [x["rent_usd_per_kw_month"] for x in r.leases if x["kind"] == "gpu_cloud" and x["sign_day"] <= 620]
        t = r.timeseries
        lo, hi = _row_on(r, SF2_START), _row_on(r, SF2_END)
        mining = np.nanmean(t["revenue_usd_per_mw_day_mining"][lo:hi]) * 365.0
        out.append(float(np.mean(gpu) * 12_000.0 / mining) if gpu else float("nan"))
    return out


def _leading_pivoter(r: RunResult) -> list[dict] | None:
    """The panel rows of the miner that committed the largest share of its MW to AI."""
    by_agent: dict[int, list[dict]] = {}
    for a in r.agents:
        by_agent.setdefault(a["agent_id"], []).append(a)
    best, best_share = None, 0.0
    for rows in by_agent.values():
        for a in rows:
            total = sum(a[f"mw_{k}"] for k in ("mining", "curtailed", "idle", "converting", "ai_leased", "unbuilt"))
            share = (a["mw_ai_leased"] + a["mw_converting"]) / total if total > 0 else 0.0
            if share > best_share and a["first_lease_day"] >= 0:
                best, best_share = rows, share
    return best


def _sf3_pairs(runs: dict) -> list[tuple[float, float]]:
    pairs = []
    for r in runs["baseline"]:
        rows = _leading_pivoter(r)
        if rows is None:
            pairs.append((float("nan"), float("nan")))
            continue
        first = rows[-1]["first_lease_day"]
        before = [a["btc_revenue_share"] for a in rows if a["day"] <= first]
        after = [a["btc_revenue_share"] for a in rows if first < a["day"] <= first + 730]
        pairs.append((before[-1] if before else 1.0, float(np.nanmin(after)) if after else float("nan")))
    return pairs


def _sf3(runs: dict) -> list[float]:
    """Leading pivoter's BTC revenue share, lowest 30-day value within 24 months of its first lease."""
    return [after if before >= 0.8 else float("nan") for before, after in _sf3_pairs(runs)]


def _gap(runs: dict, measure: str) -> list[float]:
    """AI-focused over BTC-focused ``measure`` per MW on 2026-01-15 (listed miners, model/world/metrics.py)."""
    out = []
    for r in runs["baseline"]:
        i = _row_on(r, SF4_DATE)
        t = r.timeseries
        out.append(float(t[f"{measure}_usd_per_mw_ai_focused"][i] / t[f"{measure}_usd_per_mw_btc_focused"][i]))
    return out


def sf4_market_cap(runs: dict) -> list[float]:
    """AI-focused over BTC-focused market capitalisation per MW on 2026-01-15: what the shares trade at."""
    return _gap(runs, "market_cap")


def sf4_enterprise_value(runs: dict) -> list[float]:
    """The same gap on enterprise value (debt-financed AI capex counted as the firm's): a diagnostic."""
    return _gap(runs, "valuation")


def _sf5(runs: dict) -> list[float]:
    """Number of strategies (hold, hybrid, exit) with at least one miner on 2027-01-01."""
    out = []
    for r in runs["baseline"]:
        i = _row_on(r, SF5_DATE)
        out.append(float(sum(r.timeseries[f"miners_{s}"][i] > 0 for s in ("hold", "hybrid", "exit"))))
    return out


def _sf6(runs: dict, scarcity_by_region: dict[str, float]) -> list[float]:
    """Hybrids' DR income per MW-day of mining in scarcity-heavy regions minus the rest (NaN unless DR > 0)."""
    out = []
    median = float(np.median(list(scarcity_by_region.values())))
    for r in runs["baseline"]:
        heavy, light = [], []
        for a in r.agents:
            mw = a["mw_mining"] + a["mw_curtailed"]
            if a["strategy"] != "hybrid" or mw <= 0 or not a["region"]:
                continue
            per_mw_day = a["revenue_dr_usd"] / mw / 30.0
            (heavy if scarcity_by_region[a["region"]] > median else light).append(per_mw_day)
        ok = heavy and np.mean(heavy) > 0
        out.append(float(np.mean(heavy) - (np.mean(light) if light else 0.0)) if ok else float("nan"))
    return out


def _shock_day(r: RunResult, shock_date: dt.date) -> int:
    return _row_on(r, shock_date)


def sf7_parts(runs: dict, shock_date: dt.date) -> list[dict]:
    """SF-7's parts, per seed.

    Hashrate after/before the shock, difficulty at the first retarget after/before, and the remaining miners'
    hashprice vs the same seed's baseline two months on.
    """
    out = []
    for shock, base in zip(runs["mass_exit"], runs["baseline"], strict=True):
        d = _shock_day(shock, shock_date)
        t, b = shock.timeseries, base.timeseries
        before_h = t["network_hashrate_ehs"][d - 7 : d].mean()
        after_h = t["network_hashrate_ehs"][d + 7 : d + 37].mean()
        diff = t["difficulty"]
        changed = np.flatnonzero(diff[d:] != diff[d - 1])
        first_retarget = d + int(changed[0]) if changed.size else len(diff) - 1
        window = slice(d + 45, d + 75)
        hp_ratio = t["hashprice_usd_per_ph_day"][window].mean() / b["hashprice_usd_per_ph_day"][window].mean()
        out.append(
            {
                "hashrate": after_h / before_h,
                "difficulty": diff[first_retarget] / diff[d - 1],
                "retarget_day": first_retarget - d,
                "hashprice_vs_baseline": hp_ratio,
            }
        )
    return out


def ai_mw_by_region(r: RunResult, day: int) -> dict[str, float]:
    """MW under AI contracts on miners' and bought sites on ``day``, by region (signed, not yet ended).

    Read from the leases (sign and end days) rather than the end-of-run site states, so it does not depend on
    how long the run went on after ``day``.
    """
    region = {s["site"]: s["region"] for s in r.sites}
    greenfield = {s["site"] for s in r.sites if s["greenfield"]}
    out: dict[str, float] = {}
    for x in r.leases:
        ended = 0 <= x["end_day"] <= day if x["end_day"] is not None else False
        if x["sign_day"] <= day and not ended and x["site"] not in greenfield and x["site"] in region:
            out[region[x["site"]]] = out.get(region[x["site"]], 0.0) + float(x["mw"])
    return out


def _sf8(runs: dict) -> list[float]:
    """US share of AI MW minus US share of hashrate at the end of 2027 (needs > 0; Texas top AI region)."""
    out = []
    for r in runs["baseline"]:
        i = _row_on(r, SF8_DATE)
        t = r.timeseries
        gap = t["ai_mw_share_us"][i] - t["hashrate_share_us"][i]
        ai_by_region = ai_mw_by_region(r, int(t["day"][i]))
        texas_top = bool(ai_by_region) and max(ai_by_region, key=ai_by_region.get) == "ERCOT"
        out.append(float(gap) if texas_top else float("nan"))
    return out


def facts(scarcity_by_region: dict[str, float], shock_date: dt.date) -> tuple[Fact, ...]:
    """The calibration table's rows (issue 4's bands)."""

    def sf7(runs: dict) -> list[float]:
        # The weakest of the three effects: all must be positive for the fact to hold.
        return [
            min(p["hashprice_vs_baseline"] - 1.0, 1.0 - p["hashrate"], 1.0 - p["difficulty"])
            for p in sf7_parts(runs, shock_date)
        ]

    return (
        Fact(
            "SF-1",
            "Halving cut the subsidy 6.25 -> 3.125 BTC",
            "hashprice ratio across the halving (+-7 d, price held)",
            "0.45-0.55",
            0.45,
            0.55,
            _sf1,
            ensembles=("halving",),
        ),
        Fact(
            "SF-2",
            "AI pays ~10x per MW",
            "GPU-cloud / mining revenue per MW, 2025",
            "8-15x",
            8.0,
            15.0,
            _sf2,
            last_date=SF2_END,
        ),
        Fact(
            "SF-3",
            "Revenue mix flips fast",
            "leading pivoter's BTC revenue share within 24 months of first lease (from >= 80%)",
            "<= 0.20",
            0.0,
            0.20,
            _sf3,
            whole_horizon=True,
        ),
        Fact(
            "SF-4",
            "Valuation gap",
            "AI-focused / BTC-focused market cap per MW, listed miners, 2026-01-15",
            "1.5-2.5",
            1.5,
            2.5,
            sf4_market_cap,
            last_date=SF4_DATE,
        ),
        Fact("SF-5", "Three strategies", "strategies in use on 2027-01-01", "3", 3.0, 3.0, _sf5, last_date=SF5_DATE),
        Fact(
            "SF-6",
            "Mullet earns demand response",
            "hybrids' DR USD per mining MW-day, scarcity-heavy minus other regions (NaN unless DR > 0)",
            "> 0",
            1e-9,
            np.inf,
            lambda runs: _sf6(runs, scarcity_by_region),
            whole_horizon=True,
        ),
        Fact(
            "SF-7",
            "Exodus: hashrate falls, difficulty follows, stayers gain",
            "smallest of: hashrate drop, "
            "difficulty drop at first retarget, hashprice gain vs baseline (mass_exit_2026)",
            "> 0",
            1e-9,
            np.inf,
            sf7,
            ensembles=("mass_exit", "baseline"),
        ),
        Fact(
            "SF-8",
            "AI concentrates in the US, Texas first",
            "US share of AI MW - US share of hashrate, end 2027 (NaN unless Texas is the top AI region)",
            "> 0",
            1e-9,
            np.inf,
            _sf8,
            last_date=SF8_DATE,
        ),
    )


# --- running the ensembles ------------------------------------------------------------------------------------
def _job(args):
    scenario_json, seed, days = args
    return simulate(Scenario.model_validate_json(scenario_json), seed=seed, days=days)


def halving_scenario(base: Scenario) -> Scenario:
    """The baseline started 1,300 blocks before the 2024 halving (same period, same bits), price held."""
    data = base.model_dump(mode="json")
    # 1,300 blocks (~9 days) before: still inside the period that began at 838,656, so the bits are 840,000's.
    anchor = dt.datetime(2024, 4, 20, 0, 9, 27, tzinfo=dt.UTC) - dt.timedelta(seconds=1_300 * 600)
    data["run"].update(start_date=anchor.date().isoformat(), anchor_height=838_700, anchor_time_utc=anchor.isoformat())
    data["price"]["kind"] = "constant"
    return Scenario.model_validate(data)


def run_ensembles(
    baseline: Scenario, mass_exit: Scenario, backtest: Scenario, seeds: list[int], workers: int = 2, progress=None
) -> dict[str, list[RunResult]]:
    """Run every ensemble the table needs: baseline, halving window, mass-exit shock, backtest."""
    jobs = {
        "baseline": (baseline, BASELINE_DAYS),
        "halving": (halving_scenario(baseline), 20),
        "mass_exit": (
            mass_exit,
            min(BASELINE_DAYS, (mass_exit.shocks[0].date - mass_exit.run.start_date).days + 120)
            if mass_exit.shocks
            else BASELINE_DAYS,
        ),
        "backtest": (backtest, backtest.run.days),
    }
    tasks = [(name, (sc.model_dump_json(), seed, days)) for name, (sc, days) in jobs.items() for seed in seeds]
    results: dict[str, list[RunResult]] = {name: [] for name in jobs}
    if workers <= 1:
        outputs = map(_job, [t for _, t in tasks])
    else:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
        outputs = pool.map(_job, [t for _, t in tasks])
    for k, ((name, _), out) in enumerate(zip(tasks, outputs, strict=True)):
        results[name].append(out)
        if progress:
            progress(k + 1, len(tasks))
    if workers > 1:
        pool.shutdown()
    return results


def cut(run: RunResult, days: int | None = None) -> RunResult:
    """The first ``days`` days of a run: its daily series, panel rows, leases signed, events and sales before.

    A run of exactly ``days`` days has one more panel row, on its last day (written at the end of every run):
    it is dropped too, so a longer run cut to ``days`` and a run of ``days`` give the same panel.
    ``days`` defaults to ``CALIBRATION_DAYS``.
    """
    days = CALIBRATION_DAYS if days is None else days
    ts = {k: v[:days] for k, v in run.timeseries.items()}
    return RunResult(
        timeseries=ts,
        agents=[a for a in run.agents if a["day"] < days],
        leases=[x for x in run.leases if x["sign_day"] < days],
        sites=list(run.sites),
        events=[e for e in run.events if e.get("day", 0) < days],
        sales=[x for x in run.sales if x.get("day", 0) < days],
    )


def measure(fact: Fact, runs: dict[str, list[RunResult]]) -> list[float]:
    """One value per seed of ``fact``, the baseline runs cut to ``CALIBRATION_DAYS`` (the one way to measure it)."""
    given = dict(runs)
    if "baseline" in given:
        given["baseline"] = [cut(r) for r in given["baseline"]]
    return fact.measure(given)


def horizon_text(start: dt.date) -> str:
    """How the baseline facts are measured, in words, for both tables that show them."""
    end = start + dt.timedelta(days=CALIBRATION_DAYS - 1)
    return (
        f"baseline facts measured on the first {CALIBRATION_DAYS:,} days of each run ({start.isoformat()} to "
        f"{end.isoformat()})"
    )


def summarise(values: list[float], low: float, high: float) -> dict:
    """Mean, 90% interval across seeds, and pass/fail of the mean against the band (NaN fails)."""
    v = np.asarray(values, dtype=float)
    finite = v[np.isfinite(v)]
    if finite.size == 0:
        return {"mean": float("nan"), "p05": float("nan"), "p95": float("nan"), "n": 0, "pass": False}
    mean = float(finite.mean())
    return {
        "mean": mean,
        "p05": float(np.percentile(finite, 5)),
        "p95": float(np.percentile(finite, 95)),
        "n": int(finite.size),
        "pass": bool(finite.size == v.size and low <= mean <= high),
    }


def backtest_table(runs: list[RunResult]) -> list[dict]:
    """Simulated vs reported network hashrate at the calibration.md dates, with the relative error."""
    rows = []
    for label, start, end, reported, source in BACKTEST_POINTS:
        means = []
        for r in runs:
            i, j = _row_on(r, start), _row_on(r, end) + 1
            means.append(float(r.timeseries["network_hashrate_ehs"][i:j].mean()))
        sim = float(np.mean(means))
        rows.append(
            {
                "period": label,
                "reported_ehs": reported,
                "simulated_ehs": sim,
                "p05": float(np.percentile(means, 5)),
                "p95": float(np.percentile(means, 95)),
                "error": sim / reported - 1.0,
                "source": source,
            }
        )
    return rows
