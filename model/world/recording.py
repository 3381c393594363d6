"""What is measured each day, and the per-agent panel: read-only views of the model's state.

Fleet-state MW are counted over *pivot* sites -- sites held by miners, or bought from the market by
hyperscalers -- and not over hyperscalers' own greenfield campuses, which are reported separately
(``mw_ai_greenfield``). AI MW shares count committed AI capacity (converting + leased) on pivot sites.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np

from hashpivot.model.world import ai_ledger
from hashpivot.model.world.metrics import hhi, market_cap_usd, nakamoto_coefficient, shares, valuation_per_mw
from hashpivot.model.world.sites import Owner

COLUMNS = (
    "day",
    "block_height",
    "btc_price_usd",
    "network_hashrate_ehs",
    "difficulty",
    "blocks",
    "subsidy_btc",
    "fees_btc_per_day",
    "hashprice_usd_per_ph_day",
    "mw_mining",
    "mw_curtailed",
    "mw_idle",
    "mw_converting",
    "mw_ai_leased",
    "mw_unbuilt",
    "mw_ai_greenfield",
    "miners_hold",
    "miners_hybrid",
    "miners_exit",
    "miners_converting",
    "btc_revenue_share",
    "mining_revenue_usd",
    "ai_revenue_usd",
    "dr_payments_usd",
    "revenue_usd_per_mw_day_ai",
    "revenue_usd_per_mw_day_mining",
    "valuation_usd_per_mw_ai_focused",
    "valuation_usd_per_mw_btc_focused",
    "market_cap_usd_per_mw_ai_focused",
    "market_cap_usd_per_mw_btc_focused",
    "hashrate_share_us",
    "hashrate_share_texas",
    "ai_mw_share_us",
    "ai_mw_share_texas",
    "hhi_hashrate_region",
    "hhi_ai_mw_region",
    "nakamoto_coefficient_region",
    "leases_signed_total",
    "lease_mw_signed_total",
    "lease_rent_usd_per_kw_month_mean",
    "gpu_cloud_price_usd_per_kw_month_mean",
    "ai_demand_mw",
    "ai_demand_planned_mw",
    "ai_capacity_secured_mw",
    "ai_capacity_live_mw",
    "queue_mw_pending",
    "queue_wait_days_firm_ercot",
    "miner_cash_usd_total",
    "miner_debt_usd_total",
    "miner_btc_total",
    "hashprice_expected_usd_per_ph_day",
    "hash_supply_elasticity",
    "miners_active",
    "miners_entered_total",
    "mw_entered_total",
    "mw_mining_capacity",
    "mw_hibernating",
    "mw_mining_queue_pending",
    "asic_price_usd_per_th_new",
    "asic_j_per_th_new",
    "asic_price_usd_per_th_used",
    "used_asic_th_sold_total",
    "used_asic_mw_on_offer",
    "used_asic_th_scrapped_total",
    "mw_relocated_total",
    "mw_idle_profitable_90d",
    "miners_defaulted_total",
    "miners_wound_down_total",
    "payouts_usd_total",
    "debt_written_off_usd_total",
    "miners_restructured_total",
    "acquisitions_total",
    "debt_to_equity_usd_total",
    "acquisitions_usd_total",
    "miners_in_model",
)
LAST_FIXED_COLUMN = COLUMNS[-1]  # the region price columns follow


def region_columns(region_ids) -> tuple[str, ...]:
    """One daily power-price column per region: ``power_price_usd_per_mwh_<lower-case region id>``."""
    return tuple(f"power_price_usd_per_mwh_{r.lower()}" for r in region_ids)


def _packaged_region_ids() -> tuple[str, ...]:
    with (Path(__file__).parents[1] / "data" / "regions.toml").open("rb") as fh:
        return tuple(tomllib.load(fh)["regions"])


COLUMNS = COLUMNS + region_columns(_packaged_region_ids())
"""The daily columns of a run on the packaged regions, in order (units in the names); ``daily_row`` fills
them. A run on another regions file has that file's price columns instead (``columns_for``)."""


def columns_for(region_ids) -> tuple[str, ...]:
    """The daily columns of a run on regions ``region_ids``."""
    return COLUMNS[: COLUMNS.index(LAST_FIXED_COLUMN) + 1] + region_columns(region_ids)


PANEL_INTERVAL_DAYS = 30
WAIT_PROBE_MW = 100.0
PROFITABLE_DAYS = 90  # idle capacity counts as an artefact once mining there has paid this long


class IdleWatch:
    """How long new machines have paid at each site (for ``mw_idle_profitable_90d``).

    "Paid" is the investment test: the newest machines' NPV there, to the site's owner, exceeds what they
    cost -- not merely a positive running margin, which a falling market can show while no purchase pays.
    """

    def __init__(self) -> None:
        self.days = np.zeros(0, dtype=np.int64)

    def update(self, m) -> float:
        """Count today, and return the MW left idle or hibernating where mining has paid for 90+ days."""
        s, n = m.sites, m.sites.n
        if self.days.size < n:
            self.days = np.concatenate([self.days, np.zeros(n - self.days.size, dtype=np.int64)])
        mining_site = (s.owner_kind[:n] == Owner.MINER) & s.energised[:n] & ~s.greenfield[:n]
        # A site sold to a non-mining buyer and being vacated is leaving mining: its freed MW are the buyer's.
        mining_site &= ~m.site_market.handing_over_mask(n)
        sites = np.flatnonzero(mining_site)
        paying = np.zeros(n, dtype=bool)
        if sites.size:
            banned = np.array([go.mining_banned for go in m.grid.operators])
            cost = m.technology.cost_usd_per_mw(m.technology.newest(m.date).j_per_th)
            gain = m.valuations.site_new_npv_per_mw_all()[sites] - cost
            paying[sites] = (gain > 0) & ~banned[s.region[sites]]
        self.days[:n] = np.where(paying, self.days[:n] + 1, 0)
        pending = m.fleet.pending_mw(n, m.day)
        unused = np.maximum(s.idle_mw() - pending, 0.0) + s.hibernating_mw[:n]
        return float(unused[self.days[:n] >= PROFITABLE_DAYS].sum())


def daily_row(m) -> dict[str, float]:
    """One day's metrics (``COLUMNS``), read from the model and its ``DayResult`` (``m.today``)."""
    res, s, n = m.today.chain, m.sites, m.sites.n
    states = s.state_mw()
    pivot = (s.owner_kind[:n] != Owner.NONE) & ~s.greenfield[:n]
    row = {
        "day": m.day,
        "block_height": m.network.height,
        "btc_price_usd": m.btc_price_usd,
        "network_hashrate_ehs": m.today.network_ph / 1_000.0,
        "difficulty": m.network.difficulty,
        "blocks": res.blocks,
        "subsidy_btc": res.subsidy_btc,
        "fees_btc_per_day": res.fees_btc,
        "hashprice_usd_per_ph_day": res.hashprice_usd_per_ph_day,
        "mw_ai_greenfield": float((s.ai_mw[:n] + s.converting_mw[:n])[s.greenfield[:n]].sum()),
    }
    for state in ("mining", "curtailed", "hibernating", "idle", "converting", "unbuilt"):
        row[f"mw_{state}"] = float(states[state][pivot].sum())
    row["mw_ai_leased"] = float(states["ai_leased"][pivot].sum())
    row.update(_strategies(m))
    row.update(_revenue(m, states))
    row.update(_concentration(m, pivot))
    row.update(_leases_and_grid(m))
    row.update(ai_ledger.totals(m))
    row.update(_power_prices(m))
    acc = m.accounts
    row.update(
        miner_cash_usd_total=float(acc.cash_usd.sum()),
        miner_debt_usd_total=float(acc.debt_usd.sum()),
        miner_btc_total=float(acc.btc.sum()),
    )
    row.update(_supply(m, states, pivot))
    return row


def _supply(m, states, pivot) -> dict[str, float]:
    """Entry, the fleet's states, and the markets for new and used machines."""
    f = m.fleet
    installed = f.installed(m.day)
    miners_active = np.count_nonzero(np.bincount(f.owner[: f.n][installed]))  # owners with MW, without a sort
    gen = m.technology.newest(m.date)
    market = m.machine_market
    return {
        "hashprice_expected_usd_per_ph_day": m.hashprice_expected,
        "hash_supply_elasticity": m.hash_supply.elasticity,
        "miners_active": int(miners_active),
        "miners_entered_total": m.entry.entered_total,
        "mw_entered_total": m.entry.mw_entered_total,
        "mw_mining_capacity": float(f.mw[: f.n][installed].sum()),
        "mw_mining_queue_pending": m.entry.pending_mw(),
        "asic_price_usd_per_th_new": m.technology.price_usd_per_th(gen.j_per_th),
        "asic_j_per_th_new": gen.j_per_th,
        "asic_price_usd_per_th_used": market.used_price_usd_per_th(),
        "used_asic_th_sold_total": market.th_sold_total,
        "used_asic_mw_on_offer": market.lot_mw_on_offer(),
        "used_asic_th_scrapped_total": market.th_scrapped_total,
        "mw_relocated_total": market.mw_relocated_total,
        "mw_idle_profitable_90d": m.idle_watch.update(m),
        **_firms(m),
    }


def _firms(m) -> dict[str, float]:
    """Firms' fates and capital returns, as running totals."""
    t = m.solvency
    return {
        "miners_defaulted_total": t.defaulted_total,
        "miners_wound_down_total": t.wound_down_total,
        "miners_restructured_total": t.restructurings_total,
        "acquisitions_total": t.acquisitions_total,
        "payouts_usd_total": t.payouts_usd_total,
        "debt_written_off_usd_total": t.debt_written_off_usd_total,
        "debt_to_equity_usd_total": t.debt_to_equity_usd_total,
        "acquisitions_usd_total": t.acquisitions_usd_total,
        "miners_in_model": len(m.miners),
    }


def _per_miner(m, values: np.ndarray) -> np.ndarray:
    s, n = m.sites, m.sites.n
    mine = s.owner_kind[:n] == Owner.MINER
    return np.bincount(s.owner[:n][mine], weights=values[mine], minlength=m.accounts.n)


def _strategies(m) -> dict[str, float]:
    """Firms by strategy, those that have left the model included.

    A firm that exited counts as "exit" after it has gone too (that is the strategy it chose); a firm taken
    over counts no more (its sites and fleet are its buyer's).
    """
    counts = {"hold": 0, "hybrid": 0, "exit": 0}
    for miner in m.all_miners():
        if miner.status != "acquired":
            counts[miner.strategy] += 1
    converting = _per_miner(m, m.sites.converting_mw[: m.sites.n]) > 0
    return {
        "miners_hold": counts["hold"],
        "miners_hybrid": counts["hybrid"],
        "miners_exit": counts["exit"],
        "miners_converting": int(converting.sum()),
    }


def _revenue(m, states) -> dict[str, float]:
    t, s, n = m.today, m.sites, m.sites.n
    mining, ai, dr = float(t.mined_usd.sum()), float(t.ai_revenue_usd.sum()), float(t.dr_usd.sum())
    total = mining + ai + dr
    # Per MW actually producing on both sides: mining MW that ran (curtailed MW earn nothing), AI MW in service.
    running_mw = float(states["mining"].sum())
    capacity = _per_miner(m, s.capacity_mw[:n])
    ai_mw = _per_miner(m, s.ai_mw[:n] + s.converting_mw[:n])
    mining_mw = _per_miner(m, s.machine_mw[:n])
    # The peers are listed going concerns: a firm in default is its creditors' estate, its shares worth nothing.
    peers = m.listed & m.firms_active()
    v_ai, v_btc = valuation_per_mw(m.ev_usd, capacity, ai_mw, mining_mw, peers)
    acc = m.accounts
    cap_usd = market_cap_usd(m.ev_usd, acc.cash_usd, acc.btc * m.btc_price_usd, acc.debt_usd)
    e_ai, e_btc = valuation_per_mw(cap_usd, capacity, ai_mw, mining_mw, peers)
    return {
        "btc_revenue_share": mining / total if total > 0 else float("nan"),
        "mining_revenue_usd": mining,
        "ai_revenue_usd": ai,
        "dr_payments_usd": dr,
        "revenue_usd_per_mw_day_ai": ai / t.ai_mw_active if t.ai_mw_active > 0 else float("nan"),
        "revenue_usd_per_mw_day_mining": mining / running_mw if running_mw > 0 else float("nan"),
        "valuation_usd_per_mw_ai_focused": v_ai,
        "valuation_usd_per_mw_btc_focused": v_btc,
        "market_cap_usd_per_mw_ai_focused": e_ai,
        "market_cap_usd_per_mw_btc_focused": e_btc,
    }


def _concentration(m, pivot: np.ndarray) -> dict[str, float]:
    s, n, t = m.sites, m.sites.n, m.regions
    r = len(t.ids)
    hash_by_region = m.today.hashrate_ph_by_region
    ai = np.where(pivot, s.ai_mw[:n] + s.converting_mw[:n], 0.0)
    ai_by_region = np.bincount(s.region[:n], weights=ai, minlength=r)
    texas = t.index["ERCOT"]
    hs, ais = shares(hash_by_region), shares(ai_by_region)
    return {
        "hashrate_share_us": float(hs[t.is_us].sum()),
        "hashrate_share_texas": float(hs[texas]),
        "ai_mw_share_us": float(ais[t.is_us].sum()) if ai_by_region.sum() > 0 else float("nan"),
        "ai_mw_share_texas": float(ais[texas]) if ai_by_region.sum() > 0 else float("nan"),
        "hhi_hashrate_region": hhi(hash_by_region),
        "hhi_ai_mw_region": hhi(ai_by_region),
        "nakamoto_coefficient_region": nakamoto_coefficient(hash_by_region),
    }


def _leases_and_grid(m) -> dict[str, float]:
    ercot = m.grid.operators[m.regions.index["ERCOT"]]
    count, mw, colo_rent, gpu_price = m.leases.signed_summary()
    return {
        "leases_signed_total": count,
        "lease_mw_signed_total": mw,
        "lease_rent_usd_per_kw_month_mean": colo_rent,
        "gpu_cloud_price_usd_per_kw_month_mean": gpu_price,
        "queue_mw_pending": m.grid.pending_mw(),
        "queue_wait_days_firm_ercot": ercot.expected_wait_days(WAIT_PROBE_MW, firm=True),
    }


def agent_rows(m, miners=None) -> list[dict]:
    """A snapshot of every miner in the model (or of ``miners``): holdings, strategy, last choice, revenue mix.

    A firm leaving the model gets one last row, on the day it goes, with its final status (``retire_miner``).
    """
    s, acc = m.sites, m.accounts
    per = {name: _per_miner(m, arr) for name, arr in s.state_mw().items()}
    rows = []
    for miner in m.miners if miners is None else miners:
        i = miner.idx
        rev = m.panel_revenue[i]
        total = rev.sum()
        values = miner.last_choice.values_usd if miner.last_choice else {}
        held = miner.sites
        main = int(s.region[held[np.argmax(s.capacity_mw[held])]]) if held.size else -1
        rows.append(
            {
                "day": m.day,
                "date": m.date.isoformat(),
                "agent_id": miner.unique_id,
                "archetype": miner.archetype,
                "region": m.regions.ids[main] if main >= 0 else "",
                "strategy": miner.strategy,
                "status": miner.status,
                "converting": bool(per["converting"][i] > 0),
                **{f"mw_{k}": float(v[i]) for k, v in per.items()},
                "cash_usd": float(acc.cash_usd[i]),
                "debt_usd": float(acc.debt_usd[i]),
                "btc": float(acc.btc[i]),
                "btc_revenue_share": float(rev[0] / total) if total > 0 else float("nan"),
                "revenue_mining_usd": float(rev[0]),
                "revenue_ai_usd": float(rev[1]),
                "revenue_dr_usd": float(rev[2]),
                "npv_hold_usd": values.get("hold", float("nan")),
                "npv_hybrid_usd": values.get("hybrid", float("nan")),
                "npv_exit_usd": values.get("exit", float("nan")),
                "reason": miner.last_choice.reason if miner.last_choice else "",
                "ev_usd": float(m.ev_usd[i]),
                "market_cap_usd": float(
                    market_cap_usd(m.ev_usd[i], acc.cash_usd[i], acc.btc[i] * m.btc_price_usd, acc.debt_usd[i])
                ),
                "listed": miner.listed,
                "first_lease_day": miner.first_lease_day,
                "exit_day": miner.exit_day,
                "first_move_day": miner.first_move_day,
                "initial_j_per_th": miner.initial_j_per_th,
            }
        )
    return rows


def _power_prices(m) -> dict[str, float]:
    """Each region's day-average cleared price, weighted by load: the region's own plus the model's, hour by hour."""
    g = m.grid
    load = m.regions.column("system_load_mw")[:, None] + (0.0 if g.hour_load_mw is None else g.hour_load_mw)
    mean = (g.hour_price_usd_per_mwh * load).sum(axis=1) / load.sum(axis=1)
    return dict(zip(region_columns(m.regions.ids), map(float, mean), strict=True))
