"""The initial world: miners, their sites and machines, from the scenario's archetypes and the regions' data.

Named archetypes (the seed's early pivoter, landlord, gigawatt hybrid, exiter, holder) are placed as stated.
*Spread* archetypes -- the US long tail and the rest-of-world fringe -- then fill each region up to its 2024
share of the network's hashrate (regions.toml, calibration.md "Geography"), so the run starts from the
observed geography and level (~650 EH/s, April 2024). Only the start is placed; what follows is decided.
A hashrate of H EH/s at e J/TH draws H x e MW.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hashpivot.model.world.sites import Cooling, Owner

TAIL_EFFICIENCY_SPREAD = 0.15  # +-15% around the archetype's J/TH: the tail's vintages differ
INITIAL_MACHINE_USD_PER_TH = 15.0  # assumption: book value of 2022-23 machines, for salvage


@dataclass(frozen=True)
class MinerSpec:
    """One miner to create, with the sites it starts with."""

    archetype: str
    strategy: str
    hodl_share: float
    cash_usd: float
    debt_usd: float
    btc: float
    sites: tuple[dict, ...]
    listed: bool = True


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Split ``total`` agents over weights, at least one where the weight is positive."""
    positive = weights > 0
    if total <= 0 or not positive.any():
        return np.zeros(weights.size, int)
    if total < positive.sum():
        counts = np.zeros(weights.size, int)
        counts[np.argsort(-weights)[:total]] = 1
        return counts
    raw = weights / weights.sum() * (total - positive.sum())
    counts = np.floor(raw).astype(int) + positive
    rest = total - counts.sum()
    counts[np.argsort(-(raw - np.floor(raw)))[:rest]] += 1
    return counts


def miner_specs(scenario, regions, rng: np.random.Generator) -> list[MinerSpec]:
    """Every miner of the initial population, named archetypes first."""
    table, unbuilt = regions, scenario.mining.unbuilt_share
    specs: list[MinerSpec] = []
    placed_ehs = np.zeros(len(table.ids))
    for a in scenario.miners:
        if a.spread != "none":
            continue
        r = table.index[a.region]
        for _ in range(a.count):
            specs.append(_spec(a, r, a.mw, a.j_per_th, a.convertible_share, unbuilt, rng, jitter=False))
            placed_ehs[r] += a.mw / a.j_per_th
    target = table.column("hashrate_share_2024") * scenario.run.initial_network_ehs
    room = np.maximum(target - placed_ehs, 0.0)
    for scope in ("us", "non_us"):
        group = [a for a in scenario.miners if a.spread == scope and a.count > 0]
        in_scope = table.is_us if scope == "us" else ~table.is_us
        total = sum(a.count for a in group)
        for a in group:  # archetypes sharing a scope share its room in proportion to their counts
            need_ehs = np.where(in_scope, room, 0.0) * a.count / total
            counts = _largest_remainder(need_ehs, a.count)
            for r in np.flatnonzero(counts):
                for _ in range(counts[r]):
                    mw = need_ehs[r] / counts[r] * a.j_per_th
                    conv = float(table.column("convertible_share")[r])
                    specs.append(_spec(a, int(r), mw, a.j_per_th, conv, unbuilt, rng, jitter=True))
    return specs


def _spec(
    a,
    region: int,
    mw: float,
    j_per_th: float,
    convertible_share: float,
    unbuilt_share: float,
    rng: np.random.Generator,
    jitter: bool,
) -> MinerSpec:
    if jitter:  # vintages differ; keep the hashrate the region needs by scaling MW with J/TH
        factor = 1.0 + TAIL_EFFICIENCY_SPREAD * (2.0 * rng.random() - 1.0)
        j_per_th *= factor
        mw *= factor
    per_site = mw / a.sites
    cooling = Cooling.HYDRO if a.capex_multiplier < 1.0 else Cooling.AIR
    sites = tuple(
        {
            "region": region,
            "machine_mw": per_site,
            "capacity_mw": per_site / (1.0 - unbuilt_share),
            "j_per_th": j_per_th,
            "convertible_share": convertible_share,
            "capex_multiplier": a.capex_multiplier,
            "power_adder_usd_per_mwh": a.power_adder_usd_per_mwh,
            "cooling": cooling,
        }
        for _ in range(a.sites)
    )
    return MinerSpec(
        a.name,
        a.strategy,
        a.hodl_share,
        a.cash_usd_per_mw * mw,
        a.debt_usd_per_mw * mw,
        a.btc_per_mw * mw,
        sites,
        a.listed,
    )


def place_sites(spec: MinerSpec, miner_idx: int, sites, fleet) -> None:
    """Create a miner's sites (energised, machines on the built part) and its initial machine batches."""
    for s in spec.sites:
        i = sites.add(
            region=s["region"],
            capacity_mw=s["capacity_mw"],
            owner_kind=Owner.MINER,
            owner=miner_idx,
            energised=True,
            power_adder_usd_per_mwh=s["power_adder_usd_per_mwh"],
            cooling=s["cooling"],
            convertible_mw=s["convertible_share"] * s["capacity_mw"],
            capex_multiplier=s["capex_multiplier"],
        )
        sites.unbuilt_mw[i] = s["capacity_mw"] - s["machine_mw"]
        sites.machine_mw[i] = s["machine_mw"]
        th = s["machine_mw"] * 1e6 / s["j_per_th"]
        fleet.add(
            site=i,
            owner=miner_idx,
            mw=s["machine_mw"],
            j_per_th=s["j_per_th"],
            cost_usd=th * INITIAL_MACHINE_USD_PER_TH,
            online_day=-1,
        )
