"""The key-results table: key metrics on year-ends and the last day (ensemble mean and 90% interval)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hashpivot.model.tools.report.formatting import fmt_band, rough_note
from hashpivot.model.tools.report.series import Series, stats
from hashpivot.model.tools.report.tables import Table

MAX_KEY_DATES = 4
"""Year-ends shown in the key-results table besides the final day (evenly spaced if more)."""


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
    Metric("mw_entered_total", "MW of new mining sites entered (cumulative)", "MW"),
    Metric("miners_entered_total", "entrant firms (cumulative)", "firms"),
    Metric("used_asic_th_sold_total", "used machines sold (cumulative)", "EH/s", 1e-6),
    Metric("used_asic_th_scrapped_total", "machines scrapped unsold (cumulative)", "EH/s", 1e-6),
    Metric("mw_relocated_total", "MW relocated by used-machine sales (cumulative)", "MW"),
    Metric("miners_defaulted_total", "firms defaulted (cumulative)", "firms"),
    Metric("miners_restructured_total", "covenant restructurings (cumulative)", "count"),
    Metric("acquisitions_total", "acquisitions: takeovers and estate sales (cumulative)", "count"),
    Metric("payouts_usd_total", "paid out to shareholders (cumulative)", "B USD", 1e-9),
    Metric("miners_in_model", "firms in the model", "firms"),
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
        note=" ".join(
            x
            for x in (
                rough_note(series.runs, series.label),
                "`column` in the CSV is the daily series in timeseries.csv; year-ends and the last day.",
            )
            if x
        ),
    )
