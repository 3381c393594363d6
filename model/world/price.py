"""BTC price paths: the daily USD price the simulated miners are paid at.

Every path gives, for a start date and a number of days, the prices of days ``0 .. n_days - 1``
as a float64 array in USD. A random path draws from the numpy ``Generator`` it is handed, so a
run is reproducible from the model's seed; the others ignore it.

* ``ConstantPrice``: the same price every day.
* ``GBMPrice``: geometric Brownian motion in daily steps.
* ``CsvPrice``: a user's CSV of dated prices, linearly interpolated between its points.

Scenarios build one by name with ``build_price_path(kind, **params)``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from hashpivot.model.config.schema import PriceSection

DAYS_PER_YEAR = 365.0
CSV_HEADER = ("date", "price_usd")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CSV_ACCEPTED = "expected a CSV file with header 'date,price_usd'"
_PRICE_ACCEPTED = "expected a finite number of USD > 0, e.g. 64000.5"


class PriceInputError(ValueError):
    """An unusable price input; the message is one line: ``<file>:<line>: <problem>``."""


class PricePath(Protocol):
    """What the simulator needs of a BTC price path."""

    def daily_prices_usd(self, rng: np.random.Generator, start_date: dt.date, n_days: int) -> np.ndarray:
        """Return the BTC price in USD of days ``start_date + i``, ``i = 0 .. n_days - 1``."""
        ...


def _check_n_days(n_days: int) -> None:
    if n_days < 0:
        raise ValueError(f"n_days must be >= 0, got {n_days}")


def _check_positive_usd(name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


class ConstantPrice:
    """The same BTC price every day.

    Args:
        price_usd: BTC price, USD (finite, > 0).
    """

    def __init__(self, price_usd: float):
        _check_positive_usd("price_usd", price_usd)
        self.price_usd = float(price_usd)

    def daily_prices_usd(self, rng: np.random.Generator, start_date: dt.date, n_days: int) -> np.ndarray:
        """Return ``n_days`` copies of the price (``rng`` and ``start_date`` are unused)."""
        _check_n_days(n_days)
        return np.full(n_days, self.price_usd, dtype=np.float64)


class GBMPrice:
    """Geometric Brownian motion in daily steps of ``dt = 1/365`` year.

    ``S[t+1] = S[t] * exp((mu - sigma**2 / 2) dt + sigma sqrt(dt) Z[t])``, ``Z`` standard normal.

    Args:
        start_usd: price on the start date, USD (finite, > 0).
        drift_per_year: ``mu``, the expected rate of return per year.
        volatility_per_year: ``sigma``, the annualised volatility of log-returns (>= 0).
    """

    def __init__(self, start_usd: float, drift_per_year: float, volatility_per_year: float):
        _check_positive_usd("start_usd", start_usd)
        if not math.isfinite(drift_per_year):
            raise ValueError(f"drift_per_year must be finite, got {drift_per_year!r}")
        if not (math.isfinite(volatility_per_year) and volatility_per_year >= 0):
            raise ValueError(f"volatility_per_year must be finite, >= 0: {volatility_per_year!r}")
        self.start_usd = float(start_usd)
        self.drift_per_year = float(drift_per_year)
        self.volatility_per_year = float(volatility_per_year)

    def daily_prices_usd(self, rng: np.random.Generator, start_date: dt.date, n_days: int) -> np.ndarray:
        """Draw ``n_days`` prices, day 0 at ``start_usd``, from one ``standard_normal`` call."""
        _check_n_days(n_days)
        if n_days == 0:
            return np.empty(0, dtype=np.float64)
        step_years = 1.0 / DAYS_PER_YEAR
        mu, sigma = self.drift_per_year, self.volatility_per_year
        shocks = rng.standard_normal(n_days - 1)
        log_returns = (mu - 0.5 * sigma**2) * step_years + sigma * math.sqrt(step_years) * shocks
        return self.start_usd * np.exp(np.concatenate(([0.0], np.cumsum(log_returns))))


class CsvPrice:
    """Prices read from a CSV with header ``date,price_usd`` (ISO dates, USD).

    Between two points the price is interpolated linearly in time; before the first point and
    after the last it is held flat. The file is read and checked when the path is built.

    Args:
        path: the CSV file.

    Raises:
        PriceInputError: if the file is missing, unreadable or malformed (see ``read_price_csv``).
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.dates, self.prices_usd = read_price_csv(self.path)

    def daily_prices_usd(self, rng: np.random.Generator, start_date: dt.date, n_days: int) -> np.ndarray:
        """Interpolate the CSV's prices at each day from ``start_date`` (``rng`` is unused)."""
        _check_n_days(n_days)
        days = start_date.toordinal() + np.arange(n_days, dtype=np.float64)
        points = np.array([d.toordinal() for d in self.dates], dtype=np.float64)
        return np.interp(days, points, self.prices_usd)


class CsvThenGBMPrice:
    """Observed prices from a CSV while they last, then geometric Brownian motion from the last price.

    A baseline that follows history where there is history and is stochastic only beyond it: facts about
    2024-2025 are measured on the path that happened, and the future fans out from where it left off.

    Args:
        path: the CSV file (``date,price_usd``), as for ``CsvPrice``.
        drift_per_year: GBM drift after the last observation.
        volatility_per_year: GBM volatility after the last observation.
    """

    def __init__(self, path: str | os.PathLike[str], drift_per_year: float, volatility_per_year: float):
        self.history = CsvPrice(path)
        self.drift_per_year = float(drift_per_year)
        self.volatility_per_year = float(volatility_per_year)

    def daily_prices_usd(self, rng: np.random.Generator, start_date: dt.date, n_days: int) -> np.ndarray:
        """History up to the CSV's last date, then GBM; the random draws depend only on the days after it."""
        _check_n_days(n_days)
        prices = self.history.daily_prices_usd(rng, start_date, n_days)
        observed = (self.history.dates[-1] - start_date).days + 1
        if observed >= n_days:
            return prices
        first = max(observed - 1, 0)
        future = GBMPrice(float(prices[first]), self.drift_per_year, self.volatility_per_year)
        prices[first:] = future.daily_prices_usd(rng, start_date, n_days - first)
        return prices


def read_price_csv(path: Path) -> tuple[list[dt.date], np.ndarray]:
    """Read and check a ``date,price_usd`` CSV.

    Blank lines are skipped and spaces around a field are ignored; everything else must be exact:
    dates ``YYYY-MM-DD``, strictly increasing, prices finite and > 0, at least one row.

    Args:
        path: the CSV file.

    Returns:
        The dates and their prices in USD (float64).

    Raises:
        PriceInputError: one line, ``<file>:<line>: <problem> (<what is accepted>)``.
    """
    name = str(path)
    if not path.exists():
        raise PriceInputError(f"{name}: no such file ({_CSV_ACCEPTED})")
    if not path.is_file():
        raise PriceInputError(f"{name}: is not a file ({_CSV_ACCEPTED})")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise PriceInputError(f"{name}: cannot be read as UTF-8 text ({err})") from None

    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise PriceInputError(f"{name}:1: file is empty ({_CSV_ACCEPTED} and at least one row)")
    if tuple(cell.strip() for cell in header) != CSV_HEADER:
        got = ",".join(header)
        raise PriceInputError(f"{name}:1: header {got!r} is not 'date,price_usd' (exactly)")

    dates: list[dt.date] = []
    prices_usd: list[float] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        try:
            date, price_usd = _parse_row(row, dates[-1] if dates else None)
        except ValueError as err:
            raise PriceInputError(f"{name}:{reader.line_num}: {err}") from None
        dates.append(date)
        prices_usd.append(price_usd)
    if not dates:
        raise PriceInputError(f"{name}:2: no rows after the header (at least one date,price_usd)")
    return dates, np.array(prices_usd, dtype=np.float64)


def _parse_row(row: list[str], previous: dt.date | None) -> tuple[dt.date, float]:
    """Parse one ``date,price_usd`` row; a ValueError's message names the field and what fits."""
    if len(row) != 2:
        raise ValueError(f"{len(row)} fields, expected 2 (date,price_usd)")
    date_text, price_text = (cell.strip() for cell in row)
    date = None
    if _ISO_DATE.fullmatch(date_text):
        try:
            date = dt.date.fromisoformat(date_text)
        except ValueError:
            pass
    if date is None:
        raise ValueError(f"date {date_text!r} is not a valid date (expected YYYY-MM-DD)")
    if previous is not None and date <= previous:
        raise ValueError(
            f"date {date_text!r} is not after the previous date {previous.isoformat()} "
            "(dates must be strictly increasing)"
        )
    try:
        price_usd = float(price_text)
    except ValueError:
        raise ValueError(f"price_usd {price_text!r} is not a number ({_PRICE_ACCEPTED})") from None
    if not math.isfinite(price_usd):
        raise ValueError(f"price_usd {price_text!r} is not finite ({_PRICE_ACCEPTED})")
    if price_usd <= 0:
        raise ValueError(f"price_usd {price_text!r} is not positive ({_PRICE_ACCEPTED})")
    return date, price_usd


PRICE_PATHS: dict[str, type[PricePath]] = {
    "constant": ConstantPrice,
    "gbm": GBMPrice,
    "csv": CsvPrice,
    "csv_gbm": CsvThenGBMPrice,
}


def build_price_path(kind: str, **params) -> PricePath:
    """Build a price path by its scenario name.

    Args:
        kind: a key of ``PRICE_PATHS``: ``"constant"``, ``"gbm"`` or ``"csv"``.
        **params: the class's arguments, e.g. ``price_usd=60000.0`` for ``"constant"``.

    Returns:
        The price path.

    Raises:
        ValueError: for an unknown kind or parameters (PriceInputError for a bad CSV).
    """
    if kind not in PRICE_PATHS:
        raise ValueError(f"unknown price path {kind!r} (expected one of {sorted(PRICE_PATHS)})")
    try:
        return PRICE_PATHS[kind](**params)
    except TypeError as err:
        raise ValueError(f"price path {kind!r}: {err}") from None


class DailyBtcPrice:
    """The scenario's BTC price path, day by day, extended on demand past the horizon it was drawn for.

    A fresh generator from the same seed each time: a longer horizon extends the same path, so a run of N
    days sees the same prices as the first N days of a longer run.
    """

    def __init__(self, section: PriceSection, start_date: dt.date, seed: np.random.SeedSequence, n_days: int):
        self.section, self.start_date, self.seed = section, start_date, seed
        self.path = build_price_path(section.kind, **self._params())
        self._prices = self._draw(n_days)

    def _params(self) -> dict:
        p = self.section
        gbm = {"drift_per_year": p.drift_per_year, "volatility_per_year": p.volatility_per_year}
        return {
            "constant": {"price_usd": p.start_usd},
            "gbm": {"start_usd": p.start_usd, **gbm},
            "csv": {"path": p.csv_path},
            "csv_gbm": {"path": p.csv_path, **gbm},
        }[p.kind]

    def _draw(self, n_days: int) -> np.ndarray:
        return self.path.daily_prices_usd(np.random.default_rng(self.seed), self.start_date, max(n_days, 1))

    def on(self, day: int) -> float:
        """USD per BTC on ``day`` (0 = the start date)."""
        if day >= self._prices.size:
            self._prices = self._draw(2 * day + 1)
        return float(self._prices[day])
