"""Property tests (hypothesis) for model/world/bitcoin.py: compact encoding, retarget bounds, subsidy."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hashpivot.model.world.bitcoin import (
    COIN_SATS,
    HALVING_INTERVAL_BLOCKS,
    POW_LIMIT,
    RETARGET_INTERVAL_BLOCKS,
    TARGET_SPACING_S,
    bits_to_difficulty,
    bits_to_target,
    block_subsidy_sats,
    next_target_bits,
    subsidy_btc_between,
    target_to_bits,
)

TWO_WEEKS_S = RETARGET_INTERVAL_BLOCKS * TARGET_SPACING_S
# Core validation_tests.cpp subsidy_limit_test.
TOTAL_SUPPLY_SATS = 2_099_999_997_690_000

targets = st.integers(min_value=1, max_value=(1 << 256) - 1)
# Mining targets: at most consensus.powLimit, and not absurdly small (a target of a few units
# would floor to zero at a 4x retarget; block 840,000's is ~2**178).
pow_targets = st.integers(min_value=1 << 32, max_value=POW_LIMIT)
timespans_s = st.integers(min_value=-(10**7), max_value=10**8)


def truncate_to_compact(target: int) -> int:
    """What GetCompact keeps of a target: its top 3 bytes, or top 2 when the 3rd-from-top byte
    would set the sign bit (the mantissa is then shifted down a byte)."""
    size = (target.bit_length() + 7) // 8
    keep = 2 if target >> (8 * (size - 1)) >= 0x80 else 3
    drop = max(0, size - keep)
    return (target >> (8 * drop)) << (8 * drop)


# Normalised compact encodings (what GetCompact produces): a 3-byte mantissa with a non-zero top
# byte below 0x80, or a 2-byte mantissa 0x00XXYY with XX >= 0x80 (shifted off the sign bit).
three_byte_bits = st.builds(
    lambda size, word: (size << 24) | word,
    st.integers(min_value=3, max_value=32),
    st.integers(min_value=0x010000, max_value=0x7FFFFF),
)
two_byte_bits = st.builds(
    lambda size, word: (size << 24) | word,
    st.integers(min_value=4, max_value=33),
    st.integers(min_value=0x008000, max_value=0x00FFFF),
)


@given(st.one_of(three_byte_bits, two_byte_bits))
def test_normalised_bits_round_trip(bits):
    assert target_to_bits(bits_to_target(bits)) == bits


@given(targets)
def test_target_round_trip_truncates_to_mantissa(target):
    bits = target_to_bits(target)
    assert bits & 0x00800000 == 0  # never the sign bit
    assert bits_to_target(bits) == truncate_to_compact(target)
    # and the encoding is already normalised
    assert target_to_bits(bits_to_target(bits)) == bits


@given(targets)
def test_compact_rounds_down_by_less_than_2_pow_minus_15(target):
    decoded = bits_to_target(target_to_bits(target))
    assert decoded <= target
    assert (target - decoded) * 2**15 < target


@given(pow_targets, timespans_s)
def test_retarget_moves_target_at_most_4x(target, timespan_s):
    old = bits_to_target(target_to_bits(target))
    new = bits_to_target(next_target_bits(target_to_bits(target), timespan_s))
    assert 0 < new <= POW_LIMIT
    assert new <= 4 * old
    # Below by at most 4x, less the compact rounding of the result, unless capped at powLimit.
    lower = min(old // 4, POW_LIMIT)
    assert new * 2**15 >= lower * (2**15 - 1)
    # Core's exact arithmetic, clamp and cap, then GetCompact.
    clamped = min(max(timespan_s, TWO_WEEKS_S // 4), 4 * TWO_WEEKS_S)
    assert new == truncate_to_compact(min(old * clamped // TWO_WEEKS_S, POW_LIMIT))


@given(pow_targets, timespans_s)
def test_retarget_difficulty_ratio_within_quarter_and_four(target, timespan_s):
    bits = target_to_bits(target)
    ratio = bits_to_difficulty(next_target_bits(bits, timespan_s)) / bits_to_difficulty(bits)
    assert ratio <= 4 * (1 + 2**-14)
    assert ratio >= 0.25 * (1 - 2**-14) or next_target_bits(bits, timespan_s) == 0x1D00FFFF


@given(pow_targets, timespans_s, timespans_s)
def test_retarget_monotone_in_timespan(target, ts_a, ts_b):
    # A slower period never raises the difficulty more than a faster one.
    bits = target_to_bits(target)
    lo, hi = sorted((ts_a, ts_b))
    assert bits_to_target(next_target_bits(bits, lo)) <= bits_to_target(next_target_bits(bits, hi))


heights = st.integers(min_value=0, max_value=80 * HALVING_INTERVAL_BLOCKS)


@given(heights, heights)
def test_subsidy_never_increases(h1, h2):
    lo, hi = sorted((h1, h2))
    assert block_subsidy_sats(lo) >= block_subsidy_sats(hi) >= 0


@given(heights)
def test_subsidy_constant_within_an_era(height):
    era_start = height - height % HALVING_INTERVAL_BLOCKS
    assert block_subsidy_sats(height) == block_subsidy_sats(era_start)
    assert block_subsidy_sats(height) == (
        50 * COIN_SATS >> (height // HALVING_INTERVAL_BLOCKS) if height < 64 * HALVING_INTERVAL_BLOCKS else 0
    )


def test_subsidy_eras_sum_to_total_supply():
    eras = range(70)
    total = sum(HALVING_INTERVAL_BLOCKS * block_subsidy_sats(e * HALVING_INTERVAL_BLOCKS) for e in eras)
    assert total == TOTAL_SUPPLY_SATS


# Integer tips in a window straddling the 840,000 halving.
window_tips = st.integers(min_value=839_000, max_value=841_000)


@given(window_tips, window_tips)
def test_subsidy_between_integer_tips_is_exact_sum(a, b):
    lo, hi = sorted((a, b))
    exact_sats = sum(block_subsidy_sats(h) for h in range(lo + 1, hi + 1))
    assert round(subsidy_btc_between(lo, hi) * COIN_SATS) == exact_sats


fractional_tips = st.floats(min_value=839_000.0, max_value=841_000.0, allow_nan=False)


@given(fractional_tips, fractional_tips, fractional_tips)
def test_subsidy_between_is_additive(a, b, c):
    lo, mid, hi = sorted((a, b, c))
    whole = subsidy_btc_between(lo, hi)
    parts = subsidy_btc_between(lo, mid) + subsidy_btc_between(mid, hi)
    assert abs(whole - parts) <= 1e-9 * max(1.0, whole)
    # Paid at between 3.125 and 6.25 BTC a block in this window.
    assert 3.125 * (hi - lo) - 1e-6 <= whole <= 6.25 * (hi - lo) + 1e-6
