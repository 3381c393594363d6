"""Research reports from a run, an ensemble or a sweep folder: figures, tables and a document.

``build_report(Path("runs/out/baseline-ensemble"), Path("report"))`` reads what the folder holds
(found by its files: ``ensemble.json``, a run's ``manifest.json`` + ``timeseries.parquet``, or a
sweep's ``manifest.json`` + ``results/``) and writes, atomically::

    report.md (or report.html)   scenario + parameters, key results, figures, calibration,
                                 methods, how to cite and regenerate
    figures/<name>.svg, .png     one project style (model/data/hashpivot.mplstyle); provenance
                                 (config sha256, seeds, HashPivot version) in the file metadata
    tables/<name>.csv, .md, .tex parameters, key results, calibration, sweep summaries
    report.json                  what was reported (marks the folder as a report's)

Ensembles are summarised by the mean across seeds and a 90% band (5th-95th percentile). Nothing
in a table depends on when it was made, so the same folder always gives the same tables, and
figures carry no creation date.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
import math
import os
import re
import shlex
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from hashpivot.model.config.paths import DOCS_DIR, REPO_DIR
from hashpivot.model.tools.errors import CommandError, check_out_option
from hashpivot.model.tools.odd import ParamRow, format_value, markdown_cell, scenario_rows, schema_rows
from hashpivot.model.tools.output import ENSEMBLE_FILE, MANIFEST, REPORT_FILE, write_csv

REPORT_FORMAT = "hashpivot-report/1"
SWEEP_FORMAT = "hashpivot-sweep/1"
RUN, ENSEMBLE, SWEEP = "run", "ensemble", "sweep"
FORMATS = ("md", "html")
STYLE_FILE = "hashpivot.mplstyle"
CALIBRATION_DOC = DOCS_DIR / "calibration.md"
ACCEPTED_INPUT = (
    "accepted: a folder written by hashpivot run (manifest.json and timeseries.parquet), "
    "hashpivot ensemble (ensemble.json) or hashpivot sweep (manifest.json and results/)"
)
BAND = (5.0, 95.0)
"""Percentiles of the ensemble band: a 90% interval across seeds."""
MAX_KEY_DATES = 4
"""Year-ends shown in the key-results table besides the final day (evenly spaced if more)."""
REPRODUCE_NOTE = (
    "Every number in this document is reproduced by the commands in its last section, which also "
    "gives the config sha256 and git commit to cite with it."
)
LONG_TABLE_ROWS = 40
"""LaTeX tables longer than this use ``longtable`` (they would not fit on a page)."""


# ============================================================================================
# Inputs: what a folder holds
# ============================================================================================


@dataclass(frozen=True)
class Source:
    """A run, ensemble or sweep folder, opened and checked.

    Attributes:
        kind: ``run``, ``ensemble`` or ``sweep``.
        path: The folder as given.
        manifest: The run manifest (the first seed's for an ensemble) or the sweep manifest.
        ensemble: ``ensemble.json`` for an ensemble, else None.
        run_dirs: The run folders (one for a run, one per seed for an ensemble, none for a sweep).
    """

    kind: str
    path: Path
    manifest: dict
    ensemble: dict | None = None
    run_dirs: tuple[Path, ...] = ()

    @property
    def scenario(self) -> dict:
        """The resolved scenario (the base scenario for a sweep), as JSON data."""
        return self.manifest["base_scenario" if self.kind == SWEEP else "scenario"]

    @property
    def name(self) -> str:
        """The scenario's (or the sweep's) name."""
        if self.kind == SWEEP:
            return str(self.manifest.get("name", "sweep"))
        return str(self.manifest.get("scenario_name", self.scenario.get("name", "scenario")))

    @property
    def sha256(self) -> str:
        """The resolved scenario's fingerprint (the base scenario's for a sweep)."""
        if self.kind == SWEEP:
            return str(self.manifest.get("base", {}).get("sha256", "unknown"))
        return str(self.manifest.get("scenario_sha256", "unknown"))

    @property
    def seeds(self) -> list[int]:
        """The seeds of the runs (empty for a sweep: see its manifest's ``root_seed``)."""
        if self.kind == ENSEMBLE:
            return [int(s) for s in self.ensemble["seeds"]]
        if self.kind == RUN:
            return [int(self.manifest["seed"])]
        return []

    @property
    def version(self) -> str:
        """The HashPivot version that wrote the folder."""
        packages = self.manifest.get("packages") or self.manifest.get("versions") or {}
        return str(packages.get("hashpivot", "unknown"))

    @property
    def git(self) -> dict:
        """``{"commit", "dirty"}`` of the checkout that wrote the folder."""
        info = (self.ensemble or self.manifest).get("git") or {}
        return {"commit": info.get("commit", "unknown"), "dirty": info.get("dirty", "unknown")}

    @property
    def command(self) -> list[str]:
        """The command line that wrote the folder."""
        if self.kind == ENSEMBLE:
            return list(self.ensemble.get("command", []))
        if self.kind == RUN:
            return list(self.manifest.get("command", []))
        sessions = self.manifest.get("sessions") or [{}]
        return list(sessions[0].get("argv", []))


def open_source(path: Path) -> Source:
    """Open a run, ensemble or sweep folder, recognised by its files.

    Args:
        path: The folder.

    Returns:
        The checked source.

    Raises:
        CommandError: Missing, a file, not one of the three kinds, or incomplete (one line).
    """
    path = Path(path)
    if not path.exists():
        raise CommandError(f"{path}: no such folder ({ACCEPTED_INPUT})")
    if not path.is_dir():
        raise CommandError(f"{path}: is a file, not a folder ({ACCEPTED_INPUT})")
    if (path / ENSEMBLE_FILE).is_file():
        return _open_ensemble(path)
    if (path / MANIFEST).is_file():
        manifest = _read_json(path / MANIFEST)
        if manifest.get("format") == SWEEP_FORMAT:
            return _open_sweep(path, manifest)
        if "scenario" in manifest and "seed" in manifest:
            _check_run_dir(path)
            return Source(RUN, path, manifest, run_dirs=(path,))
    raise CommandError(f"{path}: not a HashPivot run, ensemble or sweep folder ({ACCEPTED_INPUT})")


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CommandError(f"{path}: cannot read: {' '.join(str(exc).split())}") from None
    if not isinstance(data, dict):
        raise CommandError(f"{path}: not a JSON object ({ACCEPTED_INPUT})")
    return data


def _check_run_dir(path: Path) -> None:
    if not any((path / f"timeseries.{ext}").is_file() for ext in ("parquet", "csv")):
        raise CommandError(f"{path}: run folder without timeseries.parquet or timeseries.csv ({ACCEPTED_INPUT})")


def _open_ensemble(path: Path) -> Source:
    info = _read_json(path / ENSEMBLE_FILE)
    runs, seeds = info.get("runs"), info.get("seeds")
    if not isinstance(runs, list) or not runs or not isinstance(seeds, list) or len(seeds) != len(runs):
        raise CommandError(
            f"{path / ENSEMBLE_FILE}: runs/seeds: missing or of different lengths "
            "(accepted: an ensemble.json written by hashpivot ensemble)"
        )
    dirs = tuple(path / str(r) for r in runs)
    manifests = []
    for folder in dirs:
        if not (folder / MANIFEST).is_file():
            raise CommandError(f"{folder}: missing {MANIFEST} (the ensemble is incomplete)")
        _check_run_dir(folder)
        manifests.append(_read_json(folder / MANIFEST))
    for folder, m in zip(dirs, manifests, strict=True):
        if m.get("scenario_sha256") != info.get("scenario_sha256"):
            raise CommandError(
                f"{folder / MANIFEST}: scenario_sha256 differs from {ENSEMBLE_FILE}'s (accepted: runs of one scenario)"
            )
    return Source(ENSEMBLE, path, manifests[0], ensemble=info, run_dirs=dirs)


def _open_sweep(path: Path, manifest: dict) -> Source:
    from hashpivot.model.tools.sweep.store import RESULTS, part_files

    if not part_files(path / RESULTS):
        raise CommandError(f"{path}: sweep folder without results parts in {RESULTS}/ (run it first)")
    if not isinstance(manifest.get("base_scenario"), dict):
        raise CommandError(f"{path / MANIFEST}: base_scenario: missing (accepted: a sweep manifest)")
    return Source(SWEEP, path, manifest)


# ============================================================================================
# Reading run tables
# ============================================================================================

_INT = re.compile(r"-?\d+")


def parse_cell(text: str) -> Any:
    """A CSV cell as written by ``hashpivot.model.tools.output.format_value``: bool, int, float or text."""
    if text in ("true", "false"):
        return text == "true"
    if _INT.fullmatch(text):
        return int(text)
    try:
        return float(text)  # also nan and inf, which format_value writes as such
    except ValueError:
        return text


def read_rows(path: Path) -> list[dict[str, Any]]:
    """A run table (``agents.csv``, ...) as typed rows; a missing file has none."""
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: parse_cell(v) for k, v in row.items()} for row in csv.DictReader(handle)]


def read_timeseries(folder: Path) -> dict[str, np.ndarray]:
    """A run's daily series: ``date`` as ``datetime64[D]``, the rest as float arrays."""
    parquet = folder / "timeseries.parquet"
    if parquet.is_file():
        import pyarrow.parquet as pq

        table = pq.read_table(parquet)
        out = {}
        for name in table.column_names:
            values = table.column(name).to_numpy(zero_copy_only=False)
            out[name] = values.astype("datetime64[D]") if name == "date" else values.astype(float)
        return out
    rows = read_rows(folder / "timeseries.csv")
    columns = list(rows[0]) if rows else ["date"]
    out = {c: np.array([r[c] for r in rows], dtype=float) for c in columns if c != "date"}
    return {"date": np.array([r["date"] for r in rows], dtype="datetime64[D]"), **out}


def load_run_result(folder: Path):
    """A run folder back as a ``RunResult`` (dates as ISO text), for the calibration measures."""
    from hashpivot.model.tools.run import RunResult

    series = read_timeseries(folder)
    timeseries = {k: (v.astype(str) if k == "date" else v) for k, v in series.items()}
    tables = {t: read_rows(folder / f"{t}.csv") for t in ("agents", "leases", "sites", "events", "sales")}
    return RunResult(timeseries=timeseries, **tables)


@dataclass
class Series:
    """Daily series of one or more runs on a common calendar.

    Attributes:
        dates: ``datetime64[D]``, one per day.
        values: Per column, an array (runs, days).
        label: What the runs are ("seeds", "sweep runs").
    """

    dates: np.ndarray
    values: dict[str, np.ndarray]
    label: str = "seeds"

    @property
    def runs(self) -> int:
        """Number of runs."""
        return next(iter(self.values.values())).shape[0] if self.values else 0

    def has(self, column: str) -> bool:
        """True if the column was recorded."""
        return column in self.values

    def band(self, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean across runs and the 5th and 95th percentiles, per day (NaN-aware)."""
        data = self.values[column]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # days where every run is NaN
            mean = np.nanmean(data, axis=0)
            low, high = np.nanpercentile(data, BAND, axis=0)
        return mean, low, high

    def at(self, column: str, index: int) -> np.ndarray:
        """Every run's value of a column on one day (index into ``dates``)."""
        return self.values[column][:, index]


def load_series(source: Source) -> Series | None:
    """The daily series of a run or ensemble, or the kept series of a sweep (None if none)."""
    if source.kind == SWEEP:
        return _sweep_series(source)
    loaded = [read_timeseries(folder) for folder in source.run_dirs]
    dates = loaded[0]["date"]
    for folder, series in zip(source.run_dirs, loaded, strict=True):
        if series["date"].shape != dates.shape or not np.array_equal(series["date"], dates):
            raise CommandError(
                f"{folder}: its dates differ from {source.run_dirs[0]}'s (accepted: runs of one "
                "horizon, as hashpivot ensemble writes them)"
            )
    columns = [c for c in loaded[0] if c != "date"]
    return Series(dates, {c: np.vstack([s[c] for s in loaded]) for c in columns}, "seeds")


def _sweep_series(source: Source) -> Series | None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from hashpivot.model.tools.sweep.store import SERIES, part_files, read_results

    parts = part_files(source.path / SERIES)
    if not parts:
        return None
    table = pa.concat_tables([pq.read_table(p) for p in parts])
    results = read_results(source.path, ["run_id", "status"]).to_pydict()
    ok = {r for r, s in zip(results["run_id"], results["status"], strict=True) if s == "ok"}
    run_ids = np.asarray(table.column("run_id").to_numpy(), dtype=np.int64)
    keep = np.isin(run_ids, sorted(ok))
    days = np.asarray(table.column("day").to_numpy(), dtype=np.int64)[keep]
    runs = np.unique(run_ids[keep])
    if runs.size == 0:
        return None
    all_days = np.unique(days)
    row, col = np.searchsorted(runs, run_ids[keep]), np.searchsorted(all_days, days)
    values = {}
    for name in table.column_names:
        if name in ("run_id", "day"):
            continue
        grid = np.full((runs.size, all_days.size), np.nan)
        grid[row, col] = np.asarray(table.column(name).to_numpy(zero_copy_only=False), float)[keep]
        values[name] = grid
    start = np.datetime64(source.scenario["run"]["start_date"], "D")
    return Series(start + all_days.astype("timedelta64[D]"), values, "sweep runs")


# ============================================================================================
# Numbers
# ============================================================================================


def stats(values: Iterable[float]) -> tuple[float, float, float, int]:
    """Mean, 5th and 95th percentile and count of the finite values (NaN if there are none)."""
    v = np.asarray(list(values), dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return math.nan, math.nan, math.nan, 0
    low, high = np.percentile(v, BAND)
    return float(v.mean()), float(low), float(high), int(v.size)


def fmt_num(x: Any, digits: int = 4) -> str:
    """A number for people: about ``digits`` significant digits, thousands separated, NaN n/a."""
    if x is None or isinstance(x, str):
        return "" if x is None else x
    if isinstance(x, bool | np.bool_):
        return "true" if x else "false"
    if isinstance(x, int | np.integer):
        return f"{int(x):,}"
    x = float(x)
    if not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    mag = math.floor(math.log10(abs(x)))
    if mag < -3:
        return f"{x:.{digits - 1}e}"
    if mag >= digits - 1:
        return f"{x:,.0f}"
    return f"{x:,.{digits - 1 - mag}f}"


def fmt_band(mean: float, low: float, high: float, runs: int) -> str:
    """``mean [p05, p95]`` for an ensemble, the value alone for a single run."""
    if runs <= 1 or not math.isfinite(mean):
        return fmt_num(mean)
    return f"{fmt_num(mean)} [{fmt_num(low)}, {fmt_num(high)}]"


def seeds_text(seeds: Sequence[int]) -> str:
    """Seeds compactly: ``0-3``, ``0, 2, 5``."""
    seeds = sorted(int(s) for s in seeds)
    if not seeds:
        return "none"
    if seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2:
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(str(s) for s in seeds)


# ============================================================================================
# Tables: CSV, Markdown, LaTeX
# ============================================================================================


@dataclass(frozen=True)
class Table:
    """A table, written as CSV (raw values) and as Markdown and LaTeX (values for people).

    Attributes:
        name: File stem under ``tables/``.
        title: One line saying what it is.
        header: CSV column names.
        rows: CSV cells (numbers unrounded, for re-analysis).
        shown_header: Header for Markdown/LaTeX (default ``header``).
        shown_rows: Cells for Markdown/LaTeX (default: ``rows`` formatted by ``fmt_num``).
        note: A line under the table (e.g. how the values were made).
    """

    name: str
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple, ...]
    shown_header: tuple[str, ...] | None = None
    shown_rows: tuple[tuple[str, ...], ...] | None = None
    note: str = ""

    def display(self) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
        """Header and cells as text for people."""
        if self.shown_rows is not None:
            return self.shown_header or self.header, list(self.shown_rows)
        return self.header, [tuple(fmt_num(c) for c in row) for row in self.rows]


def table_markdown(table: Table) -> str:
    """A Markdown pipe table; columns of numbers right-aligned."""
    header, rows = table.display()
    align = ["---:" if _numeric_column(rows, i) else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(markdown_cell(h) for h in header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(markdown_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# A cell that reads as a number: "1,234.5", "-0.25", "1.2e-05", "12%", "n/a", optionally
# followed by an interval "[a, b]" or a relative difference "(+4.5%)".
_NUMBER = re.compile(r"[-+]?[\d,]*\.?\d+(e[-+]?\d+)?%?( \[.*\]| \(.*\))?|n/a")
_LATEX = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _numeric_column(rows: Sequence[Sequence[str]], i: int) -> bool:
    cells = [r[i] for r in rows if r[i] not in ("", "n/a")]
    return bool(cells) and all(_NUMBER.fullmatch(c) for c in cells)


def latex_escape(text: str) -> str:
    """Text safe in a LaTeX table cell."""
    return "".join(_LATEX.get(ch, ch) for ch in " ".join(str(text).split()))


def table_latex(table: Table) -> str:
    """A LaTeX ``tabular`` (``longtable`` when long) with no package beyond that."""
    header, rows = table.display()
    align = "".join("r" if _numeric_column(rows, i) else "l" for i in range(len(header)))
    env = "longtable" if len(rows) > LONG_TABLE_ROWS else "tabular"
    lines = [f"% {table.title}. Written by hashpivot report (model/tools/report.py)."]
    if env == "longtable":
        lines.append("% Needs \\usepackage{longtable} in the preamble.")
    lines += [
        f"\\begin{{{env}}}{{{align}}}",
        "\\hline",
        " & ".join(latex_escape(h) for h in header) + " \\\\",
        "\\hline",
    ]
    lines += [" & ".join(latex_escape(c) for c in row) + " \\\\" for row in rows]
    lines += ["\\hline", f"\\end{{{env}}}", ""]
    return "\n".join(lines)


def write_table(table: Table, folder: Path) -> None:
    """Write ``<name>.csv``, ``.md`` and ``.tex`` into ``folder``."""
    write_csv(folder / f"{table.name}.csv", table.header, table.rows)
    text = f"{table.title}\n\n{table_markdown(table)}\n"
    if table.note:
        text += f"\n{table.note}\n"
    (folder / f"{table.name}.md").write_text(text, encoding="utf-8")
    (folder / f"{table.name}.tex").write_text(table_latex(table), encoding="utf-8")


def parameter_table(values: Mapping[str, Any], name: str = "parameters") -> Table:
    """The resolved scenario, every parameter with its unit and source (from the schema)."""
    rows = tuple((r.key, r.value, r.unit, r.source) for r in scenario_rows(values))
    return Table(
        name,
        "Scenario parameters: resolved value, unit and source (model/config/schema.py)",
        ("key", "value", "unit", "source"),
        rows,
        shown_rows=rows,
    )


# ============================================================================================
# Key results
# ============================================================================================


@dataclass(frozen=True)
class Metric:
    """A daily column reported in the key-results tables."""

    column: str
    label: str
    unit: str
    scale: float = 1.0


KEY_METRICS = (
    Metric("network_hashrate_ehs", "network hashrate", "EH/s"),
    Metric("difficulty", "difficulty", "T (10^12)", 1e-12),
    Metric("hashprice_usd_per_ph_day", "hashprice", "USD/PH/day"),
    Metric("btc_price_usd", "BTC price (input path)", "USD"),
    Metric("mw_mining", "MW mining", "MW"),
    Metric("mw_curtailed", "MW curtailed", "MW"),
    Metric("mw_converting", "MW converting to AI", "MW"),
    Metric("mw_ai_leased", "MW leased to AI", "MW"),
    Metric("mw_ai_greenfield", "MW hyperscaler greenfield", "MW"),
    Metric("miners_hold", "miners holding", "miners"),
    Metric("miners_hybrid", "miners hybrid", "miners"),
    Metric("miners_exit", "miners exited", "miners"),
    Metric("miners_converting", "miners converting", "miners"),
    Metric("btc_revenue_share", "BTC share of miners' revenue", "share"),
    Metric("hashrate_share_us", "US share of hashrate", "share"),
    Metric("hashrate_share_texas", "Texas share of hashrate", "share"),
    Metric("ai_mw_share_us", "US share of AI MW", "share"),
    Metric("ai_mw_share_texas", "Texas share of AI MW", "share"),
    Metric("hhi_hashrate_region", "HHI of hashrate over regions", "0-1"),
    Metric("hhi_ai_mw_region", "HHI of AI MW over regions", "0-1"),
    Metric("leases_signed_total", "leases signed (cumulative)", "count"),
    Metric("lease_mw_signed_total", "MW under signed leases (cumulative)", "MW"),
    Metric("lease_rent_usd_per_kw_month_mean", "mean colocation rent", "USD/kW-month"),
    Metric("valuation_usd_per_mw_ai_focused", "EV per MW, AI-focused listed miners", "M USD/MW", 1e-6),
    Metric("valuation_usd_per_mw_btc_focused", "EV per MW, BTC-focused listed miners", "M USD/MW", 1e-6),
    Metric("market_cap_usd_per_mw_ai_focused", "market cap per MW, AI-focused listed miners", "M USD/MW", 1e-6),
    Metric("market_cap_usd_per_mw_btc_focused", "market cap per MW, BTC-focused listed miners", "M USD/MW", 1e-6),
)


def key_dates(dates: np.ndarray) -> list[int]:
    """Indices of the reported days: year-ends inside the run (at most four), and the last day."""
    last = len(dates) - 1
    years = range(int(str(dates[0])[:4]), int(str(dates[last])[:4]) + 1)
    ends = [np.datetime64(f"{y}-12-31", "D") for y in years]
    picked = [int(np.searchsorted(dates, d)) for d in ends if dates[0] < d < dates[last]]
    if len(picked) > MAX_KEY_DATES:
        chosen = np.linspace(0, len(picked) - 1, MAX_KEY_DATES).round().astype(int)
        picked = [picked[i] for i in sorted(set(chosen.tolist()))]
    return [*picked, last]


def key_results_table(series: Series, name: str = "key_results") -> Table:
    """Key metrics on the key dates: the value of a run, or the ensemble mean and 90% interval.

    The CSV is long (one row per metric and date, with mean, p05, p95 and the number of runs
    with a value); the Markdown and LaTeX are wide (one column per date).
    """
    idx = key_dates(series.dates)
    dates = [str(series.dates[i]) for i in idx]
    rows, shown = [], []
    for m in KEY_METRICS:
        if not series.has(m.column):
            continue
        cells = []
        for i, date in zip(idx, dates, strict=True):
            mean, low, high, n = stats(series.at(m.column, i) * m.scale)
            rows.append((m.label, m.column, m.unit, date, mean, low, high, n))
            cells.append(fmt_band(mean, low, high, series.runs))
        shown.append((m.label, m.unit, *cells))
    many = series.runs > 1
    what = f"ensemble mean [5th, 95th percentile] across {series.runs} {series.label}" if many else "values of the run"
    return Table(
        name,
        f"Key results on selected dates ({what})",
        ("metric", "column", "unit", "date", "mean", "p05", "p95", "runs"),
        tuple(rows),
        shown_header=("metric", "unit", *dates),
        shown_rows=tuple(shown),
        note="`column` in the CSV is the daily series in timeseries.csv; year-ends and the last day.",
    )


# ============================================================================================
# Figures
# ============================================================================================


@dataclass(frozen=True)
class Line:
    """One series on a panel."""

    column: str
    label: str
    scale: float = 1.0


@dataclass(frozen=True)
class Panel:
    """One axes: a y label and its lines."""

    ylabel: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class FigureSpec:
    """A figure: file name, title, caption and panels stacked vertically."""

    name: str
    title: str
    caption: str
    panels: tuple[Panel, ...]


FIGURES = (
    FigureSpec(
        "network",
        "Network hashrate and difficulty",
        "Network hashrate (what the miners' running fleets hash) and the difficulty set by "
        "Bitcoin's retarget rule every 2,016 blocks.",
        (
            Panel("hashrate, EH/s", (Line("network_hashrate_ehs", "network hashrate"),)),
            Panel("difficulty, T", (Line("difficulty", "difficulty", 1e-12),)),
        ),
    ),
    FigureSpec(
        "prices",
        "Hashprice and BTC price",
        "Hashprice (USD earned per PH/s per day, an output) and the BTC price path (an input).",
        (
            Panel("hashprice, USD/PH/day", (Line("hashprice_usd_per_ph_day", "hashprice"),)),
            Panel("BTC price, k USD", (Line("btc_price_usd", "BTC price", 1e-3),)),
        ),
    ),
    FigureSpec(
        "strategy_mix",
        "Strategy mix",
        "Miners by strategy (hold, hybrid, exit) and miners with MW converting to AI.",
        (
            Panel(
                "miners",
                (
                    Line("miners_hold", "hold"),
                    Line("miners_hybrid", "hybrid"),
                    Line("miners_exit", "exit"),
                    Line("miners_converting", "converting"),
                ),
            ),
        ),
    ),
    FigureSpec(
        "mw_by_state",
        "Capacity by state",
        "MW of miners' and bought sites by state: mining, curtailed, converting to AI, leased to AI.",
        (
            Panel(
                "MW",
                (
                    Line("mw_mining", "mining"),
                    Line("mw_curtailed", "curtailed"),
                    Line("mw_converting", "converting"),
                    Line("mw_ai_leased", "AI-leased"),
                ),
            ),
        ),
    ),
    FigureSpec(
        "revenue_mix",
        "Revenue mix",
        "BTC share of miners' revenue, and revenue by source per day.",
        (
            Panel("BTC share of revenue, %", (Line("btc_revenue_share", "BTC share", 100.0),)),
            Panel(
                "revenue, M USD/day",
                (
                    Line("mining_revenue_usd", "mining", 1e-6),
                    Line("ai_revenue_usd", "AI", 1e-6),
                    Line("dr_payments_usd", "demand response", 1e-6),
                ),
            ),
        ),
    ),
    FigureSpec(
        "concentration",
        "Geographic concentration",
        "US and Texas shares of network hashrate and of AI MW (converting + leased on pivot "
        "sites), and the Herfindahl-Hirschman index over regions.",
        (
            Panel(
                "share, %",
                (
                    Line("hashrate_share_us", "hashrate US", 100.0),
                    Line("hashrate_share_texas", "hashrate Texas", 100.0),
                    Line("ai_mw_share_us", "AI MW US", 100.0),
                    Line("ai_mw_share_texas", "AI MW Texas", 100.0),
                ),
            ),
            Panel(
                "HHI over regions",
                (Line("hhi_hashrate_region", "hashrate"), Line("hhi_ai_mw_region", "AI MW")),
            ),
        ),
    ),
    FigureSpec(
        "leases",
        "Leases",
        "Leases signed (cumulative count and MW) and the mean colocation rent.",
        (
            Panel("leases signed", (Line("leases_signed_total", "leases"),)),
            Panel("MW signed", (Line("lease_mw_signed_total", "MW"),)),
            Panel("rent, USD/kW-month", (Line("lease_rent_usd_per_kw_month_mean", "mean rent"),)),
        ),
    ),
)


@dataclass(frozen=True)
class Provenance:
    """What a figure was made from, embedded in its metadata."""

    scenario: str
    sha256: str
    seeds: str
    version: str
    commit: str

    def description(self) -> str:
        """One line for the Description field."""
        return (
            f"HashPivot {self.version}; scenario {self.scenario}; config sha256 {self.sha256}; "
            f"seeds {self.seeds}; git commit {self.commit}"
        )

    def keywords(self) -> list[str]:
        """Machine-readable tokens for the Keywords field."""
        return [
            "HashPivot",
            f"hashpivot-version:{self.version}",
            f"config-sha256:{self.sha256}",
            f"seeds:{self.seeds}",
        ]


def provenance(source: Source) -> Provenance:
    """The provenance of figures made from ``source``."""
    if source.kind == SWEEP:
        seeds = f"sweep root_seed {source.manifest.get('root_seed', 'unknown')}"
    else:
        seeds = seeds_text(source.seeds)
    return Provenance(source.name, source.sha256, seeds, source.version, source.git["commit"])


@dataclass(frozen=True)
class FigureFile:
    """A written figure: its spec's name, title and caption, and the two files (relative)."""

    name: str
    title: str
    caption: str
    png: str
    svg: str  # "" when only PNG was written (``--no-svg``)

    @classmethod
    def of(cls, name: str, title: str, caption: str, svg: bool) -> FigureFile:
        """The files ``figures/<name>.png`` (and ``.svg``) of a saved figure."""
        return cls(name, title, caption, f"figures/{name}.png", f"figures/{name}.svg" if svg else "")


def style_path() -> Path:
    """The project's matplotlib style file (packaged with ``hashpivot.model.data``)."""
    return Path(str(resources.files("hashpivot.model.data").joinpath(STYLE_FILE)))


def save_figure(fig, folder: Path, name: str, title: str, prov: Provenance, source: str, svg: bool = True) -> None:
    """Save ``fig`` as SVG and PNG with provenance metadata and no creation date.

    Args:
        fig: A matplotlib ``Figure``.
        folder: Where to write.
        name: File stem.
        title: The Title metadata.
        prov: Config sha256, seeds, version (Description and Keywords).
        source: The Source metadata (what the figure was made from).
        svg: Also write the SVG (the vector original); False keeps only the PNG.
    """
    common = {"Title": title, "Description": prov.description(), "Source": source}
    if svg:
        # Date=None drops the date matplotlib would write; the style fixes the SVG id salt.
        meta = {**common, "Keywords": prov.keywords(), "Date": None}
        fig.savefig(folder / f"{name}.svg", format="svg", metadata=meta)
    # PNG: matplotlib writes no creation time unless asked for one.
    meta = {**common, "Keywords": " ".join(prov.keywords())}
    fig.savefig(folder / f"{name}.png", format="png", metadata=meta)


def draw_panel(ax, panel: Panel, series: Series, legend: bool = True) -> bool:
    """Draw a panel's lines (mean and 90% band when there are several runs).

    Returns:
        False if none of its columns was recorded (nothing drawn).
    """
    import matplotlib.dates as mdates

    drawn = False
    for line in panel.lines:
        if not series.has(line.column):
            continue
        mean, low, high = (v * line.scale for v in series.band(line.column))
        (handle,) = ax.plot(series.dates, mean, label=line.label)
        if series.runs > 1:
            ax.fill_between(series.dates, low, high, color=handle.get_color(), alpha=0.2, lw=0)
        drawn = True
    ax.set_ylabel(panel.ylabel)
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if legend and drawn and len(panel.lines) > 1:
        ax.legend()
    return drawn


def band_note(series: Series) -> str:
    """How to read the lines of a figure."""
    if series.runs > 1:
        return f"Lines: mean across {series.runs} {series.label}; shaded: 90% band (5th-95th percentile)."
    return "One run."


def render_figures(
    series: Series,
    folder: Path,
    prov: Provenance,
    source: str,
    specs: Sequence[FigureSpec],
    svg: bool = True,
) -> list[FigureFile]:
    """Draw and save every figure whose columns were recorded.

    Args:
        series: The daily series.
        folder: The report's ``figures/`` folder.
        prov: Provenance for the metadata.
        source: The Source metadata.
        specs: The figures.
        svg: Write SVG besides PNG.

    Returns:
        The figures written, in order.
    """
    from matplotlib import style
    from matplotlib.figure import Figure

    files = []
    with style.context(style_path()):
        for spec in specs:
            panels = [p for p in spec.panels if any(series.has(x.column) for x in p.lines)]
            if not panels:
                continue
            width, _ = Figure().get_size_inches()
            fig = Figure(figsize=(width, 1.0 + 2.3 * len(panels)))
            axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
            for ax, panel in zip(axes, panels, strict=True):
                draw_panel(ax, panel, series)
            fig.suptitle(spec.title)
            save_figure(fig, folder, spec.name, spec.title, prov, source, svg)
            caption = f"{spec.caption} {band_note(series)}"
            files.append(FigureFile.of(spec.name, spec.title, caption, svg))
    return files


def figures_markdown(files: Sequence[FigureFile], prov: Provenance) -> list[str]:
    """Markdown for the figures: image (PNG), caption, link to the vector file."""
    lines = [
        f"Provenance embedded in every figure file (SVG and PNG metadata): {prov.description()}.",
        "",
    ]
    for f in files:
        lines += [
            f"### {f.title}",
            "",
            f"![{f.title}]({f.png})",
            "",
            f"{f.caption} Vector version: [{Path(f.svg).name}]({f.svg})." if f.svg else f.caption,
            "",
        ]
    return lines


# ============================================================================================
# Calibration
# ============================================================================================

# The last date each baseline-only seed fact reads (model/tools/calibration.py: _sf2 reads 2025,
# sf4_market_cap 2026-01-15, _sf5 2027-01-01, _sf8 end 2027; _sf3 and _sf6 read the panel they are given).
# A run ending earlier would be read at its last day instead, so such a fact is not measured.
FACT_LAST_DATE: dict[str, dt.date | None] = {
    "SF-2": dt.date(2025, 12, 31),
    "SF-3": None,
    "SF-4": dt.date(2026, 1, 15),
    "SF-5": dt.date(2027, 1, 1),
    "SF-6": None,
    "SF-8": dt.date(2027, 12, 31),
}
FACT_OTHER_ENSEMBLE = {
    "SF-1": "needs the halving-window ensemble",
    "SF-7": "needs the mass_exit_2026 ensemble",
}


def is_baseline(source: Source) -> bool:
    """True if the folder's scenario is exactly today's ``runs/baseline.toml`` (same sha256)."""
    from hashpivot.model.config.scenarios import load_scenario
    from hashpivot.model.tools.errors import INPUT_ERRORS

    if source.kind == SWEEP:
        return False
    try:
        return load_scenario(None).sha256 == source.sha256
    except INPUT_ERRORS:
        return False


def calibration_table(source: Source) -> Table:
    """The seed facts measured on an ensemble's own runs (baseline-only facts, covered dates)."""
    from hashpivot.model.tools import calibration as cal

    runs = [load_run_result(folder) for folder in source.run_dirs]
    last = dt.date.fromisoformat(str(runs[0].timeseries["date"][-1]))
    scarcity = _scarcity_by_region(source)
    rows, shown = [], []
    for fact in cal.facts(scarcity, dt.date(2026, 1, 15)):
        reason = FACT_OTHER_ENSEMBLE.get(fact.id)
        needs = FACT_LAST_DATE.get(fact.id)
        if reason is None and needs is not None and last < needs:
            reason = f"needs runs to {needs.isoformat()}"
        if reason is None:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                s = cal.summarise(fact.measure({"baseline": runs}), fact.low, fact.high)
            verdict = "pass" if s["pass"] else "FAIL"
        else:
            s = {"mean": math.nan, "p05": math.nan, "p95": math.nan, "n": 0}
            verdict = f"not measured: {reason}"
        rows.append((fact.id, fact.fact, fact.quantity, fact.band, s["mean"], s["p05"], s["p95"], s["n"], verdict))
        shown.append(
            (
                f"{fact.id} {fact.fact}",
                fact.quantity,
                fact.band,
                fmt_band(s["mean"], s["p05"], s["p95"], runs=len(runs)),
                str(s["n"]),
                verdict,
            )
        )
    return Table(
        "calibration",
        f"Seed facts measured on this ensemble's {len(runs)} runs (model/tools/calibration.py)",
        ("id", "fact", "quantity", "band", "mean", "p05", "p95", "seeds", "verdict"),
        tuple(rows),
        shown_header=("fact", "quantity", "band", "simulated mean [90% interval]", "seeds", "verdict"),
        shown_rows=tuple(shown),
    )


def _scarcity_by_region(source: Source) -> dict[str, float]:
    from hashpivot.model.world.regions import RegionDataError, load_regions

    # The regions file the runs used (by its recorded path); the packaged one if it has moved.
    path = source.manifest.get("data_files", {}).get("grid.regions_file", {}).get("path")
    try:
        regions = load_regions(Path(path) if path and Path(path).is_file() else None)
    except RegionDataError:
        regions = load_regions(None)
    return {k: v.scarcity_hours_per_year for k, v in regions.items()}


def calibration_doc_table(doc: Path = CALIBRATION_DOC) -> tuple[str | None, str | None]:
    """The seed-fact table of ``docs/calibration.md`` and the command that generated it."""
    if not doc.is_file():
        return None, None
    lines = doc.read_text(encoding="utf-8").splitlines()
    start = next((i for i, x in enumerate(lines) if x.startswith("| fact")), None)
    if start is None:
        return None, None
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    match = re.search(r"Generated by `([^`]+)`", "\n".join(lines))
    return "\n".join(lines[start:end]), match.group(1) if match else None


# ============================================================================================
# Text: summary, methods, citation
# ============================================================================================

NEGOTIATION = {
    "nash": "generalised Nash bargaining (Nash 1950), the miner's power rising with the scarcity of energised sites",
    "rubinstein": "Rubinstein (1982) alternating offers, the more patient side getting more",
}
AUCTION = {
    "second_price": "sealed-bid second-price auctions (Vickrey 1961)",
    "first_price": "first-price sealed-bid auctions with equilibrium shading",
}
PRICE = {
    "gbm": "a geometric Brownian motion (drift {drift_per_year}/yr, volatility "
    "{volatility_per_year}/yr from {start_usd} USD)",
    "constant": "constant at {start_usd} USD",
    "csv": "read from a CSV file ({csv_path})",
}


def horizon(series: Series | None, source: Source) -> tuple[str, str, int]:
    """First date, last date and number of days of the runs."""
    if series is not None and len(series.dates):
        return str(series.dates[0]), str(series.dates[-1]), len(series.dates)
    start = source.scenario["run"]["start_date"]
    days = int(source.manifest.get("sweep", {}).get("days") or source.scenario["run"]["days"])
    end = dt.date.fromisoformat(start) + dt.timedelta(days=days - 1)
    return start, end.isoformat(), days


def summary_lines(source: Source, series: Series | None) -> list[str]:
    """The scenario summary as Markdown bullet points."""
    first, last, days = horizon(series, source)
    git = source.git
    lines = [
        f"- **Folder**: `{source.path}` ({_kind_text(source)})",
        f"- **Scenario**: `{source.scenario.get('name', source.name)}` from `{_scenario_source(source)}`",
        f"- **Config sha256**: `{source.sha256}`",
        f"- **Horizon**: {first} to {last} ({days} days, one step per day)",
    ]
    overrides = (source.ensemble or source.manifest).get("overrides") or []
    if overrides:
        lines.append("- **Overrides**: " + ", ".join(f"`{o}`" for o in overrides))
    if source.kind != SWEEP:
        lines.append(f"- **Seeds**: {seeds_text(source.seeds)}")
    lines.append(
        f"- **HashPivot**: {source.version}; git commit `{git['commit']}` "
        f"(uncommitted changes: {_yes_no(git['dirty'])})"
    )
    description = str(source.scenario.get("description", "")).strip()
    if description:
        lines += ["", f"> {description}"]
    return lines


def _yes_no(flag: Any) -> str:
    return {True: "yes", False: "no"}.get(flag, str(flag))


def _kind_text(source: Source) -> str:
    if source.kind == ENSEMBLE:
        return f"ensemble of {len(source.seeds)} runs"
    if source.kind == RUN:
        return "one run"
    return "parameter sweep"


def _scenario_source(source: Source) -> str:
    if source.kind == SWEEP:
        return display_path(source.manifest.get("base", {}).get("source", "unknown"))
    return display_path((source.ensemble or source.manifest).get("scenario_source", "unknown"))


def display_path(path: str) -> str:
    """A recorded path as shown in documents: relative to the repository when inside it."""
    try:
        return Path(path).relative_to(REPO_DIR).as_posix()
    except ValueError:
        return str(path)


def methods_paragraph(source: Source, series: Series | None, runs_text: str) -> str:
    """What the model is, which rules the scenario picked, and what the report summarises."""
    sc = source.scenario
    first, last, days = horizon(series, source)
    miners = sum(int(a.get("count", 0)) for a in sc.get("miners", []))
    archetypes = len(sc.get("miners", []))
    regions = len(_scarcity_by_region(source))
    ai, rules, price = sc["ai"], sc["rules"], sc["price"]
    price_text = PRICE.get(price["kind"], price["kind"]).format(**{k: format_value(v) for k, v in price.items()})
    shocks = sc.get("shocks") or []
    shock_text = ""
    if shocks:
        listed = "; ".join(f"{s['kind']} in {', '.join(s['regions'])} on {s['date']}" for s in shocks)
        shock_text = f" Exogenous shocks: {listed} (what follows is not scripted)."
    mesa = source.manifest.get("packages", source.manifest.get("versions", {})).get("mesa", "3.5")
    return (
        f"HashPivot {source.version} is an agent-based model built on Mesa {mesa}; one step is "
        f"one day, here from {first} to {last} ({days} days). {miners} miners (from {archetypes} "
        f"archetypes), {ai['hyperscalers']} hyperscalers and {regions} grid operators (one per "
        "region) interact. Every "
        f"{sc['run']['decision_interval_days']} days each miner compares the risk-adjusted net "
        f"present values of hold, hybrid and exit with the `{rules['strategy']}` rule "
        '(agents/rules.py; economics.md, "Decisions as risk-adjusted present values"), retires '
        "and buys machines by payback, and sells BTC when cash runs short (agents/miner.py). "
        f"Every {ai['rfp_interval_days']} days hyperscalers issue RFPs for the AI capacity their "
        "spending path calls for, score bids against their greenfield outside option and settle "
        f"rents by {NEGOTIATION.get(ai['negotiation'], ai['negotiation'])} "
        "(model/markets/leasing.py); sites for sale are sold in "
        f"{AUCTION.get(rules['auction'], rules['auction'])} (model/markets/auction.py). Grid "
        "operators draw hourly power prices with scarcity hours, run interconnection queues "
        "(firm vs flexible service) and pay demand response (agents/grid_operator.py, "
        "model/world/interconnection.py); difficulty follows Bitcoin's consensus retarget "
        f"(model/world/bitcoin.py). The BTC price is an input: {price_text}.{shock_text} Hashrate, "
        "hashprice, the strategy mix, leases, rents, concentration and the revenue mix are "
        f"outputs. {runs_text} The model is described with the ODD protocol in docs/ODD.md."
    )


def regenerate_block(source: Source, report_command: Sequence[str]) -> list[str]:
    """The commands that rebuild the folder and this report, with the identifiers to cite."""
    make = shlex.join(source.command) if source.command else "(command not recorded)"
    git = source.git
    return [
        "Rebuild the input folder and this report with:",
        "",
        "```sh",
        f"{make} && {shlex.join(report_command)}",
        "```",
        "",
        f"- Config sha256: `{source.sha256}`",
        f"- Git commit: `{git['commit']}` (uncommitted changes: {_yes_no(git['dirty'])})",
        f"- HashPivot version: {source.version}",
        "",
        f"Cite as: HashPivot developers. *HashPivot* (version {source.version}) [software]. "
        "Metadata in `CITATION.cff`. Please state the config sha256, the seeds and the git "
        "commit above with any result taken from this report.",
    ]


# ============================================================================================
# Sweeps
# ============================================================================================


def sweep_tables(source: Source) -> tuple[list[Table], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Varied parameters, output summaries and the per-parameter summary of a sweep.

    Returns:
        The tables, and the parameter and numeric output columns of the ok runs.
    """
    from hashpivot.model.tools.sweep.store import read_results

    m = source.manifest
    spec = m["sweep"]
    params = [p["name"] for p in spec["parameters"]]
    metrics = [x["name"] for x in spec["outputs"]["metrics"]]
    data = read_results(source.path).to_pydict()
    ok = np.array([s == "ok" for s in data["status"]], dtype=bool)
    x = {p: _ordinal(data[p], spec["parameters"][i])[ok] for i, p in enumerate(params)}
    y = {}
    for name in metrics:
        values = np.array([v if isinstance(v, int | float) else np.nan for v in data[name]], float)
        if any(isinstance(v, int | float) for v in data[name]):
            y[name] = values[ok]
    return [_varied_table(spec), _outputs_table(y), _effects_table(x, y)], x, y


def _ordinal(values: list, param: Mapping[str, Any]) -> np.ndarray:
    """A parameter's values as numbers: as is, bools 0/1, other levels by their position."""
    if all(isinstance(v, int | float) for v in values if v is not None):
        return np.array([np.nan if v is None else float(v) for v in values])
    levels = [json.dumps(v) if not isinstance(v, str) else v for v in (param.get("levels") or [])]
    return np.array([levels.index(v) if v in levels else np.nan for v in values], dtype=float)


def _schema_lookup() -> dict[str, ParamRow]:
    return {r.key: r for r in schema_rows()}


def _varied_table(spec: Mapping[str, Any]) -> Table:
    lookup = _schema_lookup()
    rows = []
    for p in spec["parameters"]:
        key = re.sub(r"\.(\d+)(?=\.|$)", "[]", p["name"])  # miners.0.count -> miners[].count
        row = lookup.get(key, ParamRow(key, "", "", ""))
        levels = format_value(p["levels"]) if p.get("levels") else ""
        rows.append(
            (p["name"], p["kind"], _range_end(p.get("low")), _range_end(p.get("high")), levels, row.unit, row.source)
        )
    return Table(
        "sweep_parameters",
        f"Parameters varied by the sweep ({spec['design']['method']} design)",
        ("parameter", "kind", "low", "high", "levels", "unit", "source"),
        tuple(rows),
        shown_rows=tuple(tuple(fmt_num(c) if isinstance(c, float) else str(c) for c in r) for r in rows),
    )


def _range_end(value: Any) -> Any:
    return "" if value is None else value


def _outputs_table(y: Mapping[str, np.ndarray]) -> Table:
    rows = []
    for name, values in y.items():
        mean, low, high, n = stats(values)
        finite = values[np.isfinite(values)]
        rows.append(
            (name, mean, low, high, float(finite.min()) if n else math.nan, float(finite.max()) if n else math.nan, n)
        )
    return Table(
        "sweep_outputs",
        "Sweep outputs over all ok runs: mean, 5th-95th percentile, range",
        ("output", "mean", "p05", "p95", "min", "max", "runs"),
        tuple(rows),
    )


def _effects_table(x: Mapping[str, np.ndarray], y: Mapping[str, np.ndarray]) -> Table:
    """Per parameter and output: rank correlation, and the output's mean by parameter half.

    Spearman's rho and the output's mean in the lower and upper half of the parameter's sampled
    values: a model-free first look (``hashpivot sensitivity`` gives Sobol or Morris indices).
    """
    rows = []
    for p, xv in x.items():
        for name, yv in y.items():
            keep = np.isfinite(xv) & np.isfinite(yv)
            xs, ys = xv[keep], yv[keep]
            median = float(np.median(xs)) if xs.size else math.nan
            low_half, high_half = ys[xs <= median], ys[xs > median]
            rows.append(
                (
                    p,
                    name,
                    spearman(xs, ys),
                    float(low_half.mean()) if low_half.size else math.nan,
                    float(high_half.mean()) if high_half.size else math.nan,
                    int(xs.size),
                )
            )
    return Table(
        "sweep_summary",
        "Per-parameter summary: rank correlation with each output, and the output's mean in "
        "the lower / upper half of the parameter's values",
        ("parameter", "output", "spearman_rho", "mean_lower_half", "mean_upper_half", "runs"),
        tuple(rows),
    )


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation (average ranks for ties); NaN if either side is constant."""
    from scipy.stats import rankdata

    if x.size < 3:
        return math.nan
    rx, ry = rankdata(x), rankdata(y)
    if rx.std() == 0 or ry.std() == 0:
        return math.nan
    return float(np.corrcoef(rx, ry)[0, 1])


def render_sweep_figures(
    x: Mapping[str, np.ndarray],
    y: Mapping[str, np.ndarray],
    folder: Path,
    prov: Provenance,
    source: str,
    svg: bool = True,
) -> list[FigureFile]:
    """One scatter figure per output: the output against each varied parameter."""
    from matplotlib import style
    from matplotlib.figure import Figure

    files = []
    with style.context(style_path()):
        for name, yv in y.items():
            fig = Figure(figsize=(2.6 * len(x) + 0.6, 3.0))
            axes = fig.subplots(1, len(x), sharey=True, squeeze=False)[0]
            for ax, (p, xv) in zip(axes, x.items(), strict=True):
                ax.scatter(xv, yv, s=10, alpha=0.7)
                ax.set_xlabel(p)
            axes[0].set_ylabel(name)
            title = f"Sweep: {name} against the varied parameters"
            fig.suptitle(title)
            stem = "sweep_" + re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
            save_figure(fig, folder, stem, title, prov, source, svg)
            files.append(FigureFile.of(stem, title, "Each point is one run of the sweep.", svg))
    return files


def sweep_series_specs(series: Series) -> list[FigureSpec]:
    """Figures of a sweep's kept daily series.

    Every standard figure with a kept column, and one panel per kept column no figure shows.
    """
    specs = [s for s in FIGURES if any(series.has(x.column) for p in s.panels for x in p.lines)]
    covered = {x.column for s in specs for p in s.panels for x in p.lines}
    rest = [c for c in series.values if c not in covered]
    if rest:
        panels = tuple(Panel(c, (Line(c, c),)) for c in rest)
        specs.append(
            FigureSpec(
                "sweep_series", "Kept daily series", "Daily series kept by the sweep (outputs.keep_series).", panels
            )
        )
    return specs


# ============================================================================================
# The document
# ============================================================================================


@dataclass
class Report:
    """Everything a report folder holds, before it is written."""

    title: str
    sections: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    def add(self, *lines: str) -> None:
        """Append Markdown lines."""
        self.sections.extend(lines)

    def add_table(self, table: Table, intro: str = "") -> None:
        """Append a table (Markdown inline, with links to its CSV and LaTeX files)."""
        self.tables.append(table)
        if intro:
            self.add(intro, "")
        self.add(
            f"*{table.title}.* Files: [CSV](tables/{table.name}.csv), "
            f"[Markdown](tables/{table.name}.md), [LaTeX](tables/{table.name}.tex).",
            "",
            table_markdown(table),
            "",
        )
        if table.note:
            self.add(table.note, "")

    def markdown(self) -> str:
        """The document as Markdown."""
        return f"# {self.title}\n\n" + "\n".join(self.sections).rstrip() + "\n"


def build_document(source: Source, figures_dir: Path, report_command: Sequence[str], svg: bool = True) -> Report:
    """Compute the tables, draw the figures into ``figures_dir`` and assemble the document."""
    if source.kind == SWEEP:
        return _sweep_document(source, figures_dir, report_command, svg)
    series = load_series(source)
    prov = provenance(source)
    kind = "ensemble" if source.kind == ENSEMBLE else "run"
    report = Report(f"HashPivot report: {source.name} ({_kind_text(source)})")
    report.add(REPRODUCE_NOTE, "", "## Scenario", "", *summary_lines(source, series), "")
    report.add_table(parameter_table(source.scenario), "### Parameters")
    report.add("## Key results", "")
    report.add_table(key_results_table(series))
    files = render_figures(series, figures_dir, prov, f"{kind} {source.path.name}", FIGURES, svg)
    report.add(*figures_markdown(files, prov))
    _calibration_section(report, source)
    runs_text = (
        f"This report summarises an ensemble of {series.runs} runs with seeds "
        f"{seeds_text(source.seeds)}: lines are means across seeds and bands the 5th-95th "
        "percentile; tables give the mean and that 90% interval."
        if source.kind == ENSEMBLE
        else f"This report shows one run (seed {source.seeds[0]}); an ensemble "
        "(`hashpivot ensemble`) adds uncertainty bands across seeds."
    )
    report.add("## Methods", "", methods_paragraph(source, series, runs_text), "")
    report.add("## How to cite / how to regenerate", "", *regenerate_block(source, report_command))
    return report


def _calibration_section(report: Report, source: Source) -> None:
    report.add("## Calibration", "")
    if not is_baseline(source):
        report.add(
            "The scenario is not the baseline (its config sha256 differs from that of "
            "`runs/baseline.toml` as loaded now), so the seed-fact calibration table does not "
            "apply; see `docs/calibration.md` (`hashpivot calibrate`) for the baseline's.",
            "",
        )
        return
    if source.kind == ENSEMBLE and len(source.run_dirs) >= 2:
        report.add_table(
            calibration_table(source),
            "The seed facts SF-1..SF-8 measured on this ensemble's own runs (the measures of "
            "`model/tools/calibration.py`). SF-1 and SF-7 need other ensembles (a halving window, the "
            "mass_exit_2026 shock) and facts dated after the runs' last day cannot be measured: "
            "the full table is `hashpivot calibrate --seeds 30` (`docs/calibration.md`). "
            "Reproduce the values below with the commands in the last section.",
        )
        return
    table, command = calibration_doc_table()
    if table is None:
        report.add(
            "`docs/calibration.md` was not found; generate the seed-fact table with "
            "`make calibrate` (`hashpivot calibrate --doc docs/calibration.md`).",
            "",
        )
        return
    report.add(
        f"Copied from `docs/calibration.md`, generated by `{command or 'hashpivot calibrate'}` "
        "(not measured on this folder's runs: an ensemble of at least 2 seeds would be):",
        "",
        table,
        "",
    )


def _sweep_document(source: Source, figures_dir: Path, report_command: Sequence[str], svg: bool) -> Report:
    m = source.manifest
    prov = provenance(source)
    counts = m.get("counts", {})
    design = m.get("design", {})
    report = Report(f"HashPivot sweep report: {source.name}")
    report.add(
        REPRODUCE_NOTE,
        "",
        "## Sweep and base scenario",
        "",
        *summary_lines(source, None),
        f"- **Design**: {design.get('method')} over {len(design.get('parameters', []))} "
        f"parameters, {design.get('points')} points x {design.get('replications')} replications "
        f"= {design.get('runs')} runs ({counts.get('ok', '?')} ok, {counts.get('failed', '?')} "
        f"failed); root seed {m.get('root_seed')}",
        f"- **Sweep definition sha256**: `{m.get('definition_sha256', 'unknown')}`",
        "",
    )
    tables, x, y = sweep_tables(source)
    report.add_table(tables[0], "### Varied parameters")
    report.add_table(parameter_table(source.scenario, "base_parameters"), "### Base scenario")
    report.add("## Results", "")
    report.add_table(tables[1])
    report.add_table(tables[2])
    origin = f"sweep {source.path.name}"
    files = render_sweep_figures(x, y, figures_dir, prov, origin, svg)
    series = load_series(source)
    if series is not None:
        files += render_figures(series, figures_dir, prov, origin, sweep_series_specs(series), svg)
    report.add(*figures_markdown(files, prov))
    report.add(
        "## Calibration",
        "",
        "A sweep varies the scenario, so the baseline's seed-fact calibration does not apply "
        "here; see `docs/calibration.md` (`hashpivot calibrate`).",
        "",
    )
    runs_text = (
        f"This report summarises a {design.get('method')} sweep of {design.get('runs')} runs "
        "around the base scenario above; daily-series figures show the mean and 90% band "
        "across the sweep's runs (parameter variation and seeds together)."
    )
    report.add("## Methods", "", methods_paragraph(source, series, runs_text), "")
    report.add("## How to cite / how to regenerate", "", *regenerate_block(source, report_command))
    return report


# ============================================================================================
# Markdown to HTML (just what the reports use)
# ============================================================================================

_HTML_STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.45}"
    "table{border-collapse:collapse;margin:1em 0;font-size:.9em}"
    "th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left}"
    "td.n{text-align:right}img{max-width:100%}"
    "pre{background:#f5f5f5;padding:.6em;overflow-x:auto}code{background:#f5f5f5}"
    "blockquote{color:#444;border-left:3px solid #ccc;margin-left:0;padding-left:1em}"
)


def markdown_to_html(text: str, title: str) -> str:
    """A self-contained HTML page from the Markdown the reports write.

    Handles headings, paragraphs, bullet lists, block quotes, pipe tables, fenced code, images,
    links, inline code, bold and italics; HTML comments are dropped.

    Args:
        text: Markdown.
        title: The page title.

    Returns:
        The HTML document.
    """
    out: list[str] = []
    lines = re.sub(r"<!--.*?-->", "", text, flags=re.S).splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), len(lines))
            out.append("<pre><code>" + html.escape("\n".join(lines[i + 1 : end])) + "</code></pre>")
            i = end + 1
        elif heading := re.match(r"(#{1,6}) (.*)", line):
            level = len(heading.group(1))
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
            i += 1
        elif line.startswith("|"):
            end = _block_end(lines, i, lambda x: x.startswith("|"))
            out.append(_html_table(lines[i:end]))
            i = end
        elif line.startswith("- "):
            end = _block_end(lines, i, lambda x: x.startswith("- "))
            out.append("<ul>" + "".join(f"<li>{_inline(x[2:])}</li>" for x in lines[i:end]) + "</ul>")
            i = end
        elif line.startswith(">"):
            end = _block_end(lines, i, lambda x: x.startswith(">"))
            body = " ".join(x.lstrip("> ") for x in lines[i:end])
            out.append(f"<blockquote><p>{_inline(body)}</p></blockquote>")
            i = end
        elif line.strip():
            end = _block_end(lines, i, lambda x: bool(x.strip()) and not re.match(r"[#|>`-]", x))
            end = max(end, i + 1)
            out.append("<p>" + _inline(" ".join(lines[i:end])) + "</p>")
            i = end
        else:
            i += 1
    body = "\n".join(out)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_HTML_STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _block_end(lines: Sequence[str], start: int, inside: Callable[[str], bool]) -> int:
    end = start
    while end < len(lines) and inside(lines[end]):
        end += 1
    return end


def _cells(row: str) -> list[str]:
    inner = row.strip()
    inner = inner[1:-1] if inner.endswith("|") else inner[1:]
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", inner)]


def _html_table(rows: Sequence[str]) -> str:
    header = _cells(rows[0])
    body = [r for r in rows[1:] if not re.fullmatch(r"\|[\s:|-]*\|?", r.strip())]
    parts = ["<table>", "<tr>" + "".join(f"<th>{_inline(h)}</th>" for h in header) + "</tr>"]
    for row in body:
        cells = _cells(row)
        parts.append(
            "<tr>"
            + "".join(
                f'<td class="n">{_inline(c)}</td>' if _NUMBER.fullmatch(c) else f"<td>{_inline(c)}</td>" for c in cells
            )
            + "</tr>"
        )
    parts.append("</table>")
    return "\n".join(parts)


def _inline(text: str) -> str:
    """Inline Markdown to HTML; code spans are kept verbatim."""
    pieces = text.split("`")
    out = []
    for k, piece in enumerate(pieces):
        if k % 2 == 1 and k < len(pieces) - 1:
            out.append(f"<code>{html.escape(piece)}</code>")
            continue
        s = html.escape(piece if k % 2 == 0 else "`" + piece, quote=True)
        s = re.sub(r"!\[([^\]]*)\]\(([^)\s]+)\)", r'<img src="\2" alt="\1">', s)
        s = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r'<a href="\2">\1</a>', s)
        s = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)
        s = re.sub(r"(?<![\w*])\*(?!\s)([^*]+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", s)
        out.append(s)
    return "".join(out)


# ============================================================================================
# Writing the report folder, atomically
# ============================================================================================


def write_folder(out: Path, fill: Callable[[Path], None]) -> None:
    """Create or replace ``out`` atomically: ``fill`` writes into a hidden sibling first.

    Raises:
        CommandError: ``out`` cannot be used or written.
    """
    from hashpivot.model.tools.output import write_atomically

    out = Path(os.path.abspath(out))
    check_out_option(out, REPORT_FILE, "report")
    try:
        write_atomically(out, fill)
    except OSError as exc:
        raise CommandError(f"--out {out}: cannot write: {exc.strerror or exc}") from exc


def write_document(folder: Path, report: Report, fmt: str, marker: Mapping[str, Any]) -> Path:
    """Write the tables, the document (``report.md`` or ``report.html``) and the marker file."""
    tables = folder / "tables"
    tables.mkdir(exist_ok=True)
    for table in report.tables:
        write_table(table, tables)
    text = report.markdown()
    stem = str(marker.get("document", "report"))
    if fmt == "html":
        path = folder / f"{stem}.html"
        path.write_text(markdown_to_html(text, report.title), encoding="utf-8")
    else:
        path = folder / f"{stem}.md"
        path.write_text(text, encoding="utf-8")
    info = {**marker, "format": REPORT_FORMAT, "document": path.name, "tables": [t.name for t in report.tables]}
    (folder / REPORT_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return path


def build_report(
    path: Path,
    out: Path,
    fmt: str = "md",
    command: Sequence[str] | None = None,
    svg: bool = True,
) -> Path:
    """Build the report of a run, ensemble or sweep folder into ``out``.

    Args:
        path: The input folder.
        out: The report folder (created or replaced, atomically).
        fmt: ``md`` or ``html``.
        command: The command line that asked for it (for the regenerate block).
        svg: Write every figure as SVG too (False: PNG only, for small example folders).

    Returns:
        The document written.

    Raises:
        CommandError: Bad input (one line).
    """
    if fmt not in FORMATS:
        raise CommandError(f"--format {fmt!r}: unknown (accepted: {', '.join(FORMATS)})")
    source = open_source(Path(path))
    check_out_option(out, REPORT_FILE, "report")
    command = list(command or ["hashpivot", "report", str(path), "--format", fmt, "--out", str(out)])
    written: list[Path] = []

    def fill(folder: Path) -> None:
        figures = folder / "figures"
        figures.mkdir()
        report = build_document(source, figures, command, svg)
        marker = {"kind": source.kind, "input": str(path), "scenario_sha256": source.sha256, "seeds": source.seeds}
        written.append(write_document(folder, report, fmt, marker))

    write_folder(out, fill)
    return Path(out) / written[0].name


__all__ = [
    "FIGURES",
    "KEY_METRICS",
    "Series",
    "Source",
    "Table",
    "build_report",
    "load_series",
    "markdown_to_html",
    "open_source",
    "table_latex",
    "table_markdown",
]
