"""Each miner's own expectations: how much BTC growth it plans with, its hurdle rate, its memory.

economics.md ("Expectations differ"): firms disagree about BTC growth, difficulty growth and the right hurdle
rate; if all shared one forecast and acted on the same number, the whole fleet would switch together. Each
firm's parameters are drawn once, when it is created, from distributions around the scenario's values
(``finance.expected_btc_growth_per_year`` +- ``finance.btc_growth_belief_sd``, ``finance.rate_mining`` +-
``finance.hurdle_rate_sd``, ``mining.hashprice_memory_days`` +- ``mining.memory_spread``), from the model's own
stream for beliefs. The last row is the consensus (the scenario's values), used to value what no firm owns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from hashpivot.model.config.schema import Scenario

BTC_GROWTH_BOUNDS = (-0.5, 1.0)  # per year: no firm plans with more extreme growth than this
RATE_BOUNDS = (0.05, 0.8)  # per year: hurdle rates stay within sane corporate-finance values
MIN_MEMORY_DAYS = 7.0


@dataclass
class Beliefs:
    """Per-miner expectation parameters, in miner-index order, with the consensus as the last row."""

    btc_growth_per_year: np.ndarray = field(default_factory=lambda: np.zeros(1))
    rate_mining: np.ndarray = field(default_factory=lambda: np.zeros(1))
    memory_days: np.ndarray = field(default_factory=lambda: np.zeros(1))

    @classmethod
    def consensus(cls, scenario: Scenario) -> Beliefs:
        """The scenario's own values, with no firm yet."""
        fin, mining = scenario.finance, scenario.mining
        return cls(
            np.array([fin.expected_btc_growth_per_year]),
            np.array([fin.rate_mining]),
            np.array([mining.hashprice_memory_days]),
        )

    @property
    def n_firms(self) -> int:
        """Firms with beliefs of their own (the consensus row excluded)."""
        return self.btc_growth_per_year.size - 1

    def draw(self, scenario: Scenario, rng: np.random.Generator) -> int:
        """Draw a new firm's beliefs; return its row (its miner index)."""
        fin, mining = scenario.finance, scenario.mining
        growth = np.clip(rng.normal(fin.expected_btc_growth_per_year, fin.btc_growth_belief_sd), *BTC_GROWTH_BOUNDS)
        rate = np.clip(rng.normal(fin.rate_mining, fin.hurdle_rate_sd), *RATE_BOUNDS)
        spread = mining.memory_spread * mining.hashprice_memory_days
        memory = max(
            rng.uniform(mining.hashprice_memory_days - spread, mining.hashprice_memory_days + spread), MIN_MEMORY_DAYS
        )
        row = self.n_firms
        for name, value in (("btc_growth_per_year", growth), ("rate_mining", rate), ("memory_days", memory)):
            arr = getattr(self, name)
            setattr(self, name, np.concatenate([arr[:-1], [value], arr[-1:]]))
        return row
