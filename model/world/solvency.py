"""Winding a firm down once it holds nothing: creditors are paid first, shareholders get the rest.

A firm that has sold its sites and machines and has no contracts left (``Miner.has_left``) is liquidated in
the order of the absolute-priority rule (Bankruptcy Code s. 507/726; the order every miner bankruptcy of
2022-23 followed, e.g. Core Scientific, Celsius Mining): its BTC treasury is sold, its debt is repaid from
cash, and

* if cash is left, it is paid out to shareholders (``payouts``) and the firm is wound down (status
  ``exited``);
* if it is not, the firm **defaults**: lenders take what there is and write the rest of the debt off, and
  payables it cannot meet (negative cash) are written off by its creditors too (status ``defaulted``).

Before this, an exited firm kept its debt and paid interest with no revenue for years (issue "Firms that can
fail": ``exiter_under_losses`` ended at -111 M$ of cash). A distressed firm reaches this point through exit:
its sites are auctioned and its machines go to the used-machine market first (``Miner.leave_mining``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hashpivot.model.world.accounts import Accounts


@dataclass(frozen=True)
class Liquidation:
    """What winding one firm down did (USD)."""

    btc_sold_usd: float
    debt_repaid_usd: float
    debt_written_off_usd: float
    payables_written_off_usd: float
    paid_out_usd: float

    @property
    def defaulted(self) -> bool:
        """Creditors lost money: some debt or payables were not paid."""
        return self.debt_written_off_usd > 0 or self.payables_written_off_usd > 0

    def describe(self) -> str:
        """One line for the events table."""
        parts = [f"BTC sold {self.btc_sold_usd / 1e6:,.1f} M$", f"debt repaid {self.debt_repaid_usd / 1e6:,.1f} M$"]
        if self.defaulted:
            parts.append(f"debt written off {self.debt_written_off_usd / 1e6:,.1f} M$")
            parts.append(f"payables written off {abs(self.payables_written_off_usd) / 1e6:,.1f} M$")
        else:
            parts.append(f"paid out {self.paid_out_usd / 1e6:,.1f} M$")
        return ", ".join(parts)


def liquidate(acc: Accounts, firm: int, btc_price_usd: float) -> Liquidation:
    """Sell the treasury, repay debt, then pay out the rest or write off what cannot be paid."""
    btc_usd = float(acc.btc[firm]) * btc_price_usd
    if acc.btc[firm] > 0:
        acc.sell_btc(firm, float(acc.btc[firm]), btc_price_usd)
    repaid = min(max(float(acc.cash_usd[firm]), 0.0), float(acc.debt_usd[firm]))
    if repaid > 0:
        acc.debt_usd[firm] -= repaid
        acc.post(firm, "principal", -repaid)
    written_off = float(acc.debt_usd[firm])
    acc.debt_usd[firm] = 0.0
    cash = float(acc.cash_usd[firm])
    payables = max(-cash, 0.0)
    if payables > 0:
        acc.post(firm, "write_offs", payables)
    paid = max(cash, 0.0)
    if paid > 0:
        acc.post(firm, "payouts", -paid)
    return Liquidation(btc_usd, repaid, written_off, payables, paid)


class SolvencyTotals:
    """Running totals of firms' fates and capital returns for the daily columns (``model.solvency``)."""

    def __init__(self) -> None:
        self.defaulted_total = 0
        self.wound_down_total = 0
        self.restructurings_total = 0
        self.acquisitions_total = 0
        self.payouts_usd_total = 0.0
        self.debt_written_off_usd_total = 0.0
        self.debt_to_equity_usd_total = 0.0
        self.acquisitions_usd_total = 0.0
        self.unrecovered_usd: dict[int, float] = {}  # firm -> what its creditors wrote off and may yet recover

    def pay_estate(self, acc: Accounts, firm: int, usd: float) -> None:
        """A liquidated firm's machines sold after it closed: the estate passes the proceeds on at once.

        A firm closes once it holds no sites, contracts or running machines; machines it gave up may still be
        on the used market (``Miner.has_left``). What they fetch goes to its creditors, up to what they wrote
        off (by absolute priority), and the rest to its shareholders, so the account of a firm that is gone
        stays at 0.
        """
        to_creditors = min(usd, self.unrecovered_usd.get(firm, 0.0))
        if to_creditors > 0:
            acc.post(firm, "write_offs", -to_creditors)
            self.debt_written_off_usd_total -= to_creditors
            self.unrecovered_usd[firm] -= to_creditors
        if usd - to_creditors > 0:
            acc.post(firm, "payouts", -(usd - to_creditors))
            self.payouts_usd_total += usd - to_creditors

    def record(self, firm: int, result: Liquidation, defaulted_before: bool = False) -> None:
        """Count one liquidation (a firm already counted when it defaulted is not counted again)."""
        self.unrecovered_usd[firm] = result.debt_written_off_usd + result.payables_written_off_usd
        if result.defaulted and not defaulted_before:
            self.defaulted_total += 1
        elif not result.defaulted and not defaulted_before:
            self.wound_down_total += 1
        self.payouts_usd_total += result.paid_out_usd
        self.debt_written_off_usd_total += result.debt_written_off_usd + result.payables_written_off_usd

    def record_payout(self, usd: float) -> None:
        """A buyback by a going concern."""
        self.payouts_usd_total += usd

    def record_restructuring(self, debt_to_equity_usd: float) -> None:
        """A restructuring and the debt it turned into equity."""
        self.restructurings_total += 1
        self.debt_to_equity_usd_total += debt_to_equity_usd

    def record_acquisition(self, price_usd: float) -> None:
        """A takeover and its price."""
        self.acquisitions_total += 1
        self.acquisitions_usd_total += price_usd
