"""Tests for model/world/price.py: constant, GBM and CSV price paths, and the CSV checks."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from hashpivot.model.world.price import (
    PRICE_PATHS,
    ConstantPrice,
    CsvPrice,
    GBMPrice,
    PriceInputError,
    build_price_path,
)

START = dt.date(2024, 4, 20)


def rng(seed: int = 1) -> np.random.Generator:
    return np.random.default_rng(seed)


# --- constant -----------------------------------------------------------------------------------


def test_constant_price():
    prices = ConstantPrice(64_000.0).daily_prices_usd(rng(), START, 10)
    assert prices.dtype == np.float64
    assert prices.shape == (10,)
    assert np.all(prices == 64_000.0)


def test_constant_price_zero_days():
    assert ConstantPrice(1.0).daily_prices_usd(rng(), START, 0).shape == (0,)


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf])
def test_constant_price_rejects_bad_price(bad):
    with pytest.raises(ValueError):
        ConstantPrice(bad)


def test_negative_days_rejected():
    with pytest.raises(ValueError):
        ConstantPrice(1.0).daily_prices_usd(rng(), START, -1)


# --- GBM ----------------------------------------------------------------------------------------


def test_gbm_starts_at_start_price_and_is_positive():
    prices = GBMPrice(60_000.0, 0.1, 0.6).daily_prices_usd(rng(), START, 365)
    assert prices.dtype == np.float64
    assert prices.shape == (365,)
    assert prices[0] == 60_000.0
    assert np.all(prices > 0) and np.all(np.isfinite(prices))


def test_gbm_reproducible_for_a_seed_and_different_across_seeds():
    path = GBMPrice(60_000.0, 0.1, 0.6)
    a = path.daily_prices_usd(rng(7), START, 200)
    b = path.daily_prices_usd(rng(7), START, 200)
    c = path.daily_prices_usd(rng(8), START, 200)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_gbm_draws_one_standard_normal_vector():
    # The path is exactly the formula applied to rng.standard_normal(n - 1).
    mu, sigma, n = 0.2, 0.5, 50
    prices = GBMPrice(100.0, mu, sigma).daily_prices_usd(rng(3), START, n)
    z = rng(3).standard_normal(n - 1)
    step = 1 / 365
    expected = 100.0 * np.exp(
        np.concatenate(([0.0], np.cumsum((mu - sigma**2 / 2) * step + sigma * np.sqrt(step) * z)))
    )
    np.testing.assert_allclose(prices, expected, rtol=1e-12)


def test_gbm_log_returns_have_the_right_moments():
    mu, sigma, n = 0.3, 0.7, 200_001
    prices = GBMPrice(50_000.0, mu, sigma).daily_prices_usd(rng(11), START, n)
    log_returns = np.diff(np.log(prices))
    step = 1 / 365
    expected_mean = (mu - sigma**2 / 2) * step
    expected_std = sigma * math.sqrt(step)
    # Standard error of the mean: std / sqrt(n) ~ 8e-5; allow 5 of them.
    assert abs(log_returns.mean() - expected_mean) < 5 * expected_std / math.sqrt(n)
    # Relative standard error of the std: 1 / sqrt(2n) ~ 0.16%; allow 1%.
    assert log_returns.std() == pytest.approx(expected_std, rel=0.01)


def test_gbm_zero_volatility_is_deterministic_growth():
    prices = GBMPrice(100.0, 0.365, 0.0).daily_prices_usd(rng(), START, 366)
    np.testing.assert_allclose(prices[-1], 100.0 * math.exp(0.365), rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start_usd": 0.0, "drift_per_year": 0.0, "volatility_per_year": 0.5},
        {"start_usd": 1.0, "drift_per_year": math.nan, "volatility_per_year": 0.5},
        {"start_usd": 1.0, "drift_per_year": 0.0, "volatility_per_year": -0.1},
        {"start_usd": 1.0, "drift_per_year": 0.0, "volatility_per_year": math.inf},
    ],
)
def test_gbm_rejects_bad_parameters(kwargs):
    with pytest.raises(ValueError):
        GBMPrice(**kwargs)


# --- CSV ----------------------------------------------------------------------------------------


def write(tmp_path, text: str, name: str = "prices.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_interpolates_linearly_and_holds_flat(tmp_path):
    path = write(
        tmp_path,
        "date,price_usd\n2024-01-01,40000\n2024-01-11,50000\n2024-01-21,45000\n",
    )
    prices = CsvPrice(path).daily_prices_usd(rng(), dt.date(2023, 12, 30), 26)
    assert prices.dtype == np.float64
    expected = {
        dt.date(2023, 12, 30): 40_000.0,  # before the first point: flat
        dt.date(2023, 12, 31): 40_000.0,
        dt.date(2024, 1, 1): 40_000.0,
        dt.date(2024, 1, 2): 41_000.0,
        dt.date(2024, 1, 6): 45_000.0,
        dt.date(2024, 1, 11): 50_000.0,
        dt.date(2024, 1, 12): 49_500.0,
        dt.date(2024, 1, 21): 45_000.0,
        dt.date(2024, 1, 24): 45_000.0,  # after the last point: flat
    }
    for date, price in expected.items():
        assert prices[(date - dt.date(2023, 12, 30)).days] == pytest.approx(price)


def test_csv_monthly_points_interpolate_in_time_not_by_row(tmp_path):
    # Feb 2024 has 29 days, so Feb 15 is 14/29 of the way from Feb 1 to Mar 1 (interpolation is
    # by date, not by row).
    path = write(tmp_path, "date,price_usd\n2024-02-01,40000\n2024-03-01,69000\n")
    prices = CsvPrice(path).daily_prices_usd(rng(), dt.date(2024, 2, 15), 1)
    assert prices[0] == pytest.approx(40_000 + 29_000 * 14 / 29)


def test_csv_single_row_is_constant(tmp_path):
    path = write(tmp_path, "date,price_usd\n2024-04-20,64000.5\n")
    prices = CsvPrice(path).daily_prices_usd(rng(), dt.date(2020, 1, 1), 5)
    assert np.all(prices == 64_000.5)


def test_csv_tolerates_blank_lines_spaces_bom_and_crlf(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_bytes(b"\xef\xbb\xbfdate,price_usd\r\n2024-01-01, 100\r\n\r\n2024-01-03 ,300\r\n")
    prices = CsvPrice(path).daily_prices_usd(rng(), dt.date(2024, 1, 1), 3)
    np.testing.assert_allclose(prices, [100.0, 200.0, 300.0])


def test_csv_ignores_rng(tmp_path):
    path = write(tmp_path, "date,price_usd\n2024-01-01,1\n2024-02-01,2\n")
    price_path = CsvPrice(path)
    np.testing.assert_array_equal(
        price_path.daily_prices_usd(rng(1), dt.date(2024, 1, 1), 40),
        price_path.daily_prices_usd(rng(2), dt.date(2024, 1, 1), 40),
    )


GOOD = "date,price_usd\n2024-01-01,40000\n"

BAD_CSVS = {
    # id: (file contents or None for missing / "<dir>" for a directory, expected message fragment)
    "missing": (None, "no such file"),
    "directory": ("<dir>", "is not a file"),
    "empty": ("", ":1: file is empty"),
    "wrong header": ("day,price\n2024-01-01,1\n", ":1: header 'day,price'"),
    "extra header column": ("date,price_usd,volume\n2024-01-01,1,2\n", ":1: header"),
    "no rows": ("date,price_usd\n", ":2: no rows"),
    "only blank rows": ("date,price_usd\n\n\n", ":2: no rows"),
    "bad date": (GOOD + "2024-13-01,1\n", ":3: date '2024-13-01' is not a valid date"),
    "non-ISO date": (GOOD + "01/02/2024,1\n", ":3: date '01/02/2024'"),
    "duplicate date": (
        GOOD + "2024-01-01,2\n",
        ":3: date '2024-01-01' is not after the previous date 2024-01-01",
    ),
    "out-of-order date": (
        "date,price_usd\n2024-03-05,1\n2024-03-09,1\n2024-03-01,2\n",
        ":4: date '2024-03-01' is not after the previous date 2024-03-09 (dates must be strictly increasing)",
    ),
    "negative price": (GOOD + "2024-02-01,-5\n", ":3: price_usd '-5' is not positive"),
    "zero price": (GOOD + "2024-02-01,0\n", ":3: price_usd '0' is not positive"),
    "nan price": (GOOD + "2024-02-01,nan\n", ":3: price_usd 'nan' is not finite"),
    "inf price": (GOOD + "2024-02-01,inf\n", ":3: price_usd 'inf' is not finite"),
    "non-numeric price": (GOOD + "2024-02-01,$65k\n", ":3: price_usd '$65k' is not a number"),
    "empty price": (GOOD + "2024-02-01,\n", ":3: price_usd '' is not a number"),
    "too many fields": (GOOD + "2024-02-01,1,2\n", ":3: 3 fields, expected 2"),
    "too few fields": (GOOD + "2024-02-01\n", ":3: 1 fields, expected 2"),
    "line after blank": (GOOD + "\n2024-02-01,x\n", ":4: price_usd 'x'"),
}


@pytest.mark.parametrize(("contents", "fragment"), BAD_CSVS.values(), ids=BAD_CSVS.keys())
def test_bad_csv_raises_one_line_error_naming_file(tmp_path, contents, fragment):
    path = tmp_path / "prices.csv"
    if contents == "<dir>":
        path.mkdir()
    elif contents is not None:
        path.write_text(contents, encoding="utf-8")
    with pytest.raises(PriceInputError) as info:
        CsvPrice(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert "prices.csv" in message
    assert fragment in message
    assert isinstance(info.value, ValueError)


def test_bad_csv_error_says_what_is_accepted(tmp_path):
    path = write(tmp_path, GOOD + "2024-02-01,abc\n")
    with pytest.raises(PriceInputError, match=r"expected a finite number of USD > 0"):
        CsvPrice(path)
    path = write(tmp_path, GOOD + "2024/02/01,1\n")
    with pytest.raises(PriceInputError, match=r"expected YYYY-MM-DD"):
        CsvPrice(path)


def test_non_utf8_csv(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_bytes(b"date,price_usd\n2024-01-01,\xff\n")
    with pytest.raises(PriceInputError, match=r"prices\.csv: cannot be read as UTF-8"):
        CsvPrice(path)


# --- registry -----------------------------------------------------------------------------------


def test_registry_builds_each_kind(tmp_path):
    assert set(PRICE_PATHS) == {"constant", "gbm", "csv", "csv_gbm"}
    constant = build_price_path("constant", price_usd=1.0)
    gbm = build_price_path("gbm", start_usd=1.0, drift_per_year=0.0, volatility_per_year=0.5)
    csv = build_price_path("csv", path=write(tmp_path, GOOD))
    assert isinstance(constant, ConstantPrice)
    assert isinstance(gbm, GBMPrice)
    assert isinstance(csv, CsvPrice)
    for path in (constant, gbm, csv):
        prices = path.daily_prices_usd(rng(), START, 4)
        assert prices.shape == (4,) and prices.dtype == np.float64


def test_registry_rejects_unknown_kind_and_parameters():
    with pytest.raises(ValueError, match="unknown price path 'lognormal'"):
        build_price_path("lognormal", price_usd=1.0)
    with pytest.raises(ValueError, match="price path 'constant'"):
        build_price_path("constant", price=1.0)


def test_registry_passes_csv_errors_through(tmp_path):
    with pytest.raises(PriceInputError, match="missing.csv: no such file"):
        build_price_path("csv", path=tmp_path / "missing.csv")


def test_history_then_gbm_follows_the_csv_then_fans_out(tmp_path):
    path = write(tmp_path, "date,price_usd\n2024-04-20,60000\n2024-04-30,70000\n")
    hist = build_price_path("csv_gbm", path=path, drift_per_year=0.0, volatility_per_year=0.6)
    a = hist.daily_prices_usd(rng(1), START, 30)
    b = hist.daily_prices_usd(rng(2), START, 30)
    np.testing.assert_allclose(a[:11], np.linspace(60_000, 70_000, 11))  # the observed days, interpolated
    np.testing.assert_array_equal(a[:11], b[:11])  # history does not depend on the seed
    assert not np.array_equal(a[11:], b[11:])  # the future does
    np.testing.assert_array_equal(a, hist.daily_prices_usd(rng(1), START, 30))  # and is reproducible
    # a longer horizon extends the same path: the draws depend only on the days after the history
    np.testing.assert_array_equal(a, hist.daily_prices_usd(rng(1), START, 60)[:30])
