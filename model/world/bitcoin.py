"""The Bitcoin network: consensus-exact subsidy and difficulty, advanced one day at a time.

Everything that Bitcoin defines exactly is computed exactly here, in integers, as Bitcoin Core does:

* ``block_subsidy_sats`` is ``GetBlockSubsidy`` (validation.cpp).
* ``bits_to_target`` / ``target_to_bits`` are ``arith_uint256::SetCompact`` / ``GetCompact``.
* ``bits_to_difficulty`` is ``GetDifficulty`` (rpc/blockchain.cpp).
* ``next_target_bits`` is ``CalculateNextWorkRequired`` (pow.cpp).

What Bitcoin leaves to chance -- when blocks are found -- is modelled by ``NetworkState``: within a day the
network's hashrate is constant, so blocks arrive as a Poisson process of rate ``H / (D * 2**32)`` per second
(economics.md, "Mining"). By default the state advances by the expected number of blocks (a fractional tip
height, smooth and seed-free); with ``stochastic=True`` it draws them from the model's rng, exactly, including
the moment a retarget boundary is crossed mid-day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

COIN_SATS = 100_000_000
HALVING_INTERVAL_BLOCKS = 210_000
INITIAL_SUBSIDY_SATS = 50 * COIN_SATS
TARGET_SPACING_S = 600
RETARGET_INTERVAL_BLOCKS = 2016
TARGET_TIMESPAN_S = RETARGET_INTERVAL_BLOCKS * TARGET_SPACING_S  # two weeks
POW_LIMIT_BITS = 0x1D00FFFF
# Mainnet consensus.powLimit: uint256S("00000000ffff...ff"), i.e. 2**224 - 1 (not the bits 0x1d00ffff target).
POW_LIMIT = (1 << 224) - 1
SECONDS_PER_DAY = 86_400
HASHES_PER_EH = 1e18
PH_PER_EH = 1_000.0


def block_subsidy_sats(height: int) -> int:
    """Block subsidy in satoshis at ``height``, as Bitcoin Core's ``GetBlockSubsidy``.

    50 BTC halved (integer right shift) every 210,000 blocks; zero once the shift would reach 64, where a
    right shift of a 64-bit integer is undefined in C++.
    """
    if height < 0:
        raise ValueError(f"height must be >= 0, got {height}")
    halvings = height // HALVING_INTERVAL_BLOCKS
    if halvings >= 64:
        return 0
    return INITIAL_SUBSIDY_SATS >> halvings


def bits_to_target(bits: int) -> int:
    """Decode a compact ``nBits`` into the 256-bit target (``arith_uint256::SetCompact``).

    Raises:
        ValueError: if the encoding is negative or overflows 256 bits; Bitcoin Core rejects such a target
            in ``DeriveTarget``.
    """
    if not 0 <= bits <= 0xFFFFFFFF:
        raise ValueError(f"bits must be a 32-bit unsigned integer, got {bits!r}")
    size = bits >> 24
    word = bits & 0x007FFFFF
    if size <= 3:
        word >>= 8 * (3 - size)  # as Core: the sign and overflow checks below see the shifted word
        target = word
    else:
        target = word << (8 * (size - 3))
    if word != 0 and bits & 0x00800000:
        raise ValueError(f"bits 0x{bits:08x} encode a negative target")
    if word != 0 and (size > 34 or (word > 0xFF and size > 33) or (word > 0xFFFF and size > 32)):
        raise ValueError(f"bits 0x{bits:08x} overflow 256 bits")
    return target


def target_to_bits(target: int) -> int:
    """Encode a non-negative target as compact ``nBits`` (``arith_uint256::GetCompact``), lossy like Core's."""
    if not 0 <= target < (1 << 256):
        raise ValueError(f"target must be in [0, 2**256), got {target!r}")
    size = (target.bit_length() + 7) // 8
    if size <= 3:
        compact = (target << (8 * (3 - size))) & 0xFFFFFFFFFFFFFFFF
    else:
        compact = (target >> (8 * (size - 3))) & 0xFFFFFFFFFFFFFFFF
    # The sign bit (0x00800000) must stay clear: shift the mantissa down a byte instead.
    if compact & 0x00800000:
        compact >>= 8
        size += 1
    return (compact | (size << 24)) & 0xFFFFFFFF


def bits_to_difficulty(bits: int) -> float:
    """Difficulty of a compact target, as Bitcoin Core's ``GetDifficulty`` (1.0 at ``0x1d00ffff``)."""
    shift = (bits >> 24) & 0xFF
    mantissa = bits & 0x00FFFFFF
    if mantissa == 0:
        raise ValueError(f"bits 0x{bits:08x} encode a zero target")
    diff = float(0x0000FFFF) / float(mantissa)
    while shift < 29:
        diff *= 256.0
        shift += 1
    while shift > 29:
        diff /= 256.0
        shift -= 1
    return diff


def next_target_bits(prev_bits: int, timespan_s: int) -> int:
    """Bits for the next 2016-block period, exactly as Bitcoin Core's ``CalculateNextWorkRequired``.

    Args:
        prev_bits: bits of the last block of the period just ended.
        timespan_s: seconds from the first to the last block of that period (2015 intervals: Core's known
            off-by-one). Clamped to [1/4, 4] x two weeks, so difficulty moves at most 4x either way.
    """
    timespan = int(timespan_s)
    timespan = max(timespan, TARGET_TIMESPAN_S // 4)
    timespan = min(timespan, TARGET_TIMESPAN_S * 4)
    target = bits_to_target(prev_bits) * timespan // TARGET_TIMESPAN_S
    target = min(target, POW_LIMIT)
    return target_to_bits(target)


def subsidy_btc_between(tip_from: float, tip_to: float) -> float:
    """Subsidy in BTC paid by the blocks found while the tip moves from ``tip_from`` to ``tip_to``.

    Integer tips give the exact sum of ``block_subsidy_sats`` over heights ``tip_from + 1 .. tip_to``. A
    fractional tip (expected-value mode) counts a fraction of a block at the subsidy of the height it
    belongs to, so a halving is paid exactly at its height, never on a calendar date.
    """
    total_sats = 0.0
    lo = tip_from
    while lo < tip_to:
        height = math.floor(lo) + 1  # the block being found
        era_end = (height // HALVING_INTERVAL_BLOCKS + 1) * HALVING_INTERVAL_BLOCKS - 1
        hi = min(tip_to, float(era_end))
        total_sats += (hi - lo) * block_subsidy_sats(height)
        lo = hi
    return total_sats / COIN_SATS


@dataclass(frozen=True)
class ChainDay:
    """What one simulated day of the network produced."""

    blocks: float
    subsidy_btc: float
    fees_btc: float
    revenue_usd: float
    hashprice_usd_per_ph_day: float
    retargets: int


@dataclass
class NetworkState:
    """The chain's state, advanced one day at a time by the Model.

    Attributes:
        tip: height of the last block found (fractional in expected-value mode).
        bits: compact target that applies to the next block.
        time_s: simulated Unix time, seconds.
        period_start_s: time of the first block of the current 2016-block period.
    """

    tip: float
    bits: int
    time_s: float
    period_start_s: float

    @classmethod
    def from_anchor(cls, height: int, bits: int, time_s: float, period_start_s: float | None = None):
        """Start at a real block: its height, bits and timestamp.

        When the time of the period's first block is unknown it is back-dated at the 600 s target spacing,
        i.e. the anchor's difficulty is assumed to match the hashrate of its period.
        An anchor ending a period (height 2016k - 1) is retargeted at once:
        ``bits`` is the target of the next block.
        """
        if period_start_s is None:
            first = height - height % RETARGET_INTERVAL_BLOCKS
            period_start_s = time_s - (height - first) * TARGET_SPACING_S
        bits_to_target(bits)  # validates
        if height % RETARGET_INTERVAL_BLOCKS == RETARGET_INTERVAL_BLOCKS - 1:
            bits = next_target_bits(bits, int(round(time_s - period_start_s)))
            period_start_s = time_s + TARGET_SPACING_S  # the next period's first block, expected
        return cls(tip=float(height), bits=bits, time_s=float(time_s), period_start_s=period_start_s)

    @property
    def height(self) -> int:
        """Height of the last whole block found."""
        return math.floor(self.tip)

    @property
    def difficulty(self) -> float:
        """Current difficulty (Bitcoin Core's ``GetDifficulty`` of ``bits``)."""
        return bits_to_difficulty(self.bits)

    def blocks_per_second(self, hashrate_ehs: float) -> float:
        """Expected block rate at this hashrate and difficulty: ``H / (D * 2**32)``."""
        return hashrate_ehs * HASHES_PER_EH / (self.difficulty * 2.0**32)

    def advance_day(
        self,
        hashrate_ehs: float,
        btc_price_usd: float,
        fees_btc_per_block: float,
        rng: np.random.Generator | None = None,
    ) -> ChainDay:
        """Advance one day at a constant network hashrate and return what the day paid.

        Args:
            hashrate_ehs: network hashrate for the day, EH/s (> 0).
            btc_price_usd: BTC price for the day.
            fees_btc_per_block: average transaction fees per block (scenario input).
            rng: if given, blocks are Poisson draws from it; otherwise the expected number is found.
        """
        if not (hashrate_ehs > 0 and math.isfinite(hashrate_ehs)):
            raise ValueError(f"network hashrate must be positive and finite, got {hashrate_ehs}")
        tip0, remaining, retargets = self.tip, float(SECONDS_PER_DAY), 0
        while remaining > 0:
            rate = self.blocks_per_second(hashrate_ehs)
            # Last block of the next block's period: a tip that just ended a period (2016k - 1,
            # already retargeted) looks to the next boundary, not the one it stands on.
            period = (self.height + 1) // RETARGET_INTERVAL_BLOCKS
            last_of_period = (period + 1) * RETARGET_INTERVAL_BLOCKS - 1
            dt = self._time_to_boundary(last_of_period, rate, remaining, rng)
            if dt is None:
                break
            self.tip = float(last_of_period)
            self.time_s += dt
            remaining -= dt
            self._retarget(hashrate_ehs)
            retargets += 1
        self.time_s += remaining
        blocks = self.tip - tip0
        subsidy = subsidy_btc_between(tip0, self.tip)
        fees = blocks * fees_btc_per_block
        revenue_usd = (subsidy + fees) * btc_price_usd
        hashprice = revenue_usd / (hashrate_ehs * PH_PER_EH)
        return ChainDay(blocks, subsidy, fees, revenue_usd, hashprice, retargets)

    def _time_to_boundary(self, last_of_period, rate, remaining, rng):
        """Seconds until the period's last block if it comes within ``remaining``; else advance and None."""
        need = last_of_period - self.tip
        if rng is None:
            # Stop short only if the end tip is below the boundary: a tip must never rest on a
            # period's last block without its retarget (rounding of ``need / rate`` could allow it).
            end_tip = self.tip + rate * remaining
            if end_tip < last_of_period:
                self.tip = end_tip
                return None
            return min(need / rate, remaining)
        # Poisson process: n arrivals in the window; if the boundary block is among them, its arrival time
        # is the need-th of n uniform order statistics, i.e. Beta(need, n - need + 1) of the window.
        n = int(rng.poisson(rate * remaining))
        need_blocks = int(round(need))
        if n < need_blocks:
            self.tip += n
            return None
        return remaining * float(rng.beta(need_blocks, n - need_blocks + 1))

    def _retarget(self, hashrate_ehs: float) -> None:
        """Apply ``CalculateNextWorkRequired`` at the end of a period and open the next one."""
        timespan = int(round(self.time_s - self.period_start_s))
        self.bits = next_target_bits(self.bits, timespan)
        # The next period starts with the next block, expected one block-interval later at the new target.
        self.period_start_s = self.time_s + 1.0 / self.blocks_per_second(hashrate_ehs)
