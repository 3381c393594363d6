"""The measured alternative for issue 17: the hottest numeric kernel compiled with numba, against numpy.

``finance.expected_run_margin_usd_per_mw_day`` (the curtailing miner's put payoff, called ~14,000 times in a
10-year baseline: by every NPV, margin and bid) is recorded with its real arguments over a 730-day baseline,
then re-evaluated by numpy and by a numba kernel of the same formula. The script prints the time per call of
each and how many results are bit for bit equal (the outputs are pinned byte for byte:
tests/test_output_identity.py). numba is not a dependency: ``pip install numba`` first (0.68.1 installs as a
wheel with NumPy 2.5 on these machines); ``make bench`` reports the figures only where numba imports. With
``--swap`` it also runs the 10-year baseline with the compiled kernel in numpy's place and says how far the
outputs move (the issue's looser standard: equal within 1e-9 relative).
"""

from __future__ import annotations

import inspect
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hashpivot.model.world import finance  # noqa: E402


def record_calls(days: int = 730) -> list[tuple]:
    """Every call's arguments, broadcast to one shape, over ``days`` of the baseline (seed 0)."""
    from hashpivot.model.config.schema import Scenario
    from hashpivot.model.simulation import HashpivotModel

    calls, original = [], finance.expected_run_margin_usd_per_mw_day

    signature = inspect.signature(original)

    def spy(*args, **kwargs):
        out = original(*args, **kwargs)
        args = tuple(signature.bind(*args, **kwargs).arguments.values())  # in the formula's order
        calls.append(tuple(np.broadcast_to(np.asarray(a, float), np.shape(out)).copy() for a in args))
        return out

    finance.expected_run_margin_usd_per_mw_day = spy
    try:
        model = HashpivotModel(Scenario(), seed=0)
        for _ in range(days):
            model.step()
    finally:
        finance.expected_run_margin_usd_per_mw_day = original
    return calls


def numba_kernel():
    """The formula of ``expected_run_margin_usd_per_mw_day``, element by element, compiled."""
    from numba import vectorize

    @vectorize(["float64(float64, float64, float64, float64, float64, float64, float64)"], cache=False)
    def margin(hashprice, j_per_th, price_mean, s, adder, scarcity, opex):
        strike = max(hashprice * 1_000.0 / (j_per_th * 24.0) - adder, 1e-9)
        if s > 0:
            d1 = (math.log(price_mean / strike) + 0.5 * s * s) / s
            d2 = d1 - s
            per_mwh = strike * 0.5 * math.erfc(d2 / math.sqrt(2.0)) - price_mean * 0.5 * math.erfc(d1 / math.sqrt(2.0))
        else:
            per_mwh = max(strike - price_mean, 0.0)
        return 24.0 * (1.0 - scarcity) * per_mwh - opex

    return margin


def measure(days: int = 730) -> dict:
    """Time per call of numpy and numba on the recorded calls, and the share of results bit for bit equal."""
    calls = record_calls(days)
    kernel = numba_kernel()
    kernel(*calls[0])  # compile
    t = time.perf_counter()
    ref = [finance.expected_run_margin_usd_per_mw_day(*c) for c in calls]
    t_numpy = (time.perf_counter() - t) / len(calls)
    t = time.perf_counter()
    alt = [kernel(*c) for c in calls]
    t_numba = (time.perf_counter() - t) / len(calls)
    n = sum(r.size for r in ref)
    equal = sum(int(np.sum(r.view(np.int64) == a.view(np.int64))) for r, a in zip(ref, alt, strict=True))
    worst = max(
        float(np.max(np.abs(a - r) / np.maximum(np.abs(r), 1e-300), initial=0.0)) for r, a in zip(ref, alt, strict=True)
    )
    return {
        "calls": len(calls),
        "values": n,
        "numpy_us": t_numpy * 1e6,
        "numba_us": t_numba * 1e6,
        "equal_share": equal / n,
        "max_rel_diff": worst,
    }


def summary(days: int = 730) -> str:
    """One line for docs/performance.md, or why it was not measured."""
    try:
        import numba
    except ImportError:
        return (
            "not measured: numba is not installed (`pip install numba`, then `python benchmarks/numba_alternative.py`)"
        )
    r = measure(days)
    return (
        f"numba {numba.__version__}: {r['numba_us']:.0f} us a call against numpy's {r['numpy_us']:.0f} us "
        f"({r['calls']:,} calls of a {days}-day baseline, {r['values']:,} values); {r['equal_share']:.1%} of the "
        f"results bit for bit equal, largest relative difference {r['max_rel_diff']:.1e}"
    )


def swapped_run(days: int = 3650, seed: int = 0) -> str:
    """The baseline run with numpy's kernel and with numba's in its place: how far the outputs move."""
    from hashpivot.model.config.schema import Scenario
    from hashpivot.model.simulation import HashpivotModel

    def run():
        model = HashpivotModel(Scenario(), seed=seed)
        for _ in range(days):
            model.step()
        return model.recorder.as_dict(), [(e["day"], e["kind"], e["text"]) for e in model.events]

    (ref, ref_events), kernel = run(), numba_kernel()
    original = finance.expected_run_margin_usd_per_mw_day

    def compiled(*args, **kwargs):
        bound = inspect.signature(original).bind(*args, **kwargs).arguments.values()
        return kernel(*np.broadcast_arrays(*(np.asarray(x, float) for x in bound)))

    finance.expected_run_margin_usd_per_mw_day = compiled
    try:
        alt, alt_events = run()
    finally:
        finance.expected_run_margin_usd_per_mw_day = original
    worst, near_zero = {}, {}
    for name, a in ref.items():
        b, both = alt[name], ~(np.isnan(ref[name]) & np.isnan(alt[name]))
        diff = np.abs(b - a)[both]
        big = np.abs(a)[both] > 1e-6
        worst[name] = float(np.max(diff[big] / np.abs(a[both][big]), initial=0.0))
        near_zero[name] = float(np.max(diff[~big], initial=0.0))
    top = max(worst, key=worst.get)
    return (
        f"baseline seed {seed}, {days} days, numba's kernel in numpy's place: events "
        f"{'identical' if alt_events == ref_events else 'differ'} ({len(ref_events):,}); largest relative "
        f"difference of a daily value above 1e-6 {worst[top]:.1e} ({top}); largest absolute difference of one "
        f"below {max(near_zero.values()):.1e}"
    )


if __name__ == "__main__":
    print(summary())
    if "--swap" in sys.argv:
        print(swapped_run())
