"""Miners' strategy rules, picked by name (``rules.strategy``) from ``STRATEGY_RULES``.

A rule sees a ``StrategyView`` -- the numbers a miner has at a decision point -- and returns a
``StrategyChoice`` that carries the values it compared, so every choice can be read off its numbers. A
researcher adds a rule with ``register_strategy_rule`` without touching the Miner class.

The three strategies (SF-5, economics.md "Decisions as risk-adjusted present values"):

* **hold** -- keep mining every MW;
* **hybrid** ("mullet") -- convert the convertible MW to AI under contracts and keep mining the rest as a
  flexible, curtailable load that earns demand response;
* **exit** -- sell the sites and machines and leave mining (contracts already signed are kept).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

STRATEGIES = ("hold", "hybrid", "exit")


@dataclass(frozen=True)
class StrategyView:
    """What a miner knows when it re-decides. USD are present values at risk-adjusted rates.

    Attributes:
        current: the strategy it follows now.
        v_hold_usd: NPV of mining all its machine MW (discounted at the mining rate + regional risk).
        v_mining_convertible_usd: the part of ``v_hold_usd`` earned on the MW it could convert.
        convertible_mw: MW it could still offer to AI tenants.
        lease_npv_usd_per_mw: NPV of leasing 1 MW at the market's going rent, net of conversion capex.
        lease_access: chance that hyperscalers sign in its regions (0..1).
        can_finance: cash + debt capacity + prepayment cover the conversion capex.
        v_exit_usd: what selling the sites and machines would raise.
        mining_margin_usd_per_day: this month's cash margin of mining (myopic rules use it).
        distressed: cash is negative and the treasury cannot cover it.
        has_contracts: it has signed AI contracts (they bind: a hybrid with contracts stays hybrid).
        min_block_mw: the smallest block hyperscalers lease.
        hysteresis: a new strategy must beat the current by this share to be worth the switch.
    """

    current: str
    v_hold_usd: float
    v_mining_convertible_usd: float
    convertible_mw: float
    lease_npv_usd_per_mw: float
    lease_access: float
    can_finance: bool
    v_exit_usd: float
    mining_margin_usd_per_day: float
    distressed: bool
    has_contracts: bool
    min_block_mw: float
    hysteresis: float


@dataclass(frozen=True)
class StrategyChoice:
    """A rule's answer and the values behind it."""

    strategy: str
    values_usd: dict[str, float] = field(default_factory=dict)
    reason: str = ""


def _hybrid_value(v: StrategyView) -> float:
    if v.convertible_mw < v.min_block_mw or not v.can_finance or v.lease_access <= 0:
        return float("-inf")
    expected_mw = v.convertible_mw * v.lease_access
    share = expected_mw / v.convertible_mw
    return v.v_hold_usd - share * v.v_mining_convertible_usd + expected_mw * v.lease_npv_usd_per_mw


def npv_rule(v: StrategyView) -> StrategyChoice:
    """Choose the strategy with the highest risk-adjusted NPV, with switching hysteresis.

    Rationale (economics.md): hold values mining margin at a high rate (price and difficulty risk); hybrid
    replaces the mining margin on convertible MW by contracted rent discounted at the tenant's low rate,
    less conversion capex, weighted by the chance of winning a tenant, and only if financing covers the
    capex; exit is the sale value of the sites. Exit is absorbing; a distressed miner must exit; a miner
    with signed contracts remains a hybrid.
    """
    values = {"hold": v.v_hold_usd, "hybrid": _hybrid_value(v), "exit": v.v_exit_usd}
    if v.current == "exit":
        return StrategyChoice("exit", values, "exit is absorbing")
    if v.distressed:
        return StrategyChoice("exit", values, "distressed: cash negative and treasury exhausted")
    best = max(STRATEGIES, key=lambda s: (values[s], -STRATEGIES.index(s)))
    if v.has_contracts and best == "hold":
        return StrategyChoice("hybrid", values, "contracts signed: stays hybrid")
    # The switching margin stands for the cost of undoing a position. A hybrid with no contract has built and
    # signed nothing: it is a holder that bids in RFPs, and leaving that posture costs nothing. Binding it by
    # the margin kept firms "hybrid" for years after their tenant prospects vanished (no AI demand: 15 of 69).
    current = "hold" if v.current == "hybrid" and not v.has_contracts else v.current
    current_value = values.get(current, float("-inf"))
    margin = v.hysteresis * max(abs(current_value), 1.0)
    if best != current and values[best] > current_value + margin:
        return StrategyChoice(best, values, f"{best} beats {current} by more than the switching margin")
    if v.has_contracts:
        return StrategyChoice("hybrid", values, "contracts signed: stays hybrid")
    if current != v.current:
        return StrategyChoice(current, values, "no contract and hybrid does not beat hold by the switching margin")
    return StrategyChoice(v.current, values, "no strategy beats the current one by the switching margin")


def myopic_rule(v: StrategyView) -> StrategyChoice:
    """A bounded-rationality alternative: act on this month's cash margin, not on present values.

    Exit when mining loses cash and no contract is at hand; go hybrid whenever a financeable lease has a
    positive NPV; otherwise hold. Useful as a contrast to ``npv_rule`` in sweeps.
    """
    feasible = _hybrid_value(v) > float("-inf")
    values = {
        "hold": v.mining_margin_usd_per_day * 365,
        "hybrid": v.lease_npv_usd_per_mw if feasible else float("-inf"),
        "exit": v.v_exit_usd,
    }
    if v.current == "exit" or v.distressed:
        return StrategyChoice("exit", values, "exit is absorbing" if v.current == "exit" else "distressed")
    if v.has_contracts or (feasible and v.lease_npv_usd_per_mw > 0):
        return StrategyChoice("hybrid", values, "a financeable lease pays")
    if v.mining_margin_usd_per_day < 0:
        return StrategyChoice("exit", values, "mining loses cash")
    return StrategyChoice("hold", values, "mining pays")


STRATEGY_RULES: dict[str, Callable[[StrategyView], StrategyChoice]] = {
    "npv": npv_rule,
    "myopic": myopic_rule,
}


def register_strategy_rule(name: str, rule: Callable[[StrategyView], StrategyChoice]) -> None:
    """Make a strategy rule available to scenarios under ``name``."""
    STRATEGY_RULES[name] = rule
