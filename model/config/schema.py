"""The scenario schema: every parameter of a run, declared once, typed, with unit, default and source.

A scenario is a tree of frozen pydantic models. Unknown keys, wrong types, NaN and infinity are rejected.
Each field's ``description`` reads ``"<unit>; <source>"`` -- the source points at a line of
``shared/domain/calibration.md`` (cited as ``cal: <table>``), ``economics.md`` (``econ: <section>``), the
seed facts (``SF-n``) or the literature. ``docs/ODD.md`` and ``hashpivot show`` are generated from these
declarations, so documentation cannot drift from the code.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from hashpivot.agents.rules import STRATEGY_RULES
from hashpivot.model.config.declare import P, Section
from hashpivot.model.config.firms import FirmsSection
from hashpivot.model.markets.auction import AUCTIONS
from hashpivot.model.markets.leasing import BARGAINING
from hashpivot.model.world.bitcoin import POW_LIMIT, bits_to_target


class RunSection(Section):
    """Calendar, horizon and chain anchor."""

    start_date: dt.date = P(dt.date(2024, 4, 20), "date", "cal: protocol -- block 840,000 mined 2024-04-20")
    days: int = P(3650, "days", "ten years of daily steps (issue 3)", ge=1, le=36_500)
    anchor_height: int = P(840_000, "block height", "cal: protocol -- April 2024 halving block", ge=0, le=13_440_000)
    anchor_bits: int = P(
        0x17034219, "compact nBits", "chain history: bits of block 840,000 (difficulty ~86.39 T)", ge=1, le=0xFFFFFFFF
    )
    anchor_time_utc: dt.datetime = P(
        dt.datetime(2024, 4, 20, 0, 9, 27, tzinfo=dt.UTC), "UTC timestamp", "chain history: block 840,000"
    )
    stochastic_blocks: bool = P(False, "flag", "Poisson block arrivals from the model rng (econ: Mining)")
    initial_network_ehs: float = P(
        650.0, "EH/s", "cal: ~650 EH/s Apr 2024; spread archetypes fill regions to this level", gt=0, le=100_000
    )
    decision_interval_days: int = P(30, "days", "agents re-decide monthly (issue 3: 'e.g. monthly')", ge=1, le=365)

    @field_validator("anchor_bits")
    @classmethod
    def _valid_compact_target(cls, bits: int) -> int:
        # A run starts from a real block: its bits must decode as Bitcoin Core's SetCompact does, to a
        # target in (0, powLimit]; otherwise the chain would fail on its first day, mid-run.
        accepted = "(accepted: a compact nBits of a positive target up to the proof-of-work limit, e.g. 0x17034219)"
        try:
            target = bits_to_target(bits)
        except ValueError as exc:
            raise ValueError(f"{bits:#010x} is not a valid target: {exc} {accepted}") from None
        if not 0 < target <= POW_LIMIT:
            problem = "a zero target" if target == 0 else "a target above the proof-of-work limit"
            raise ValueError(f"{bits:#010x} encodes {problem} {accepted}")
        return bits


class BitcoinSection(Section):
    """Transaction fees (the subsidy follows from the protocol)."""

    fees_btc_per_block: float = P(
        0.10, "BTC/block", "cal: fees ~6% of rewards 2024 (~0.19), ~1% late 2025 (~0.03); mid value", ge=0, le=10
    )


class PriceSection(Section):
    """BTC price path (model/world/price.py)."""

    kind: Literal["constant", "gbm", "csv", "csv_gbm"] = P(
        "gbm", "name", "registry in model/world/price.py; csv_gbm = the CSV's history, then GBM from its last price"
    )
    start_usd: float = P(64_000.0, "USD/BTC", "BTC close 2024-04-20 (~64k, public market data)", gt=0, le=1e8)
    drift_per_year: float = P(0.15, "1/yr", "assumption: long-run drift; sweep range -0.5..0.6", ge=-2, le=2)
    volatility_per_year: float = P(0.45, "1/yr", "BTC realised vol ~40-60%/yr 2023-2025 (public data)", ge=0, le=3)
    csv_path: str = P("", "path", "user CSV 'date,price_usd', relative to the scenario file")


class HardwareGeneration(Section):
    """An ASIC generation the market sells from ``available_from``."""

    name: str = P("S21", "label", "cal: Mining hardware")
    available_from: dt.date = P(dt.date(2023, 10, 1), "date", "cal: Mining hardware")
    j_per_th: float = P(17.5, "J/TH", "cal: Mining hardware", ge=1, le=200)


def _default_generations() -> tuple[HardwareGeneration, ...]:
    # cal: Mining hardware (S21 17.5, S21 XP 13.5, S23 Hydro ~9.7 J/TH). Prices are not listed: they follow
    # hashprice by the dealers' breakeven rule (mining.asic_breakeven_days, model/world/technology.py).
    return (
        HardwareGeneration(name="S21", available_from=dt.date(2023, 10, 1), j_per_th=17.5),
        HardwareGeneration(name="S21 XP", available_from=dt.date(2024, 10, 1), j_per_th=13.5),
        HardwareGeneration(name="S23 Hydro", available_from=dt.date(2026, 1, 1), j_per_th=9.7),
    )


class MiningSection(Section):
    """Costs and habits of mining (econ: Mining)."""

    opex_usd_per_mw_day: float = P(
        250.0, "USD/MW-day", "cal: all-in opex 55.5 vs power 45 $/MWh -> ~10.5 $/MWh x 24 h", ge=0, le=100_000
    )
    ppa_hedge_share: float = P(
        0.5,
        "share of load",
        "assumption: share of a site's load bought forward at a fixed price; curtailed in a "
        "called (scarcity) hour it is sold back at the scarcity price -- 'power credits' (cal: one Texas miner "
        "received 31.7 M$ in one month in power and DR credits)",
        ge=0,
        le=1,
    )
    build_capex_usd_per_mw: float = P(600_000.0, "USD/MW", "cal: a mining build is 0.3-1 M$/MW", ge=0, le=1e8)
    machine_life_years: float = P(4.0, "years", "assumption: ASIC economic life 3-5 years", gt=0, le=15)
    failure_rate_per_year: float = P(
        0.05,
        "share of MW per year",
        "assumption: hashboard and PSU failures retire ~5% of a fleet's machines a year (operators' fleet "
        "reports; cal: machines 'mostly resold or recycled'); ageing is gradual, not a cliff",
        ge=0,
        le=0.5,
    )
    hibernation_cost_usd_per_mw_day: float = P(
        15.0,
        "USD/MW-day",
        "assumption: storage, insurance and site holding of switched-off machines (~6% of running opex)",
        ge=0,
        le=10_000,
    )
    scrap_usd_per_th: float = P(
        0.3,
        "USD/TH",
        "assumption: recycling value of an ASIC nobody buys (~30 USD for a ~100 TH unit); the floor of the used market",
        ge=0,
        le=100,
    )
    relocation_cost_usd_per_mw: float = P(
        100_000.0,
        "USD/MW",
        "cal [derived]: moves of ~6,000-10,000 rigs (~20-35 MW) cost 'millions' (Bit Digital 2021, Hut 8 2023)",
        ge=0,
        le=10_000_000,
    )
    relocation_days: int = P(90, "days", "cal: such moves took about 3 months", ge=0, le=730)
    decommission_days: int = P(
        84,
        "days",
        "cal: taking ~6,000-10,000 rigs down for a move took about 3 months (relocation row); a site sold to a "
        "non-mining buyer is handed over in weekly tranches over this time, its machines running until taken down",
        ge=0,
        le=730,
    )
    used_listing_days: int = P(
        180, "days", "assumption: machines unsold after six months on the used market are recycled", ge=7, le=3650
    )
    asic_breakeven_days: float = P(
        487.0,
        "days",
        "cal: dealers price machines at a ~14-18-month breakeven (Luxor RFQ, Jun 2023): 16 months",
        gt=0,
        le=3650,
    )
    asic_reference_power_usd_per_mwh: float = P(
        45.0, "USD/MWh", "cal: delivered power cost median (the dealer's breakeven is at typical power)", ge=0, le=1000
    )
    asic_price_floor_usd_per_w: float = P(
        0.25,
        "USD/W",
        "cal [derived]: the Hashrate Index tiers fell to 4.7-15.7 USD/TH at 30-70 J/TH (~0.15-0.5 USD/W) at the "
        "Dec 2022 trough; makers do not sell below their cost per watt of hashing power, so the floor per TH "
        "falls as machines get more efficient",
        gt=0,
        le=100,
    )
    asic_price_memory_days: float = P(
        90.0, "days", "cal: ASIC prices track hashprice, 'lagging by months'", gt=1, le=3650
    )
    roadmap_improvement_per_year: float = P(
        0.19,
        "share of J/TH per year",
        "cal [derived]: 34 J/TH (S19, 2020) -> 9.7 (S23 Hydro, 2026) is ~19%/yr; the trend past the last "
        "listed generation starts here",
        ge=0,
        lt=1,
    )
    roadmap_slowdown_per_year: float = P(
        0.15,
        "share per year",
        "assumption: each year's efficiency gain is 15% smaller than the last (chips near process limits)",
        ge=0,
        le=1,
    )
    roadmap_interval_years: float = P(
        1.5, "years", "assumption: a new generation every ~18 months (S19 2020, S21 2023, S23 2026)", ge=0.25, le=10
    )
    delivery_days: int = P(60, "days", "assumption: ASIC lead time 1-3 months", ge=0, le=730)
    hashprice_memory_days: float = P(
        90.0, "days", "adaptive expectations: trailing window for hashrate growth (the archetypes' mean)", gt=1, le=3650
    )
    memory_spread: float = P(
        0.5,
        "share",
        "econ: expectations differ -- each firm's window is drawn uniformly within +-50% of the mean",
        ge=0,
        lt=1,
    )
    generations: tuple[HardwareGeneration, ...] = Field(
        default_factory=_default_generations, description="list; cal: Mining hardware", min_length=1
    )
    unbuilt_share: float = P(
        0.2, "share of site capacity", "assumption: expansion room at existing sites (2024 pipelines)", ge=0, lt=1
    )


class FinanceSection(Section):
    """Discount rates and financing limits (econ: Decisions as risk-adjusted present values)."""

    def contract_rate(self, kind: str) -> float:
        """The landlord's discount rate for an AI contract of ``kind`` (a ``ContractKind`` value)."""
        return self.rate_gpu_cloud if kind == "gpu_cloud" else self.rate_contracted

    rate_mining: float = P(0.25, "1/yr", "econ: mining margin discounted at ~20-30%", gt=0, le=1)
    hashrate_trend_fade_years: float = P(
        0.5,
        "years",
        "assumption: e-folding time over which a firm's recent hashrate trend fades into the network's two-year "
        "growth (damped trend, Gardner & McKenzie 1985); econ: after China's 2021 ban hashrate was back at its "
        "peak within 6-7 months, so deviations from trend fade within about a year; 0 = the recent trend holds "
        "over the whole horizon",
        ge=0,
        le=100,
    )
    rate_contracted: float = P(0.09, "1/yr", "econ: IG-tenant rent discounted at ~8-10%", gt=0, le=1)
    rate_gpu_cloud: float = P(
        0.10,
        "1/yr",
        "assumption: contracted revenue from an IG buyer (IREN-Microsoft) plus operating risk: "
        "just above the contracted-rent rate",
        gt=0,
        le=1,
    )
    expected_btc_growth_per_year: float = P(
        0.50,
        "1/yr",
        "est: BTC growth miners plan with (martingale = 0), estimated from the 2024-25 hashrate, hashprice and "
        "lease observations: 0.50, 90% interval [0.41, 0.61], prior -0.3..1 (docs/estimation.md; "
        "`hashpivot estimate backtest_2024_2025 --workers 2`); BTC's realised CAGR 2015-25 was far higher",
        ge=-0.9,
        le=2,
    )
    construction_risk_premium: float = P(
        0.06,
        "1/yr",
        "assumption: contracts not yet delivering carry onboarding, construction and grid-approval "
        "risk (seed: CleanSpark's AI revenue only in 2026-27); added to the contracted rate until they start",
        ge=0,
        le=1,
    )
    btc_growth_belief_sd: float = P(
        0.10,
        "1/yr",
        "econ: expectations differ -- firms' planned BTC growth is drawn around the mean with this spread "
        "(assumption: the dispersion of published BTC forecasts)",
        ge=0,
        le=1,
    )
    hurdle_rate_sd: float = P(
        0.03,
        "1/yr",
        "econ: expectations differ -- each firm's mining discount rate is drawn around rate_mining "
        "(assumption: a spread within the range of econ: Decisions)",
        ge=0,
        le=0.3,
    )
    npv_horizon_years: float = P(
        10.0, "years", "assumption: valuation horizon; NPVs count min(horizon, machine life)", ge=1, le=40
    )
    loan_to_cost_backstopped: float = P(
        0.85, "share", "econ: up to ~85% loan-to-cost with a hyperscaler backstop", ge=0, le=1
    )
    loan_to_cost_mining: float = P(0.3, "share", "assumption: ASIC-backed lending", ge=0, le=1)
    debt_rate: float = P(0.10, "1/yr", "assumption: miners' secured/convertible debt cost", ge=0, le=1)
    debt_amortization_years: float = P(
        12.0, "years", "assumption: blend of lease-backed project debt (10-15 yr) and ASIC loans (2-3 yr)", gt=0, le=40
    )
    exit_cost_usd_per_mw: float = P(
        50_000.0, "USD/MW", "assumption: decommissioning, PPA and hosting-contract termination on exit", ge=0, le=1e8
    )
    equity_issuance_share_per_year: float = P(
        0.15,
        "share of enterprise value per year",
        "assumption: public miners sold ~10-20% of their value a year "
        "in at-the-market programmes and converts to fund fleets (2024-25 filings)",
        ge=0,
        le=2,
    )
    cash_reserve_months: float = P(3.0, "months of opex", "assumption: liquidity buffer", ge=0, le=60)
    switch_hysteresis: float = P(
        0.10, "share", "assumption: a strategy must beat the current one by 10% to switch", ge=0, le=2
    )


class ContractTerms(Section):
    """One kind of AI contract (econ: Two AI business models)."""

    term_years: float = P(15.0, "years", "cal: recent miner leases 10-15 yr", gt=0, le=40)
    escalator_per_year: float = P(0.03, "1/yr", "cal: 2-3% escalators (Hut 8 3%)", ge=0, le=0.2)
    prepayment_share: float = P(0.0, "share of first-year revenue", "cal: deals", ge=0, le=1)
    margin: float = P(0.85, "share", "cal: lease EBITDA/NOI ~85%", ge=0, le=1)
    conversion_capex_usd_per_mw: float = P(
        9_000_000.0, "USD/MW IT", "cal: conversion 8-10 M$/MW typical (3-15)", ge=0, le=1e9
    )
    equipment_capex_usd_per_mw: float = P(0.0, "USD/MW IT", "GPUs bought by the operator", ge=0, le=1e9)
    equipment_residual_share: float = P(
        0.0,
        "share of equipment capex",
        "value of the GPUs at the end of the term (resale or re-contracting)",
        ge=0,
        le=1,
    )
    build_days: int = P(365, "days", "cal: 8-18 months signing to first hall", ge=0, le=3650)
    late_penalty_share_per_day: float = P(
        0.001, "share of annual rent per day late", "assumption: liquidated damages", ge=0, le=0.1
    )


class AiMarketSection(Section):
    """AI demand, hyperscalers and the two contract kinds."""

    def terms(self, kind: str) -> ContractTerms:
        """The terms of an AI contract of ``kind`` (a ``ContractKind`` value)."""
        return self.gpu_cloud if kind == "gpu_cloud" else self.colocation

    spend_2024_usd: float = P(47e9, "USD/yr", "seed: AI-infrastructure market 47 B$ (2024)", gt=0, le=1e13)
    spend_growth_per_year: float = P(0.266, "1/yr", "econ: 47 -> 499 B$ 2024-2034 is ~26.6%/yr", ge=-0.5, le=2)
    usd_per_mw_year: float = P(
        9.7e6, "USD per MW-yr", "cal: GPU cloud revenue ~9.7 M$/MW-yr (what a buyer spends per MW)", ge=1e5, le=1e9
    )
    addressable_share: float = P(
        0.45,
        "share",
        "assumption: share of new AI MW sourced from powered sites; not identified by the 2024-25 data "
        "(estimate 0.63, 90% interval [0.32, 0.92] on a 0.05..0.95 prior: lease MW saturate above ~0.4, "
        "docs/estimation.md), so it stays 0.45, inside the interval (seed: ~65 B$ of contracts)",
        ge=0,
        le=1,
    )
    hyperscalers: int = P(
        5,
        "count",
        "cal: the five largest 2025 capex budgets (Amazon, Alphabet, Meta, Microsoft, Oracle), demand split by "
        "their capex shares (model/world/ai_buyers.py); more buyers are a fringe the size of the smallest",
        ge=1,
        le=100,
    )
    rfp_interval_days: int = P(30, "days", "assumption: monthly procurement rounds", ge=1, le=3650)
    min_block_mw: float = P(
        20.0, "MW", "assumption: smallest block hyperscalers lease (cal: 18 MW Bitfarms)", gt=0, le=10_000
    )
    greenfield_capex_usd_per_mw: float = P(
        11e6, "USD/MW IT", "assumption: powered shell + fit-out new build, above 8-10 M$ conversion", gt=0, le=1e9
    )
    greenfield_build_days: int = P(730, "days", "assumption: ~2 years site to energised hall", ge=0, le=3650)
    planning_horizon_days: int = P(
        1460,
        "days",
        "assumption: hyperscalers plan capacity ~4 years ahead (capex guidance horizons); "
        "caps the greenfield look-ahead and the queue time a site can be credited with",
        ge=30,
        le=7300,
    )
    value_of_time_usd_per_mw_year: float = P(
        1.5e6, "USD per MW-yr", "assumption: margin lost per year of delay (of ~9.7 M$ revenue)", ge=0, le=1e9
    )
    rate_hyperscaler: float = P(0.08, "1/yr", "econ: investment-grade cost of capital", gt=0, le=1)
    us_preference: float = P(
        0.5, "share of rent", "SF-8: tech giants prefer familiar (US) regulation; non-US sites discounted", ge=0, le=1
    )
    gpu_cloud_share: float = P(
        0.2,
        "share of RFPs at the default terms",
        "seed: IREN-Microsoft is the GPU-cloud example among ~7 landlord deals; sets the scale of a logit choice "
        "on the two routes' costs (model/markets/contract_choice.py), so a scenario's own GPU capex, rates and "
        "terms move the share",
        ge=0,
        le=1,
    )
    demand_price_elasticity: float = P(
        0.0,
        "elasticity",
        "assumption: 0, the spending path is taken as given (it is a forecast at expected prices, and "
        "calibration.md has no estimate of AI demand's response to the cost of capacity); below 0, demand "
        "scales with (greenfield cost now / on the first day) ^ elasticity; a sweep knob",
        ge=-3,
        le=0,
    )
    negotiation: str = P(
        "nash", "protocol name", "econ: Lease negotiation; registry in model/markets/leasing.py (nash, rubinstein)"
    )
    bargaining_power_base: float = P(
        0.5, "share", "Nash (1950) symmetric split; scaled by energised-site scarcity", ge=0, le=1
    )
    colocation: ContractTerms = Field(default_factory=ContractTerms, description="cal: Hut 8, Cipher, TeraWulf")
    gpu_cloud: ContractTerms = Field(
        default_factory=lambda: ContractTerms(
            term_years=5.0,
            escalator_per_year=0.0,
            prepayment_share=0.2,
            conversion_capex_usd_per_mw=9_000_000.0,
            equipment_capex_usd_per_mw=29_000_000.0,
            equipment_residual_share=0.3,
            build_days=365,
        ),
        description="cal: IREN-Microsoft 5 yr, 20% prepayment, ~29 M$ of GPUs per MW; assumption: GPUs keep "
        "~30% of their cost after 5 years (resale or a follow-on contract)",
    )
    reference_rent_usd_per_kw_month: float = P(
        140.0,
        "USD/kW-month",
        "cal: recent miner leases ~100-160 $/kW-month; scales hyperscalers' cost of delay in bargaining "
        "(the going rent comes from signed contracts or, without any, hyperscalers' quotes)",
        gt=0,
        le=100_000,
    )
    reference_gpu_price_usd_per_kw_month: float = P(
        808.0, "USD/kW-month", "cal: 9.7 M$/MW-yr GPU cloud = 808 $/kW-month", gt=0, le=100_000
    )

    # Checked against the registry at load, like the rules: register_bargaining adds names scenarios may use.
    @field_validator("negotiation")
    @classmethod
    def _known_protocol(cls, name: str) -> str:
        return _registered(name, BARGAINING, "bargaining protocol")


class GridSection(Section):
    """Grid operators: prices, queues, demand response, large-load rules."""

    regions_file: str = P("", "path", "empty = packaged model/data/regions.toml")
    price_scale: float = P(1.0, "multiplier", "scales every region's mean power price", gt=0, le=10)
    dr_scale: float = P(1.0, "multiplier", "scales every demand-response payment", ge=0, le=10)
    scarcity_scale: float = P(1.0, "multiplier", "scales scarcity hours per year", ge=0, le=20)
    study_scale: float = P(1.0, "multiplier", "scales interconnection study times", gt=0, le=10)
    study_capacity_mw_per_month: float = P(
        400.0, "MW/month per region", "assumption: studies completed per month; backlog forms beyond", ge=1, le=1e6
    )
    day_shock_persistence: float = P(
        0.8,
        "AR(1) coefficient per day",
        "assumption: daily power-price shocks persist (weather, fuel; Weron 2006 ch. 2: daily spot prices are "
        "strongly autocorrelated); 0 = independent days; not estimated here, a sweep candidate",
        ge=0,
        le=0.99,
    )
    hour_shape_persistence: float = P(
        0.8,
        "AR(1) coefficient per day",
        "assumption: each hour of the day's price deviation persists to the same hour tomorrow (the intraday "
        "profile repeats; Weron 2006 ch. 2: hourly prices are most correlated at 24-hour lags); with "
        "day_shock_persistence 0.8 the lag-24h correlation of log prices is ~0.8; 0 = independent hours; not "
        "estimated here, a sweep candidate",
        ge=0,
        le=0.99,
    )
    load_price_scale: float = P(
        1.0,
        "multiplier",
        "scales every region's price response to load (regions.toml price_load_elasticity, derived from Woo et "
        "al. 2011 for ERCOT); 0 = prices ignore the model's load, as before 2026-12",
        ge=0,
        le=5,
    )
    supply_catchup_years: float = P(
        3.0,
        "years",
        "assumption: time constant over which a region's generation is built out to the load added in the model "
        "(new plant takes ~2-4 years to permit and build); until then added load raises prices",
        gt=0,
        le=30,
    )
    flexible_headroom_credit: float = P(
        0.8, "share", "econ: Grid -- curtailable load needs little peak headroom", ge=0, le=1
    )
    texas_rule_strict: bool = P(False, "flag", "cal: SB 6 (2025); strict = firm AI load needs shedable load")
    developer_bid_usd_per_mw: float = P(
        150_000.0, "USD/MW", "assumption: powered-land value to buyers outside the model (reserve bid)", ge=0, le=1e8
    )
    site_power_spread_usd_per_mwh: float = P(
        8.0,
        "USD/MWh",
        "assumption: sites' delivered power costs differ by contract and location (cal: miners' delivered "
        "cost median); each site's adder is drawn uniformly within +- this of its archetype's or parcel's",
        ge=0,
        le=100,
    )
    parcel_release_mw_per_year: float = P(
        0.25, "share of annual headroom growth", "assumption: powered parcels auctioned per year", ge=0, le=1
    )


class EntrySection(Section):
    """New mining capacity: entrant firms and incumbents' new sites (econ: Free entry)."""

    enabled: bool = P(True, "flag", "econ: free entry; false = no new firms and no new mining sites")
    interval_days: int = P(30, "days", "assumption: developers review regions monthly", ge=1, le=365)
    hurdle_premium: float = P(
        0.05,
        "1/yr",
        "assumption: entrants require more than incumbents' rate_mining (no track record, new sites)",
        ge=0,
        le=1,
    )
    capital_share_of_revenue: float = P(
        0.5,
        "share of the network's trailing-year mining revenue",
        "cal [derived]: miners raised 2.7 B$ in 2023 (~0.3x that year's ~9 B$ of mining revenue) and 12.3 B$ in "
        "2024 (~1.1x of ~11 B$); the capital market funds new mining capacity in proportion to what mining earns, "
        "at a mid-range share",
        ge=0,
        le=10,
    )
    site_mw: float = P(
        100.0, "MW", "assumption: an entrant's first site (cal: 60-400 MW sites in 2024 deals)", ge=1, le=5000
    )
    max_sites_per_round: int = P(
        4, "sites", "assumption: requests a developer pool files per region and round", ge=1, le=100
    )


class Archetype(Section):
    """A miner archetype from the seed, or the long tail."""

    name: str = P("tail", "label", "SF-5 / seed: The deals")
    count: int = P(1, "agents", "", ge=0, le=100_000)
    region: str = P("ERCOT", "region id", "model/data/regions.toml")
    mw: float = P(100.0, "MW per agent", "", ge=0, le=100_000)
    j_per_th: float = P(28.2, "J/TH fleet average", "cal: surveyed fleet average 28.2 J/TH (2024)", ge=1, le=200)
    convertible_share: float = P(0.2, "share of MW", "cal: ~20% of a portfolio convertible", ge=0, le=1)
    capex_multiplier: float = P(1.0, "x conversion capex", "site quality (cooling, power density)", gt=0, le=5)
    cash_usd_per_mw: float = P(300_000.0, "USD/MW", "assumption: balance sheets 2024", ge=0, le=1e9)
    debt_usd_per_mw: float = P(200_000.0, "USD/MW", "assumption", ge=0, le=1e9)
    btc_per_mw: float = P(2.0, "BTC/MW", "assumption", ge=0, le=10_000)
    hodl_share: float = P(0.2, "share of mined BTC kept", "assumption", ge=0, le=1)
    power_adder_usd_per_mwh: float = P(
        8.0, "USD/MWh over regional price", "cal: delivered cost median ~45 $/MWh", ge=-100, le=500
    )
    strategy: Literal["hold", "hybrid", "exit"] = P("hold", "initial strategy", "SF-5")
    sites: int = P(1, "sites per agent", "", ge=1, le=50)
    spread: Literal["none", "us", "non_us"] = P(
        "none", "placement", "none = one region; us/non_us = fill those regions' 2024 hashrate shares"
    )
    listed: bool = P(
        True,
        "flag",
        "assumption: publicly traded (SF-4 compares miners that 'trade'); the seed's firms and the US tail are "
        "US/Canada-listed, the rest-of-world fringe mostly private",
    )


def _default_miners() -> tuple[Archetype, ...]:
    # Seed archetypes (SF-5, seed: The deals) plus a US long tail and a rest-of-world fringe. MW are ballpark
    # 2024 public figures (IREN Childress ~400 MW; Core Scientific's Denton, the anchor CoreWeave campus;
    # CleanSpark mostly in the South-East, here MISO; MARA's Texas sites), kept within ERCOT's ~10% share of
    # 2024 hashrate; cash/debt/BTC per MW are assumptions that separate the archetypes. Where the 2024
    # campuses stood is an initial condition; where AI capacity goes from there is decided in the run.
    return (
        Archetype(
            name="early_pivoter_texas",
            region="ERCOT",
            mw=400,
            j_per_th=20.0,
            convertible_share=0.6,
            capex_multiplier=0.9,
            cash_usd_per_mw=500_000,
            debt_usd_per_mw=100_000,
            btc_per_mw=0.5,
            hodl_share=0.0,
            power_adder_usd_per_mwh=6,
            sites=2,
        ),
        Archetype(
            name="long_lease_landlord",
            region="ERCOT",
            mw=500,
            j_per_th=24.0,
            convertible_share=0.5,
            capex_multiplier=0.85,
            cash_usd_per_mw=400_000,
            debt_usd_per_mw=300_000,
            btc_per_mw=0.5,
            hodl_share=0.1,
            power_adder_usd_per_mwh=6,
            sites=3,
        ),
        Archetype(
            name="hybrid_gigawatt",
            region="MISO",
            mw=800,
            j_per_th=19.0,
            convertible_share=0.3,
            capex_multiplier=1.0,
            cash_usd_per_mw=300_000,
            debt_usd_per_mw=150_000,
            btc_per_mw=0.7,
            hodl_share=0.2,
            power_adder_usd_per_mwh=4,
            sites=4,
        ),
        Archetype(
            name="exiter_under_losses",
            region="QUEBEC",
            mw=400,
            j_per_th=32.0,
            convertible_share=0.15,
            capex_multiplier=1.3,
            cash_usd_per_mw=60_000,
            debt_usd_per_mw=350_000,
            btc_per_mw=0.2,
            hodl_share=0.0,
            power_adder_usd_per_mwh=16,
            sites=3,
        ),
        Archetype(
            name="holder_treasury",
            region="ERCOT",
            mw=450,
            j_per_th=22.0,
            convertible_share=0.1,
            capex_multiplier=1.4,
            cash_usd_per_mw=400_000,
            debt_usd_per_mw=600_000,
            btc_per_mw=18.0,
            hodl_share=1.0,
            power_adder_usd_per_mwh=12,
            sites=5,
        ),
        Archetype(
            name="us_tail",
            count=24,
            region="ERCOT",
            mw=120,
            j_per_th=28.0,
            convertible_share=0.2,
            cash_usd_per_mw=200_000,
            debt_usd_per_mw=250_000,
            btc_per_mw=1.0,
            hodl_share=0.2,
            power_adder_usd_per_mwh=10,
            spread="us",
        ),
        Archetype(
            name="row_fringe",
            count=36,
            region="RUSSIA",
            mw=350,
            j_per_th=30.0,
            convertible_share=0.05,
            cash_usd_per_mw=150_000,
            debt_usd_per_mw=100_000,
            btc_per_mw=0.5,
            hodl_share=0.1,
            power_adder_usd_per_mwh=-5,
            spread="non_us",
            listed=False,
        ),
    )


class Shock(Section):
    """An exogenous event the agents must respond to (what follows it is not scripted).

    ``ban``: mining becomes illegal in the regions (as China, May-June 2021): machines there must be sold off.
    ``power_price``: the regions' power prices are multiplied for ``duration_days`` (0 = for good).
    """

    date: dt.date = P(dt.date(2026, 1, 15), "date", "scenario")
    kind: Literal["ban", "power_price"] = P("ban", "name", "scenario")
    regions: tuple[str, ...] = P(("CHINA",), "region ids", "model/data/regions.toml", min_length=1)
    power_price_multiplier: float = P(1.0, "x", "for kind = power_price", ge=0, le=100)
    duration_days: int = P(0, "days", "0 = permanent", ge=0, le=36_500)


class Scenario(Section):
    """A complete HashPivot scenario."""

    name: str = P("baseline", "label", "runs/baseline.toml")
    description: str = P("", "text", "")
    run: RunSection = Field(default_factory=RunSection)
    bitcoin: BitcoinSection = Field(default_factory=BitcoinSection)
    price: PriceSection = Field(default_factory=PriceSection)
    mining: MiningSection = Field(default_factory=MiningSection)
    finance: FinanceSection = Field(default_factory=FinanceSection)
    ai: AiMarketSection = Field(default_factory=AiMarketSection)
    grid: GridSection = Field(default_factory=GridSection)
    entry: EntrySection = Field(default_factory=EntrySection)
    firms: FirmsSection = Field(default_factory=FirmsSection)
    miners: tuple[Archetype, ...] = Field(default_factory=_default_miners)
    rules: RulesSection = Field(default_factory=lambda: RulesSection())
    shocks: tuple[Shock, ...] = Field(default=(), description="list; exogenous events, in date order")

    @field_validator("shocks")
    @classmethod
    def _shocks_not_before_start(cls, shocks: tuple[Shock, ...], info: ValidationInfo) -> tuple[Shock, ...]:
        # A shock dated before the run would silently never happen (apply_shocks fires on its day): refuse it.
        run = info.data.get("run")
        if run is None:  # run itself was invalid: that error is reported
            return shocks
        for i, shock in enumerate(shocks):
            if shock.date < run.start_date:
                raise ValueError(
                    f"shocks.{i}.date {shock.date.isoformat()} is before run.start_date "
                    f"{run.start_date.isoformat()} (accepted: a date on or after run.start_date)"
                )
        return shocks

    @model_validator(mode="after")
    def _check(self):
        if self.price.kind in ("csv", "csv_gbm") and not self.price.csv_path:
            raise ValueError(
                f"price.csv_path is required when price.kind = '{self.price.kind}' "
                "(accepted: a CSV file 'date,price_usd', relative to the scenario file)"
            )
        return self


class RulesSection(Section):
    """Decision rules and mechanisms, picked by name from registries (agents/rules.py, model/markets/)."""

    strategy: str = P("npv", "rule name", "econ: Decisions as risk-adjusted present values")
    auction: str = P("second_price", "mechanism name", "Vickrey (1961) sealed-bid second-price auction")

    # Checked against the registries when a scenario is loaded, not when the first miner decides: a name
    # registered later (register_strategy_rule, register_auction) is accepted from then on.
    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, name: str) -> str:
        return _registered(name, STRATEGY_RULES, "strategy rule")

    @field_validator("auction")
    @classmethod
    def _known_auction(cls, name: str) -> str:
        return _registered(name, AUCTIONS, "auction mechanism")


def _registered(name: str, registry: dict, what: str) -> str:
    if name not in registry:
        raise ValueError(f"{name!r} is not a registered {what} (accepted: {', '.join(sorted(registry))})")
    return name


Scenario.model_rebuild()
