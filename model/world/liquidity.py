"""How much cash a mining firm keeps back: its fixed obligations for a number of months.

A firm's liquidity buffer covers what it must pay whether or not its machines earn: the running cost of the
machines it has (power and opex) and its debt service (interest and amortisation). Lenders to miners write
exactly this into minimum-liquidity covenants (months of debt service and operating cost; e.g. the ASIC-backed
facilities in 2022-23 10-K filings), and a firm that spends its cash below it on machines or sites is one
that cannot pay its lenders when delivery is late or hashprice dips. Before this rule the buffer counted
only running cost, so a firm with new debt and machines still on order kept no buffer at all and defaulted
on its first instalments (seed 3 of the baseline, 2031: entrants distressed within days of entering).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from hashpivot.model.config.schema import FinanceSection as Finance
    from hashpivot.model.config.schema import MiningSection as Mining
    from hashpivot.model.simulation import HashpivotModel

DAYS_PER_MONTH = 30.4
TYPICAL_POWER_USD_PER_MWH = 45.0  # calibration.md: delivered power cost median of listed miners


def debt_service_usd_per_month(debt_usd: float, fin: Finance) -> float:
    """Interest plus straight-line amortisation on ``debt_usd`` (as ``Accounts.service_debt`` charges it)."""
    return debt_usd * (fin.debt_rate + 1.0 / fin.debt_amortization_years) / 12.0


def running_cost_usd_per_month(machine_mw: float, mining: Mining) -> float:
    """Opex and power of ``machine_mw`` running all month, power at a typical delivered price."""
    return machine_mw * (mining.opex_usd_per_mw_day + 24.0 * TYPICAL_POWER_USD_PER_MWH) * DAYS_PER_MONTH


def reserve_usd(machine_mw: float, debt_usd: float, fin: Finance, mining: Mining, extra_months: float = 0.0) -> float:
    """The buffer: ``fin.cash_reserve_months`` of running cost and of debt service.

    ``extra_months`` of debt service are added for debt drawn before its machines earn (machines on order:
    an entrant pays its instalments through ``mining.delivery_days`` without revenue).
    """
    months = fin.cash_reserve_months
    return months * running_cost_usd_per_month(machine_mw, mining) + (months + extra_months) * (
        debt_service_usd_per_month(debt_usd, fin)
    )


def free_equity_of(model: HashpivotModel, miners: np.ndarray) -> np.ndarray:
    """``Miner.free_equity_usd`` of each of ``miners`` (indices), the same bits: an auction's bidders at once.

    Cash less the reserve (``reserve_usd`` on arrays: the same operations, element by element) less the equity
    promised to signed conversions.
    """
    m = model
    machine_mw = m.assets.machine_mw_by_miner()[miners]
    reserve = reserve_usd(machine_mw, m.accounts.debt_usd[miners], m.config.finance, m.config.mining)
    return m.accounts.cash_usd[miners] - reserve - m.construction.equity_committed_of(miners, m.day)
