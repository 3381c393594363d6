"""Sites: powered parcels in a region, held as struct-of-arrays so daily accounting is vectorised.

Every MW of a site is in exactly one state. Four states are stored (unbuilt, converting, AI-leased, and the
MW carrying machines); the day splits the machine MW into *mining* and *curtailed* by the share of hours the
machines ran, and whatever is left of the capacity is *idle* (energised, nothing running on it). Storing the
rest as a remainder keeps the invariant "the states sum to the capacity" true by construction; ``check()``
guards the one thing that can still go wrong -- a state going negative.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from hashpivot.model.world.arrays import grown

MW_DUST = 1e-9  # MW: float residue of adding and later removing the same MW; a state below it is empty

STATES = ("mining", "curtailed", "hibernating", "idle", "converting", "ai_leased", "unbuilt")


class Owner(IntEnum):
    """Who holds a site."""

    NONE = 0  # the grid operator's parcel, not yet sold
    MINER = 1
    HYPERSCALER = 2


class Cooling(IntEnum):
    """Cooling type: liquid-cooled halls convert to high-density AI racks more cheaply (seed: Hut 8)."""

    AIR = 0
    HYDRO = 1


@dataclass
class SiteBook:
    """All sites of the world, one index per site; arrays grow by doubling as parcels are added."""

    n: int = 0
    region: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    owner_kind: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    owner: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # index within the owner kind
    capacity_mw: np.ndarray = field(default_factory=lambda: np.zeros(0))
    energised: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # interconnection in service
    power_adder_usd_per_mwh: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cooling: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    convertible_mw: np.ndarray = field(default_factory=lambda: np.zeros(0))  # MW that could host AI
    capex_multiplier: np.ndarray = field(default_factory=lambda: np.zeros(0))
    unbuilt_mw: np.ndarray = field(default_factory=lambda: np.zeros(0))
    converting_mw: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ai_mw: np.ndarray = field(default_factory=lambda: np.zeros(0))
    machine_mw: np.ndarray = field(default_factory=lambda: np.zeros(0))  # MW carrying installed ASICs
    hibernating_mw: np.ndarray = field(default_factory=lambda: np.zeros(0))  # of which switched off for now
    curtailed_share: np.ndarray = field(default_factory=lambda: np.zeros(0))  # of running machine MW, today
    for_sale: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    greenfield: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # a hyperscaler's new campus

    _ARRAYS = (
        "region",
        "owner_kind",
        "owner",
        "capacity_mw",
        "energised",
        "power_adder_usd_per_mwh",
        "cooling",
        "convertible_mw",
        "capex_multiplier",
        "unbuilt_mw",
        "converting_mw",
        "ai_mw",
        "machine_mw",
        "hibernating_mw",
        "curtailed_share",
        "for_sale",
        "greenfield",
    )

    version: int = 0  # bumped whenever ownership or the set of sites changes
    _owned_cache: dict = field(default_factory=dict)

    def add(
        self,
        *,
        region: int,
        capacity_mw: float,
        owner_kind: Owner,
        owner: int,
        energised: bool,
        power_adder_usd_per_mwh: float,
        cooling: Cooling,
        convertible_mw: float,
        capex_multiplier: float,
    ) -> int:
        """Add a site with all its MW unbuilt; return its index."""
        if self.n == self.region.size:
            size = max(16, 2 * self.n)
            for name in self._ARRAYS:
                setattr(self, name, grown(getattr(self, name), size))
        i = self.n
        self.n += 1
        self.region[i], self.capacity_mw[i] = region, capacity_mw
        self.owner_kind[i], self.owner[i] = owner_kind, owner
        self.energised[i], self.power_adder_usd_per_mwh[i] = energised, power_adder_usd_per_mwh
        self.cooling[i], self.convertible_mw[i] = cooling, min(convertible_mw, capacity_mw)
        self.capex_multiplier[i] = capex_multiplier
        self.unbuilt_mw[i] = capacity_mw
        self.version += 1
        return i

    def carve_out(self, site: int) -> int | None:
        """Split a contracted site's uncontracted MW off as a parcel of its own; return it (None if no MW).

        A landlord whose tenants hold part of a site can still sell the rest: the contracts stay on ``site``
        (which keeps the MW converting and leased), the new parcel takes the remaining capacity, unbuilt
        and convertible MW, on the same interconnection (same region, delivery adder, cooling). Machines are
        moved by the caller (they sit on the uncontracted MW by construction).
        """
        contracted = float(self.converting_mw[site] + self.ai_mw[site])
        free = float(self.capacity_mw[site]) - contracted
        if free < MW_DUST:
            return None
        j = self.add(
            region=int(self.region[site]),
            capacity_mw=free,
            owner_kind=Owner(int(self.owner_kind[site])),
            owner=int(self.owner[site]),
            energised=bool(self.energised[site]),
            power_adder_usd_per_mwh=float(self.power_adder_usd_per_mwh[site]),
            cooling=Cooling(int(self.cooling[site])),
            convertible_mw=max(float(self.convertible_mw[site]) - contracted, 0.0),
            capex_multiplier=float(self.capex_multiplier[site]),
        )
        self.unbuilt_mw[j] = self.unbuilt_mw[site]
        self.machine_mw[j], self.hibernating_mw[j] = self.machine_mw[site], self.hibernating_mw[site]
        self.curtailed_share[j] = self.curtailed_share[site]
        self.capacity_mw[site] = contracted
        self.convertible_mw[site] = min(float(self.convertible_mw[site]), contracted)
        self.unbuilt_mw[site] = self.machine_mw[site] = self.hibernating_mw[site] = 0.0
        return j

    def set_owner(self, site: int, kind: Owner, owner: int) -> None:
        """Transfer a site (the only way ownership changes, so the owner index stays valid)."""
        self.owner_kind[site], self.owner[site] = kind, owner
        self.version += 1

    def take_mw(self, state: str, site: int, mw: float) -> None:
        """Remove ``mw`` from a stored state (``converting_mw``, ``ai_mw``, ...) of a site.

        MW added in pieces and removed as a whole leave float residue (~1e-14 MW); it is cleared, so that a
        finished conversion does not keep counting as "converting".
        """
        values = getattr(self, state)
        values[site] -= mw
        if abs(values[site]) < MW_DUST:
            values[site] = 0.0

    def view(self, name: str) -> np.ndarray:
        """The live part of an array (first ``n`` entries)."""
        return getattr(self, name)[: self.n]

    def idle_mw(self) -> np.ndarray:
        """Energised MW with nothing on them: the remainder of the capacity."""
        return self._idle(slice(0, self.n))

    def idle_mw_at(self, site: int) -> float:
        """``idle_mw()[site]`` without computing every site's (asked ~90k times a run, one site at a time)."""
        return self._idle(site)

    def _idle(self, ix):
        """Capacity less every other state, at ``ix`` (a site or a slice of sites): the one idle formula."""
        s = self
        return s.capacity_mw[ix] - s.unbuilt_mw[ix] - s.converting_mw[ix] - s.ai_mw[ix] - s.machine_mw[ix]

    def state_mw(self) -> dict[str, np.ndarray]:
        """MW of every site in each state of ``STATES``; rows sum to the capacity."""
        n = self.n
        hibernating = np.minimum(self.hibernating_mw[:n], self.machine_mw[:n])
        running = self.machine_mw[:n] - hibernating
        curtailed = running * self.curtailed_share[:n]
        return {
            "mining": running - curtailed,
            "curtailed": curtailed,
            "hibernating": hibernating,
            "idle": self.idle_mw(),
            "converting": self.converting_mw[:n].copy(),
            "ai_leased": self.ai_mw[:n].copy(),
            "unbuilt": self.unbuilt_mw[:n].copy(),
        }

    def owned_by(self, kind: Owner, owner: int) -> np.ndarray:
        """Indices (ascending) of the sites a given owner holds, found once per owner and change of ownership.

        Owner by owner: between two changes a run asks ~30 owners, so indexing every owner at each change cost more.
        """
        if self._owned_cache.get("version") != self.version:
            self._owned_cache = {"version": self.version}
        key = (int(kind), int(owner))
        if key not in self._owned_cache:
            n = self.n
            self._owned_cache[key] = np.flatnonzero((self.owner_kind[:n] == key[0]) & (self.owner[:n] == key[1]))
        return self._owned_cache[key]

    def check(self, tol_mw: float = 1e-6) -> None:
        """Raise AssertionError if any state is negative or a site's MW are leased beyond its capacity."""
        # Idle MW are a remainder (capacity minus the stored states), so rounding scales with the capacity.
        tol = tol_mw + 1e-12 * self.capacity_mw[: self.n]
        for name, mw in self.state_mw().items():
            bad = np.flatnonzero(mw < -tol)
            if bad.size:
                i = int(bad[0])
                raise AssertionError(f"site {i}: {name} MW is negative ({mw[i]:.6f})")
        if np.any(self.converting_mw[: self.n] + self.ai_mw[: self.n] > self.capacity_mw[: self.n] + tol):
            raise AssertionError("a site has more MW converting or leased than it holds")
