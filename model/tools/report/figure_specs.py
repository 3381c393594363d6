"""What the standard figures show: their panels and lines (drawn by ``figures``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    """One series on a panel."""

    column: str
    label: str
    scale: float = 1.0


@dataclass(frozen=True)
class Panel:
    """One axes: a y label and its lines."""

    ylabel: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class FigureSpec:
    """A figure: file name, title, caption and panels stacked vertically."""

    name: str
    title: str
    caption: str
    panels: tuple[Panel, ...]


FIGURES = (
    FigureSpec(
        "network",
        "Network hashrate and difficulty",
        "Network hashrate (what the miners' running fleets hash), the difficulty set by Bitcoin's retarget rule "
        "every 2,016 blocks, and the hash supply's elasticity to hashprice on each retarget period's first day "
        "(above 1 each retarget overshoots the last and the difficulty cycle grows; ~0.16 observed at the April "
        "2024 halving).",
        (
            Panel("hashrate, EH/s", (Line("network_hashrate_ehs", "network hashrate"),)),
            Panel("difficulty, T", (Line("difficulty", "difficulty", 1e-12),)),
            Panel("elasticity", (Line("hash_supply_elasticity", "hash supply elasticity"),)),
        ),
    ),
    FigureSpec(
        "prices",
        "Hashprice and BTC price",
        "Hashprice (USD earned per PH/s per day, an output) and the BTC price path (an input).",
        (
            Panel("hashprice, USD/PH/day", (Line("hashprice_usd_per_ph_day", "hashprice"),)),
            Panel("BTC price, k USD", (Line("btc_price_usd", "BTC price", 1e-3),)),
        ),
    ),
    FigureSpec(
        "strategy_mix",
        "Strategy mix",
        "Miners by strategy (hold, hybrid, exit) and miners with MW converting to AI.",
        (
            Panel(
                "miners",
                (
                    Line("miners_hold", "hold"),
                    Line("miners_hybrid", "hybrid"),
                    Line("miners_exit", "exit"),
                    Line("miners_converting", "converting"),
                ),
            ),
        ),
    ),
    FigureSpec(
        "mw_by_state",
        "Capacity by state",
        "MW of miners' and bought sites by state: mining, curtailed, converting to AI, leased to AI.",
        (
            Panel(
                "MW",
                (
                    Line("mw_mining", "mining"),
                    Line("mw_curtailed", "curtailed"),
                    Line("mw_converting", "converting"),
                    Line("mw_ai_leased", "AI-leased"),
                ),
            ),
        ),
    ),
    FigureSpec(
        "revenue_mix",
        "Revenue mix",
        "BTC share of miners' revenue, and revenue by source per day.",
        (
            Panel("BTC share of revenue, %", (Line("btc_revenue_share", "BTC share", 100.0),)),
            Panel(
                "revenue, M USD/day",
                (
                    Line("mining_revenue_usd", "mining", 1e-6),
                    Line("ai_revenue_usd", "AI", 1e-6),
                    Line("dr_payments_usd", "demand response", 1e-6),
                ),
            ),
        ),
    ),
    FigureSpec(
        "concentration",
        "Geographic concentration",
        "US and Texas shares of network hashrate and of AI MW (converting + leased on pivot "
        "sites), and the Herfindahl-Hirschman index over regions.",
        (
            Panel(
                "share, %",
                (
                    Line("hashrate_share_us", "hashrate US", 100.0),
                    Line("hashrate_share_texas", "hashrate Texas", 100.0),
                    Line("ai_mw_share_us", "AI MW US", 100.0),
                    Line("ai_mw_share_texas", "AI MW Texas", 100.0),
                ),
            ),
            Panel(
                "HHI over regions",
                (Line("hhi_hashrate_region", "hashrate"), Line("hhi_ai_mw_region", "AI MW")),
            ),
        ),
    ),
    FigureSpec(
        "leases",
        "Leases",
        "Leases signed (cumulative count and MW) and the mean colocation rent.",
        (
            Panel("leases signed", (Line("leases_signed_total", "leases"),)),
            Panel("MW signed", (Line("lease_mw_signed_total", "MW"),)),
            Panel("rent, USD/kW-month", (Line("lease_rent_usd_per_kw_month_mean", "mean rent"),)),
        ),
    ),
    FigureSpec(
        "ai_capacity",
        "AI demand and secured capacity",
        "Hyperscalers' AI demand today and at the live date of their last greenfield plan, the capacity they have "
        "secured (leased, bought, greenfield live, building and queued, each MW once) and what is live. Secured "
        "capacity above planned demand by more than a block per hyperscaler would be over-ordering "
        "(hashpivot diagnose checks it).",
        (
            Panel(
                "AI capacity, GW",
                (
                    Line("ai_demand_mw", "demand today", 1e-3),
                    Line("ai_demand_planned_mw", "demand at plan date", 1e-3),
                    Line("ai_capacity_secured_mw", "secured", 1e-3),
                    Line("ai_capacity_live_mw", "live", 1e-3),
                ),
            ),
        ),
    ),
    FigureSpec(
        "entry",
        "Entry and mining capacity",
        "Mining capacity (MW of machines installed: running or hibernating), MW of them hibernating, MW of "
        "new mining sites (entrants' and incumbents') waiting in interconnection queues, and MW entered: new "
        "mining sites connected plus sites entrants bought (cumulative); firms with machines installed, and "
        "entrant firms (cumulative).",
        (
            Panel(
                "capacity, MW",
                (Line("mw_mining_capacity", "mining capacity"), Line("mw_hibernating", "hibernating")),
            ),
            Panel(
                "entry, MW",
                (
                    Line("mw_mining_queue_pending", "queued for connection"),
                    Line("mw_entered_total", "entered (cumulative)"),
                ),
            ),
            Panel(
                "firms",
                (
                    Line("miners_active", "with machines installed"),
                    Line("miners_entered_total", "entrants (cumulative)"),
                ),
            ),
        ),
    ),
    FigureSpec(
        "asic_market",
        "ASIC market",
        "Price of the newest ASIC generation and the used-machine price (TH-weighted mean of the last 30 "
        "days' trades; gaps: nothing traded), in USD per TH/s; used machines sold and machines scrapped "
        "unsold (cumulative, EH/s of hashrate); MW of machines moved to another region by a sale (cumulative).",
        (
            Panel(
                "ASIC price, USD/TH",
                (Line("asic_price_usd_per_th_new", "new"), Line("asic_price_usd_per_th_used", "used")),
            ),
            Panel(
                "machines, EH/s (cumulative)",
                (
                    Line("used_asic_th_sold_total", "used, sold", 1e-6),
                    Line("used_asic_th_scrapped_total", "scrapped unsold", 1e-6),
                ),
            ),
            Panel("MW relocated (cumulative)", (Line("mw_relocated_total", "relocated"),)),
        ),
    ),
    FigureSpec(
        "firms",
        "Firms: defaults, restructurings, takeovers, payouts",
        "Firms' fates (cumulative counts): firms that defaulted, covenant restructurings (debt swapped for "
        "equity), acquisitions (takeovers of whole firms and estate sales of defaulted firms) and firms wound "
        "down and paid out; the capital that moved (cumulative, B USD): returned to shareholders (buybacks and "
        "wind-down residuals), lost by creditors, swapped from debt to equity, and paid in acquisitions; and the "
        "firms still in the model (a firm leaves it once wound down, acquired, or liquidated after a default).",
        (
            Panel(
                "count (cumulative)",
                (
                    Line("miners_defaulted_total", "defaulted"),
                    Line("miners_restructured_total", "restructured"),
                    Line("acquisitions_total", "acquisitions"),
                    Line("miners_wound_down_total", "wound down"),
                ),
            ),
            Panel(
                "B USD (cumulative)",
                (
                    Line("payouts_usd_total", "paid out to shareholders", 1e-9),
                    Line("debt_written_off_usd_total", "debt written off", 1e-9),
                    Line("debt_to_equity_usd_total", "debt swapped for equity", 1e-9),
                    Line("acquisitions_usd_total", "paid in acquisitions", 1e-9),
                ),
            ),
            Panel("firms in the model", (Line("miners_in_model", "in the model"),)),
        ),
    ),
)
