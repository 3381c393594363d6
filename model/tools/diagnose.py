"""Artefact checks on a finished run folder: ``hashpivot diagnose RUN_DIR``.

A run can finish, pass its invariants and still show behaviour no real market would: the network's hashrate
jumping by a fifth overnight because every miner decided the same thing on the same day, capacity standing idle
while mining pays, firms living on negative cash for months. Each check here measures one such artefact::

    run = load_run(Path("runs/out/baseline"))    # the folder's series, tables and resolved scenario
    results = diagnose(run)                      # one CheckResult per check in CHECKS, in order
    print(results_markdown(results))             # a table, then each check's offenders

A check is a pure function of the loaded ``RunData`` returning a ``CheckResult``: ``pass``, ``fail``, or ``n/a``
when the run does not hold what it needs (a column a later model version adds). To add a check, write the
function and add it to ``CHECKS``. The thresholds are module constants; each says why it is what it is.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hashpivot.model.tools.errors import CommandError
from hashpivot.model.world.recording import PANEL_INTERVAL_DAYS

PASS, FAIL, NOT_MEASURED = "pass", "fail", "n/a"
ABSENT = "not measured (column absent in this run)"
ACCEPTED = (
    "accepted: a folder written by hashpivot run, or one seed's folder of an ensemble: manifest.json with the "
    "resolved scenario, and timeseries.parquet or timeseries.csv"
)

MAX_DAILY_HASHRATE_CHANGE = 0.15
"""Largest day-to-day change of the network hashrate outside shocks (a judgement, not a sourced number).

Outside shocks, the real network rarely moves more than ~10% a day on a 7-day average; a swing above 15% from one
day to the next is an artefact of miners deciding in lockstep, not of the economics."""
SHOCK_WINDOW_DAYS = 30
"""Days after a shock's start (and a power-price shock's end) in which large swings are the response, not an
artefact: after China's ban (2021) the network took about two months to fall by half. A halving counts as a
shock too: the subsidy halves overnight by protocol, and the fleet's response to it is the economics (the network
fell from ~650 to ~580 EH/s in the month after the April 2024 halving, calibration.md)."""
HALVING_INTERVAL_BLOCKS = 210_000  # blocks between halvings (calibration.md, "subsidy")
DISPATCH_TOLERANCE = 0.02
"""A swing day is tagged *dispatch* when the switched-on MW (``mw_mining + mw_curtailed``) moved by at most this share:
the machines were the same and only the hours they ran changed, against that day's power prices. A fleet that runs
only in the cheapest hours swings that way by itself; a swing in switched-on MW is a decision (lockstep).

The MW columns are the fleet at the end of the day, after the day's decisions, so machines taken off on day d-1
first show in day d's hashrate, while machines delivered on day d run that day: both the day's and the day
before's change must be within the tolerance."""
UNSTABLE_ELASTICITY = 1.0
"""Hash supply elasticity above which Bitcoin's difficulty cycle grows: each retarget's hashprice change comes back
as a hashrate change this many times as large, of opposite sign at the next retarget (Noda, Okumura & Hashimoto
2020; ``settlement.hash_supply_elasticity``). A swing of unchanged machines the day after a retarget, while the
run's ``hash_supply_elasticity`` is high, is that cycle, not lockstep decisions; it still counts as a swing."""
WARMUP_DAYS = 7
"""First days of a run left out of the swing check: the fleet settles from its initial state."""

MAX_IDLE_PROFITABLE_SHARE = 0.05
"""Share of the energised mining MW that may stand idle at sites where mining has paid for 90+ days (a judgement):
a little is normal (machines being moved, repaired or resold), more means the fleet rule is not switching them on."""
MAX_IDLE_PROFITABLE_DAYS = 30
"""Days on which that share may be exceeded before the check fails (a judgement: about a month of slack)."""

MAX_NEGATIVE_CASH_SNAPSHOTS = 3
"""Consecutive panel snapshots (30 days apart) a firm may show negative cash: an overdraft between costs and a
BTC sale is normal, but more than a quarter without selling, borrowing or failing means the treasury does not act
(a judgement)."""

MAX_FREE_SALES = 0
"""Sites sold for nothing although their newest machines were worth more than their cost: none. A seller would
rather keep mining than give such a site away, so every one is an artefact of the sale rule."""

DETAILS_SHOWN = 10
"""Offenders listed under the table per check (``--json`` gives them all)."""


@dataclass(frozen=True)
class Table:
    """A run table (``agents.csv``, ``sales.csv``, ...): its file, its header, and its rows with typed cells."""

    path: Path
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]

    def numbers(self, column: str) -> np.ndarray:
        """A column as floats, one per row.

        Raises:
            CommandError: A cell that is not a number (one line naming the file, row and column).
        """
        out = np.empty(len(self.rows))
        for i, row in enumerate(self.rows):
            value = row[column]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise CommandError(f"{self.path}: row {i + 2}: {column}: {value!r} is not a number ({ACCEPTED})")
            out[i] = value
        return out


@dataclass(frozen=True)
class RunData:
    """What the checks read from a run folder.

    Attributes:
        path: The folder.
        scenario: The resolved scenario (the manifest's ``scenario``), as JSON data.
        start_date: The run's first day.
        timeseries: The daily series by column: ``date`` as ``datetime64[D]``, the rest as float arrays.
        agents: The per-miner panel (``agents.csv``).
        sales: The site auctions (``sales.csv``).
        events: The events (``events.csv``).
    """

    path: Path
    scenario: dict
    start_date: np.datetime64
    timeseries: dict[str, np.ndarray]
    agents: Table
    sales: Table
    events: Table


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check.

    Attributes:
        name: The check's name (its key in ``CHECKS``).
        status: ``pass``, ``fail`` or ``n/a`` (not measured: the run lacks what the check reads).
        measured: What was measured, in words and numbers.
        threshold: What passes.
        details: The offenders (or what is missing), worst first.
    """

    name: str
    status: str
    measured: str
    threshold: str
    details: tuple[str, ...] = ()


Check = Callable[[RunData], CheckResult]


# --------------------------------------------------------------------------------------------
# Reading a run folder
# --------------------------------------------------------------------------------------------

_INT = re.compile(r"-?\d+")


def _cell(text: str) -> Any:
    """A CSV cell as ``hashpivot.model.tools.output`` writes it: bool, int, float (also nan, inf) or text."""
    if text in ("true", "false"):
        return text == "true"
    if _INT.fullmatch(text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text


def _read_table(path: Path) -> Table:
    if not path.is_file():
        return Table(path, (), [])
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            rows = []
            for row in reader:
                if None in row or None in row.values():
                    raise CommandError(
                        f"{path}: line {reader.line_num}: the row does not match the header's "
                        f"{len(reader.fieldnames or ())} columns ({ACCEPTED})"
                    )
                rows.append({k: _cell(v) for k, v in row.items()})
            return Table(path, tuple(reader.fieldnames or ()), rows)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CommandError(f"{path}: cannot read: {' '.join(str(exc).split())}") from None


def _read_timeseries(folder: Path) -> dict[str, np.ndarray]:
    parquet = folder / "timeseries.parquet"
    if parquet.is_file():
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(parquet)
        except (OSError, pa.ArrowException) as exc:
            raise CommandError(f"{parquet}: cannot read: {' '.join(str(exc).split())} ({ACCEPTED})") from None
        columns = {n: table.column(n).to_numpy(zero_copy_only=False) for n in table.column_names}
    else:
        table = _read_table(folder / "timeseries.csv")
        columns = {c: np.array([r[c] for r in table.rows]) for c in table.columns}
    try:
        return {c: v.astype("datetime64[D]" if c == "date" else float) for c, v in columns.items()}
    except (TypeError, ValueError) as exc:
        raise CommandError(f"{folder}: timeseries: {' '.join(str(exc).split())} ({ACCEPTED})") from None


def load_run(path: Path) -> RunData:
    """Read a run folder for the checks.

    Args:
        path: A folder written by ``hashpivot run`` (or one seed's folder of an ensemble).

    Returns:
        Its series, tables and resolved scenario.

    Raises:
        CommandError: Missing, a file, not a run folder, or unreadable (one line naming the path).
    """
    path = Path(path)
    if not path.exists():
        raise CommandError(f"{path}: no such folder ({ACCEPTED})")
    if not path.is_dir():
        raise CommandError(f"{path}: is a file, not a folder ({ACCEPTED})")
    manifest_path = path / "manifest.json"
    if not manifest_path.is_file():
        raise CommandError(f"{path}: not a HashPivot run folder, no manifest.json ({ACCEPTED})")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CommandError(f"{manifest_path}: cannot read: {' '.join(str(exc).split())} ({ACCEPTED})") from None
    scenario = manifest.get("scenario") if isinstance(manifest, dict) else None
    if not isinstance(scenario, dict) or "seed" not in manifest:
        raise CommandError(f"{manifest_path}: not a run manifest, no resolved scenario and seed ({ACCEPTED})")
    if not any((path / f"timeseries.{ext}").is_file() for ext in ("parquet", "csv")):
        raise CommandError(f"{path}: run folder without timeseries.parquet or timeseries.csv ({ACCEPTED})")
    start = (scenario.get("run") or {}).get("start_date", manifest.get("start_date"))
    try:
        start_date = np.datetime64(dt.date.fromisoformat(str(start)), "D")
    except ValueError:
        raise CommandError(f"{manifest_path}: scenario.run.start_date: {start!r} is not a date ({ACCEPTED})") from None
    for i, shock in enumerate(scenario.get("shocks") or ()):
        try:
            dt.date.fromisoformat(str(shock["date"]))
            int(shock.get("duration_days", 0) or 0)
        except (AttributeError, KeyError, TypeError, ValueError):
            raise CommandError(
                f"{manifest_path}: scenario.shocks.{i}: {shock!r} has no valid date and duration_days ({ACCEPTED})"
            ) from None
    return RunData(
        path=path,
        scenario=scenario,
        start_date=start_date,
        timeseries=_read_timeseries(path),
        agents=_read_table(path / "agents.csv"),
        sales=_read_table(path / "sales.csv"),
        events=_read_table(path / "events.csv"),
    )


# --------------------------------------------------------------------------------------------
# Helpers for the checks
# --------------------------------------------------------------------------------------------


def _pct(x: float, signed: bool = False) -> str:
    return f"{x:+.1%}" if signed else f"{x:.1%}"


def _usd(x: float) -> str:
    return f"{x / 1e6:,.1f} M$" if abs(x) >= 1e5 else f"{x:,.0f} $"


def _absent(name: str, threshold: str, missing: Sequence[str], where: str) -> CheckResult:
    return CheckResult(name, NOT_MEASURED, ABSENT, threshold, tuple(f"{where} has no column {c}" for c in missing))


def _missing(columns: Mapping | Sequence[str], needed: Sequence[str]) -> list[str]:
    return [c for c in needed if c not in columns]


def _spans(dates: np.ndarray, mask: np.ndarray, values: np.ndarray, text: Callable[[float], str]) -> list[str]:
    """Runs of consecutive days where ``mask`` holds, worst (largest value) first, each with its worst day."""
    spans = []
    idx = np.flatnonzero(mask)
    for run in np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1) if idx.size else []:
        worst = run[np.argmax(values[run])]
        when = str(dates[run[0]]) if run.size == 1 else f"{dates[run[0]]} to {dates[run[-1]]}"
        days = "1 day" if run.size == 1 else f"{run.size} days"
        spans.append((-values[worst], f"{when} ({days}): worst {text(values[worst])} on {dates[worst]}"))
    return [s for _, s in sorted(spans, key=lambda s: s[0])]


def _count_days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


# --------------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------------

HASHRATE_SWINGS = "hashrate swings"


def shock_windows(scenario: Mapping, start_date: np.datetime64) -> list[tuple[np.datetime64, np.datetime64, str]]:
    """The date ranges ``[first, last)`` in which a scenario shock may move the hashrate, with a label.

    A window of ``SHOCK_WINDOW_DAYS`` from each shock's start and, for a power-price shock that ends, from its end.

    Args:
        scenario: The resolved scenario (``shocks``: ``date``, ``kind``, ``duration_days``).
        start_date: The run's first day (shocks before it never happened).

    Returns:
        The windows, in the order of the shocks.
    """
    window = np.timedelta64(SHOCK_WINDOW_DAYS, "D")
    out = []
    for shock in scenario.get("shocks") or ():
        begin = np.datetime64(str(shock["date"]), "D")
        kind = str(shock.get("kind", "shock"))
        out.append((begin, begin + window, f"{kind} on {begin}"))
        duration = int(shock.get("duration_days", 0) or 0)
        if kind == "power_price" and duration > 0:
            end = begin + np.timedelta64(duration, "D")
            out.append((end, end + window, f"{kind} end on {end}"))
    return [w for w in out if w[1] > start_date]


def halving_windows(dates: np.ndarray, block_height: np.ndarray) -> list[tuple[np.datetime64, np.datetime64, str]]:
    """The ``SHOCK_WINDOW_DAYS`` from each day on which the chain crossed a halving height, with a label.

    Args:
        dates: The run's days.
        block_height: The chain's height at the end of each day.
    """
    era = np.floor_divide(np.asarray(block_height, dtype=float), HALVING_INTERVAL_BLOCKS)
    crossed = np.flatnonzero(np.diff(era) > 0) + 1
    window = np.timedelta64(SHOCK_WINDOW_DAYS, "D")
    return [(dates[i], dates[i] + window, f"halving on {dates[i]}") for i in crossed]


def hashrate_swings(run: RunData) -> CheckResult:
    """Days whose change of ``network_hashrate_ehs`` exceeds ``MAX_DAILY_HASHRATE_CHANGE``, outside shocks.

    Args:
        run: The loaded run.

    Returns:
        Fails if any such day remains once the first ``WARMUP_DAYS`` and the shock windows are left out.
    """
    threshold = (
        f"|daily change| <= {_pct(MAX_DAILY_HASHRATE_CHANGE)} on every day, except the first {WARMUP_DAYS} and "
        f"{SHOCK_WINDOW_DAYS} days from each shock's start (and a power-price shock's end) and each halving"
    )
    ts = run.timeseries
    if missing := _missing(ts, ["date", "network_hashrate_ehs"]):
        return _absent(HASHRATE_SWINGS, threshold, missing, "timeseries")
    dates, hashrate = ts["date"], ts["network_hashrate_ehs"]
    change = np.full(hashrate.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        change[1:] = hashrate[1:] / hashrate[:-1] - 1.0
    checked = np.arange(hashrate.size) >= WARMUP_DAYS
    windows = shock_windows(run.scenario, run.start_date)
    if "block_height" in ts:
        windows += halving_windows(dates, ts["block_height"])
    for first, last, _ in windows:
        checked &= ~((dates >= first) & (dates < last))
    swing = np.abs(change)
    bad = checked & (swing > MAX_DAILY_HASHRATE_CHANGE)  # nan (no previous day, 0 -> 0) is never a swing
    candidates = np.flatnonzero(checked & np.isfinite(swing))
    largest = (
        f"; largest {_pct(change[i], True)} on {dates[i]}" if (i := _argmax(swing, candidates)) is not None else ""
    )
    excluded = f" (left out: {SHOCK_WINDOW_DAYS} days from {', '.join(w[2] for w in windows)})" if windows else ""
    dispatch = _dispatch_days(ts, bad)
    retarget = dispatch & _after_retarget(ts)
    tagged = f"; {int(dispatch.sum())} of them dispatch (switched-on MW within {_pct(DISPATCH_TOLERANCE)})"
    tagged += f", {int(retarget.sum())} of those the day of or after a retarget" if "difficulty" in ts else ""
    measured = f"{_count_days(int(bad.sum()))} of {int(checked.sum())} checked{excluded}{largest}"
    measured += tagged if bad.any() and "mw_curtailed" in ts else ""
    measured += _supply_elasticity(ts, checked)
    order = np.flatnonzero(bad)[np.argsort(-swing[bad], kind="stable")]
    details = tuple(
        f"{dates[i]}: {_pct(change[i], True)} ({hashrate[i - 1]:,.1f} -> {hashrate[i]:,.1f} EH/s)"
        + (" dispatch" if dispatch[i] else "")
        + (" retarget" if retarget[i] else "")
        for i in order
    )
    return CheckResult(HASHRATE_SWINGS, FAIL if bad.any() else PASS, measured, threshold, details)


def _after_retarget(ts: Mapping[str, np.ndarray]) -> np.ndarray:
    """Days on which the difficulty changed, or changed the day before (a retarget mid-day shows in both)."""
    if "difficulty" not in ts:
        return np.zeros(ts["date"].shape, dtype=bool)
    changed = np.concatenate([[False], np.diff(ts["difficulty"]) != 0])
    return changed | np.concatenate([[False], changed[:-1]])


def _supply_elasticity(ts: Mapping[str, np.ndarray], checked: np.ndarray) -> str:
    """The hash supply's elasticity over the checked days: its largest value, and on how many it was unstable."""
    if "hash_supply_elasticity" not in ts or not checked.any():
        return ""
    e = np.where(checked, ts["hash_supply_elasticity"], -np.inf)
    i = int(np.argmax(e))
    unstable = int((e > UNSTABLE_ELASTICITY).sum())
    return (
        f"; hash supply elasticity up to {e[i]:.2f} ({ts['date'][i]}), above {UNSTABLE_ELASTICITY:g} on "
        f"{_count_days(unstable)} (the difficulty cycle grows there)"
    )


def _dispatch_days(ts: Mapping[str, np.ndarray], days: np.ndarray) -> np.ndarray:
    """Which of ``days`` (a mask) kept switched-on MW within ``DISPATCH_TOLERANCE`` that day and the day before."""
    if _missing(ts, ["mw_mining", "mw_curtailed"]):
        return np.zeros(days.shape, dtype=bool)
    on = ts["mw_mining"] + ts["mw_curtailed"]
    moved = np.full(on.shape, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        moved[1:] = np.abs(on[1:] / on[:-1] - 1.0)
    before = np.concatenate([[np.inf], moved[:-1]])  # machines taken off yesterday stop hashing today
    return days & (np.maximum(moved, before) <= DISPATCH_TOLERANCE)


def _argmax(values: np.ndarray, among: np.ndarray) -> int | None:
    return int(among[np.argmax(values[among])]) if among.size else None


IDLE_WHILE_PROFITABLE = "idle capacity while mining pays"
IDLE_COLUMNS = ("date", "mw_idle_profitable_90d", "mw_mining", "mw_curtailed", "mw_idle")


def idle_while_profitable(run: RunData) -> CheckResult:
    """Energised MW idle at sites where mining has paid for 90+ days, as a share of the energised mining MW.

    Args:
        run: The loaded run.

    Returns:
        Fails if the share exceeds ``MAX_IDLE_PROFITABLE_SHARE`` on more than ``MAX_IDLE_PROFITABLE_DAYS`` days;
        n/a if the run has no ``mw_idle_profitable_90d`` column.
    """
    threshold = (
        f"mw_idle_profitable_90d <= {_pct(MAX_IDLE_PROFITABLE_SHARE)} of mw_mining + mw_curtailed + mw_idle "
        f"on all but {MAX_IDLE_PROFITABLE_DAYS} days"
    )
    ts = run.timeseries
    if missing := _missing(ts, IDLE_COLUMNS):
        return _absent(IDLE_WHILE_PROFITABLE, threshold, missing, "timeseries")
    idle = ts["mw_idle_profitable_90d"]
    energised = ts["mw_mining"] + ts["mw_curtailed"] + ts["mw_idle"]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(energised > 0, idle / energised, np.where(idle > 0, np.inf, 0.0))
    bad = share > MAX_IDLE_PROFITABLE_SHARE
    n = int(bad.sum())
    finite = np.flatnonzero(np.isfinite(share))
    worst = f"; largest {_pct(share[i])} on {ts['date'][i]}" if (i := _argmax(share, finite)) is not None else ""
    measured = f"{_count_days(n)} of {share.size} above {_pct(MAX_IDLE_PROFITABLE_SHARE)}{worst}"
    details = tuple(_spans(ts["date"], bad, share, _pct))
    return CheckResult(
        IDLE_WHILE_PROFITABLE, FAIL if n > MAX_IDLE_PROFITABLE_DAYS else PASS, measured, threshold, details
    )


NEGATIVE_CASH = "firms with negative cash"


def negative_cash(run: RunData) -> CheckResult:
    """Firms whose ``cash_usd`` is negative in more than ``MAX_NEGATIVE_CASH_SNAPSHOTS`` consecutive snapshots.

    Snapshots are the panel's days (every 30 days and the last); a firm missing from a snapshot ends its run.
    The row a firm gets on the day it leaves the model is not a snapshot of the others (they are not in it).

    Args:
        run: The loaded run.

    Returns:
        Fails if any firm has such a run of snapshots; each run is listed with its dates and minimum cash.
    """
    threshold = f"no firm with cash_usd < 0 in more than {MAX_NEGATIVE_CASH_SNAPSHOTS} consecutive panel snapshots"
    if missing := _missing(run.agents.columns, ["agent_id", "day", "cash_usd"]):
        return _absent(NEGATIVE_CASH, threshold, missing, "agents.csv")
    days, cash = run.agents.numbers("day").astype(int), run.agents.numbers("cash_usd")
    snapshots = panel_snapshot_days(days)
    by_firm: dict[Any, dict[int, float]] = {}
    for row, day, value in zip(run.agents.rows, days, cash, strict=True):
        by_firm.setdefault(row["agent_id"], {})[int(day)] = float(value)
    offenders = []  # (minimum cash, firm, text)
    for firm, by_day in by_firm.items():
        streak: list[int] = []
        for day in [*snapshots, None]:  # None closes the last run
            if day is not None and by_day.get(day, math.nan) < 0:
                streak.append(day)
                continue
            if len(streak) > MAX_NEGATIVE_CASH_SNAPSHOTS:
                low = min(by_day[d] for d in streak)
                first, last = (run.start_date + np.timedelta64(d, "D") for d in (streak[0], streak[-1]))
                text = f"firm {firm}: {len(streak)} snapshots, {first} to {last}, minimum cash {_usd(low)}"
                offenders.append((low, firm, text))
            streak = []
    firms = len({firm for _, firm, _ in offenders})
    measured = (
        f"{firms} of {len(by_firm)} firms with cash < 0 in more than {MAX_NEGATIVE_CASH_SNAPSHOTS} consecutive "
        f"snapshots; {int((cash < 0).sum())} negative of {cash.size} snapshots in all"
    )
    details = tuple(text for _, _, text in sorted(offenders, key=lambda o: o[0]))
    return CheckResult(NEGATIVE_CASH, FAIL if offenders else PASS, measured, threshold, details)


def panel_snapshot_days(days: np.ndarray) -> list[int]:
    """The days of the panel's snapshots of every firm: each ``PANEL_INTERVAL_DAYS``-th day and the last."""
    present = set(days.tolist())
    return sorted({d for d in present if (d + 1) % PANEL_INTERVAL_DAYS == 0} | ({max(present)} if present else set()))


FREE_SALES = "sites sold for nothing while mining pays"


def free_sales(run: RunData) -> CheckResult:
    """Site sales at ``price_usd`` <= 0 whose newest machines were worth more than their cost (``mining_value_usd``).

    Args:
        run: The loaded run.

    Returns:
        Fails if there are more than ``MAX_FREE_SALES``; n/a if ``sales.csv`` has no ``mining_value_usd``.
    """
    threshold = f"at most {MAX_FREE_SALES} sales with price_usd <= 0 and mining_value_usd > 0"
    if missing := _missing(run.sales.columns, ["day", "price_usd", "mining_value_usd"]):
        return _absent(FREE_SALES, threshold, missing, "sales.csv")
    price, value = run.sales.numbers("price_usd"), run.sales.numbers("mining_value_usd")
    days = run.sales.numbers("day").astype(int)
    bad = np.flatnonzero((price <= 0) & (value > 0))
    bad = bad[np.argsort(-value[bad], kind="stable")]
    measured = f"{bad.size} of {price.size} sales ({int((price <= 0).sum())} at price <= 0)"
    details = []
    for i in bad:
        r = run.sales.rows[i]
        site = f"site {r.get('site', '?')} ({r.get('region', '?')}, {r.get('mw', '?')} MW)"
        buyer = f"{r.get('buyer_kind', 'buyer')} {r.get('winner', '?')}"
        details.append(
            f"{run.start_date + np.timedelta64(days[i], 'D')} (day {days[i]}): {site} for {_usd(price[i])} "
            f"to {buyer}; mining value {_usd(value[i])}"
        )
    return CheckResult(FREE_SALES, FAIL if bad.size > MAX_FREE_SALES else PASS, measured, threshold, tuple(details))


AI_OVER_SECURED = "AI capacity secured above demand"


def ai_over_secured(run: RunData) -> CheckResult:
    """Days where ``ai_capacity_secured_mw`` exceeds demand by more than one block per hyperscaler.

    Hyperscalers buy in blocks of ``ai.min_block_mw``; rounding up leaves each at most one block above its need,
    so a surplus above ``ai.min_block_mw`` x ``ai.hyperscalers`` is procurement overshooting demand. Demand is
    ``ai_demand_planned_mw`` where the run has it: secured capacity includes campuses queued for the demand at
    the day they go live, which is what hyperscalers plan for (model/world/ai_ledger.py); else ``ai_demand_mw``.

    Args:
        run: The loaded run.

    Returns:
        Fails on any such day; n/a if the run lacks the columns (or the scenario the two ``ai`` fields).
    """
    ai = run.scenario.get("ai") or {}
    try:
        allowance = float(ai["min_block_mw"]) * int(ai["hyperscalers"])
    except (KeyError, TypeError, ValueError):
        threshold = "secured - demand <= ai.min_block_mw x ai.hyperscalers"
        return CheckResult(
            AI_OVER_SECURED,
            NOT_MEASURED,
            "not measured (ai.min_block_mw or ai.hyperscalers absent from the resolved scenario)",
            threshold,
        )
    ts = run.timeseries
    demand = "ai_demand_planned_mw" if "ai_demand_planned_mw" in ts else "ai_demand_mw"
    threshold = (
        f"ai_capacity_secured_mw - {demand} <= ai.min_block_mw x ai.hyperscalers = "
        f"{float(ai['min_block_mw']):g} x {int(ai['hyperscalers'])} = {allowance:g} MW on every day"
    )
    if missing := _missing(ts, ["date", "ai_capacity_secured_mw", demand]):
        return _absent(AI_OVER_SECURED, threshold, missing, "timeseries")
    surplus = ts["ai_capacity_secured_mw"] - ts[demand]
    bad = surplus > allowance
    finite = np.flatnonzero(np.isfinite(surplus))
    worst = f"; largest {surplus[i]:,.1f} MW on {ts['date'][i]}" if (i := _argmax(surplus, finite)) is not None else ""
    measured = f"{_count_days(int(bad.sum()))} of {surplus.size} above {allowance:g} MW{worst}"
    details = tuple(_spans(ts["date"], bad, surplus, lambda mw: f"{mw:,.1f} MW over demand"))
    return CheckResult(AI_OVER_SECURED, FAIL if bad.any() else PASS, measured, threshold, details)


CHECKS: dict[str, Check] = {
    HASHRATE_SWINGS: hashrate_swings,
    IDLE_WHILE_PROFITABLE: idle_while_profitable,
    NEGATIVE_CASH: negative_cash,
    FREE_SALES: free_sales,
    AI_OVER_SECURED: ai_over_secured,
}
"""The checks by name, in the order they are run and shown; each returns a ``CheckResult`` of that name."""


# --------------------------------------------------------------------------------------------
# Running and showing the checks
# --------------------------------------------------------------------------------------------


def diagnose(run: RunData, checks: Mapping[str, Check] = CHECKS) -> list[CheckResult]:
    """Run the checks on a loaded run.

    Args:
        run: The loaded run (``load_run``).
        checks: The checks by name (default: all of ``CHECKS``).

    Returns:
        One result per check, in order.
    """
    return [check(run) for check in checks.values()]


def failed(results: Sequence[CheckResult]) -> bool:
    """Whether any check failed (``n/a`` is not a failure)."""
    return any(r.status == FAIL for r in results)


def _cell_md(text: str) -> str:
    return text.replace("|", "\\|")


def results_markdown(results: Sequence[CheckResult], path: Path | None = None) -> str:
    """The results as a Markdown table (check, status, measured, threshold, worst offender), then the offenders.

    Args:
        results: The results of ``diagnose``.
        path: The run folder, named in the first line if given.

    Returns:
        The text, ending with a line break.
    """
    lines = [f"Diagnosis of {path}", ""] if path is not None else []
    lines += ["| check | status | measured | threshold | worst |", "|---|---|---|---|---|"]
    for r in results:
        worst = r.details[0] if r.details and r.status != NOT_MEASURED else "-"
        cells = [r.name, r.status.upper() if r.status == FAIL else r.status, r.measured, r.threshold, worst]
        lines.append("| " + " | ".join(_cell_md(c) for c in cells) + " |")
    for r in results:
        if not r.details:
            continue
        lines += ["", f"{r.name} ({r.status}):"]
        lines += [f"- {d}" for d in r.details[:DETAILS_SHOWN]]
        if len(r.details) > DETAILS_SHOWN:
            lines.append(f"- ... and {len(r.details) - DETAILS_SHOWN} more (--json lists them all)")
    passed = sum(r.status == PASS for r in results)
    fails = sum(r.status == FAIL for r in results)
    lines += ["", f"{passed} passed, {fails} failed, {len(results) - passed - fails} not measured"]
    return "\n".join(lines) + "\n"


def results_json(results: Sequence[CheckResult], path: Path | None = None) -> dict:
    """The results as JSON data: the folder, the overall status (``fail`` if any check failed) and each check."""
    return {
        "run": None if path is None else str(path),
        "status": FAIL if failed(results) else PASS,
        "checks": [{**asdict(r), "details": list(r.details)} for r in results],
    }
