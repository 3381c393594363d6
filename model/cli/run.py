"""``hashpivot run``: simulate a scenario and write its tables and manifest."""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from hashpivot.model.cli.common import (
    CommandError,
    add_horizon_arguments,
    add_scenario_argument,
    add_set_argument,
    check_out_option,
    default_run_dir,
    horizon_days,
    horizon_flag,
    load_from_args,
    seed_type,
)
from hashpivot.model.tools.output import manifest, write_run
from hashpivot.model.tools.run import RunResult, simulate

NAME = "run"
HELP = "run a scenario and write its tables to a folder"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``run``'s arguments."""
    add_scenario_argument(parser)
    parser.add_argument("--seed", type=seed_type, default=0, help="model seed, an integer >= 0 (default 0)")
    add_horizon_arguments(parser, "run", "runs/out/<name>, with -<hash of the --set values>; never over another run")
    add_set_argument(parser)
    parser.add_argument(
        "--check-invariants",
        action="store_true",
        help="check the model's accounting invariants after every day (slower)",
    )


def main(args: argparse.Namespace) -> int:
    """Load, check the output folder, simulate, write, summarise."""
    loaded = load_from_args(args.scenario, args.overrides)
    run = loaded.scenario.run
    days = horizon_days(run.start_date, run.days, args.days, args.until)
    out = args.out
    if out is None:
        out = default_run_dir(loaded.name, args.overrides, loaded.sha256, args.seed, days)
    check_out_option(out)  # before the run, so a bad --out costs nothing

    started = time.perf_counter()
    with _progress(days) as progress:
        result = simulate(
            loaded.scenario,
            seed=args.seed,
            days=days,
            progress=progress,
            check_invariants=args.check_invariants,
        )
    wall_time_s = time.perf_counter() - started

    argv = getattr(args, "argv", None) or ["hashpivot", *sys.argv[1:]]
    try:
        info = manifest(loaded, args.seed, days, argv, wall_time_s, horizon_flag(args.days, args.until))
        write_run(result, out, info)
    except OSError as exc:
        raise CommandError(f"--out {out}: cannot write: {exc.strerror or exc}") from exc
    print(summary(loaded.name, args.seed, days, result))
    print(f"wrote {out} in {wall_time_s:.1f} s")
    return 0


@contextmanager
def _progress(days: int) -> Iterator[Callable[[int, int], None] | None]:
    """A tqdm bar on stderr when it is a terminal (logs and pipes stay clean), else nothing."""
    if not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(total=days, unit="day", file=sys.stderr, leave=False)

    def update(done: int, total: int) -> None:
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        bar.close()


def summary(name: str, seed: int, days: int, result: RunResult) -> str:
    """A few lines on the last day of a run.

    Args:
        name: The scenario name.
        seed: The seed.
        days: Days simulated.
        result: The run.

    Returns:
        The text to print.
    """
    ts = result.timeseries

    def last(column: str) -> float:
        values = ts.get(column)
        return float(values[-1]) if values is not None and len(values) else math.nan

    rows = [
        ("final date", str(ts["date"][-1])),
        ("network hashrate", f"{_num(last('network_hashrate_ehs'), 1)} EH/s"),
        ("hashprice", f"{_num(last('hashprice_usd_per_ph_day'), 2)} USD/PH/day"),
        (
            "MW mining / AI leased",
            f"{_num(last('mw_mining'), 0)} / {_num(last('mw_ai_leased'), 0)}",
        ),
        (
            "miners hold/hybrid/exit",
            " / ".join(_num(last(f"miners_{s}"), 0) for s in ("hold", "hybrid", "exit")),
        ),
        ("leases signed", _num(last("leases_signed_total"), 0)),
        (
            "hashrate share US / TX",
            f"{_pct(last('hashrate_share_us'))} / {_pct(last('hashrate_share_texas'))}",
        ),
        ("BTC revenue share", _pct(last("btc_revenue_share"))),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [f"{name}: seed {seed}, {days} days from {ts['date'][0]}"]
    lines += [f"  {label:<{width}}  {value}" for label, value in rows]
    return "\n".join(lines)


def _num(value: float, digits: int) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:,.{digits}f}"


def _pct(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{100 * value:.1f}%"
