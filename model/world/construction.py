"""The construction book: capex schedules, conversions to AI under signed leases, and hyperscalers' own builds.

A signed lease's conversion earns only once it is built *and* the grid has approved firm service; a
hyperscaler's own build (a site it bought, or a greenfield campus) goes live when built. Conversion capex is
spent evenly over the build, a construction loan paying its share as it is spent (economics.md: AI capex is
financed at high loan-to-cost once a tenant is signed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hashpivot.model.world.sites import Cooling, Owner

if TYPE_CHECKING:
    from hashpivot.agents.hyperscaler import Hyperscaler
    from hashpivot.model.markets.leasing import Lease
    from hashpivot.model.world.interconnection import Request
    from hashpivot.model.world.leasebook import LeaseBook
    from hashpivot.model.world.sites import SiteBook

CAPEX_COLUMNS = np.dtype(
    [("miner", np.int64), ("usd_per_day", np.float64), ("first_day", np.int64), ("end_day", np.int64),
     ("debt_share", np.float64)]
)  # fmt: skip
"""One row per capex schedule: the paying miner, USD spent per day over [first_day, end_day), loan share."""


EQUIPMENT_LEAD_DAYS = 90
"""Assumption: a tenant's equipment (GPUs, servers) is bought and installed over the last ~3 months before
the site is energised for it, not at signing: GPUs lose value fast, and nobody installs them where power is
not yet assured. Bought at signing, a conversion stuck in a firm-service queue for years carried billions of
construction debt with no revenue (baseline seed 0: a 145 MW GPU-cloud conversion, 4.3 B$, 2030-34)."""


@dataclass
class Conversion:
    """A signed lease's conversion: built on ``built_day``, earning once the grid has also approved it.

    ``equipment`` is the tenant equipment still to buy: (paying miner, USD, loan share), bought once the grid
    approves (``EQUIPMENT_LEAD_DAYS``).
    """

    lease_id: int
    request_id: int
    built_day: int
    approved: bool = False
    equipment: tuple[int, float, float] | None = None


@dataclass(frozen=True)
class OwnBuild:
    """A hyperscaler's own conversion or greenfield campus; ``request_id`` is set for greenfield only."""

    site: int
    mw: float
    done_day: int
    hyperscaler: Hyperscaler | None = None
    request_id: int | None = None


class ConstructionBook:
    """Everything being built, and the capex it still costs."""

    def __init__(self, n_miners: int):
        self.n_miners = n_miners
        self.capex = np.zeros(0, dtype=CAPEX_COLUMNS)
        self.conversions: dict[int, Conversion] = {}  # by lease id
        self.own_builds: list[OwnBuild] = []
        self.admitted_requests: set[int] = set()  # request ids of the own builds (the daily AI ledger asks)
        self._committed: tuple[tuple[int, int, int] | None, np.ndarray | None] = (None, None)
        self._pending: dict[int, tuple[float, float]] | None = None  # ``_pending_equipment`` of every miner
        self._pending_equity: np.ndarray | None = None  # the equity of ``_pending`` per miner, as an array
        # ``advance`` looks only at the leases it can change: those not started, and those ending on a day.
        self._seen_leases = 0  # leases.leases[:this] are in one of the two
        self._not_started: list[int] = []  # positions in leases.leases, ascending
        self._ending: dict[int, list[int]] = {}  # end day -> positions of the leases ending then

    # --- capex ------------------------------------------------------------------------------------------------
    def schedule_capex(self, miner: int, total_usd: float, first_day: int, days: int, debt_share: float) -> None:
        """Spend ``total_usd`` evenly over ``days`` from ``first_day``, ``debt_share`` of it loan-financed."""
        row = np.array([(miner, total_usd / days, first_day, first_day + days, debt_share)], dtype=CAPEX_COLUMNS)
        self.capex = np.concatenate([self.capex, row])

    def capex_today(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        """Per miner: capex spent on ``day``, and the part a construction loan pays."""
        c, n = self.capex, self.n_miners
        if c.size == 0:
            return np.zeros(n), np.zeros(n)
        on = (c["first_day"] <= day) & (day < c["end_day"])
        who, spend = c["miner"][on], c["usd_per_day"][on]
        return np.bincount(who, weights=spend, minlength=n), np.bincount(
            who, weights=spend * c["debt_share"][on], minlength=n
        )

    def _days_left(self, rows: np.ndarray | slice, day: int) -> np.ndarray:
        c = self.capex
        return np.clip(c["end_day"][rows] - np.maximum(c["first_day"][rows], day), 0, None)

    def capex_remaining_usd(self, miner: int, day: int) -> float:
        """Capex a miner has still to spend on signed conversions (loan share included)."""
        c = self.capex
        if c.size == 0:
            return 0.0
        mine = c["miner"] == miner
        return float((c["usd_per_day"][mine] * self._days_left(mine, day)).sum()) + self._pending_equipment(miner)[0]

    def _pending_equipment(self, miner: int) -> tuple[float, float]:
        """Equipment a miner has committed to buy once approved: (USD, of which equity).

        Summed for every miner in one pass over the conversions, in their order, and kept until a conversion's
        equipment is booked, bought or reassigned (only this class changes it): bids ask many times a day.
        """
        return self._pending_by_miner().get(miner, (0.0, 0.0))

    def _pending_equity_by_miner(self) -> np.ndarray:
        """The equity part of ``_pending_by_miner`` as an array over miners (0 where nothing is pending)."""
        pending = self._pending_by_miner()
        equity = self._pending_equity
        if equity is None or equity.size != self.n_miners:  # rebuilt with the sums, or firms entered since
            equity = np.zeros(self.n_miners)
            for who, (_, e) in pending.items():
                equity[who] = e
            self._pending_equity = equity
        return equity

    def _pending_by_miner(self) -> dict[int, tuple[float, float]]:
        if self._pending is None:
            pending: dict[int, tuple[float, float]] = {}
            for conv in self.conversions.values():
                if conv.equipment is not None:
                    who, usd, loan_share = conv.equipment
                    was_usd, was_equity = pending.get(who, (0.0, 0.0))
                    pending[who] = (was_usd + usd, was_equity + usd * (1.0 - loan_share))
            self._pending, self._pending_equity = pending, None
        return self._pending

    def equity_committed_usd(self, miner: int, day: int) -> float:
        """Equity a miner still owes to conversions it has signed (capex to come, less the loan's share)."""
        c = self.capex
        if c.size == 0:
            return 0.0
        return float(self._committed_capex(day)[miner]) + self._pending_equipment(miner)[1]

    def equity_committed_of(self, miners: np.ndarray, day: int) -> np.ndarray:
        """``equity_committed_usd`` of each of ``miners``, the same bits (an auction's bidders at once)."""
        if self.capex.size == 0:
            return np.zeros(len(miners))
        pending = self._pending_equity_by_miner()
        return self._committed_capex(day)[miners] + pending[miners]

    def _committed_capex(self, day: int) -> np.ndarray:
        """Equity each miner still owes to scheduled capex (loan share out), computed once a day for all."""
        c = self.capex
        key = (day, c.size, self.n_miners)
        if self._committed[0] != key:  # many bids ask on one day: compute all miners once
            owed = c["usd_per_day"] * self._days_left(slice(None), day) * (1.0 - c["debt_share"])
            self._committed = (key, np.bincount(c["miner"], owed, self.n_miners))
        return self._committed[1]

    def reassign(self, old: int, new: int) -> None:
        """A miner's construction passes to another (a takeover or an estate sale): it pays what is left."""
        if self.capex.size:
            self.capex["miner"][self.capex["miner"] == old] = new
        for conv in self.conversions.values():
            if conv.equipment is not None and conv.equipment[0] == old:
                conv.equipment = (new, *conv.equipment[1:])
        self._committed, self._pending = (None, None), None

    # --- conversions and own builds ---------------------------------------------------------------------------
    def add_conversion(
        self, lease_id: int, request_id: int, built_day: int, equipment: tuple[int, float, float] | None = None
    ) -> None:
        """Book a signed lease's conversion, waiting for interconnection request ``request_id``.

        ``equipment``: (paying miner, USD, loan share) of tenant equipment to buy once the grid approves.
        """
        self.conversions[lease_id] = Conversion(lease_id, request_id, built_day, equipment=equipment)
        self._pending = None

    def approve_conversion(self, request_id: int, day: int) -> None:
        """The grid admitted a conversion's firm-service request: it may start once built; equipment is bought."""
        for conv in self.conversions.values():
            if conv.request_id == request_id:
                conv.approved = True
                if conv.equipment is not None:
                    miner, usd, debt_share = conv.equipment
                    first = max(day, conv.built_day - EQUIPMENT_LEAD_DAYS)
                    self.schedule_capex(miner, usd, first, EQUIPMENT_LEAD_DAYS, debt_share)
                    conv.equipment, self._pending = None, None

    def start_greenfield(self, request: Request, hs: Hyperscaler, sites: SiteBook, day: int, build_days: int) -> None:
        """The grid admitted a greenfield campus: its site exists from now on and is built in ``build_days``."""
        done = day + build_days
        hs.on_greenfield_approved(request.id, done)
        i = sites.add(
            region=request.region,
            capacity_mw=request.mw,
            owner_kind=Owner.HYPERSCALER,
            owner=hs.idx,
            energised=True,
            power_adder_usd_per_mwh=0.0,
            cooling=Cooling.HYDRO,
            convertible_mw=request.mw,
            capex_multiplier=1.0,
        )
        sites.greenfield[i] = True
        sites.unbuilt_mw[i] = 0.0
        sites.converting_mw[i] = request.mw
        self.add_own_build(OwnBuild(site=i, mw=request.mw, done_day=done, hyperscaler=hs, request_id=request.id))

    def _leases_due(self, day: int, book: list) -> list[int]:
        """Positions of the leases ``advance`` may change today, ascending: not started, or ending today."""
        for i in range(self._seen_leases, len(book)):  # signed since the last day
            if book[i].start_day < 0:
                self._not_started.append(i)
            else:
                self._ending.setdefault(book[i].end_day, []).append(i)
        self._seen_leases = len(book)
        self._not_started = [i for i in self._not_started if book[i].start_day < 0]
        return sorted(set(self._not_started).union(self._ending.pop(day, ())))

    def add_own_build(self, build: OwnBuild) -> None:
        """Book a hyperscaler's own build."""
        self.own_builds.append(build)
        if build.request_id is not None:
            self.admitted_requests.add(build.request_id)

    def advance(self, day: int, sites: SiteBook, leases: LeaseBook) -> list[Lease]:
        """Start conversions that are built and approved, end expired leases, bring own builds live.

        Only leases not yet started and those ending today can change, and they are taken in the book's order
        (a scan of every lease each day did the same; start and end days are set only here). Returns the
        leases that ended today: their MW are back with the landlord, to renew or not (``LeaseMarket.renew``).
        """
        changed, ended = False, []
        for i in self._leases_due(day, leases.leases):
            lease = leases.leases[i]
            conv = self.conversions.get(lease.id)
            if lease.start_day < 0 and conv and conv.approved and day >= conv.built_day:
                sites.take_mw("converting_mw", lease.site, lease.mw)
                sites.ai_mw[lease.site] += lease.mw
                lease.start_day = day
                lease.end_day = day + int(round(lease.term_years * 365))
                self._ending.setdefault(lease.end_day, []).append(i)
                changed = True
            elif lease.end_day == day:
                sites.take_mw("ai_mw", lease.site, lease.mw)  # back to idle, AI-ready: re-leasable without a shell
                sites.capex_multiplier[lease.site] = 0.1
                ended.append(lease)
                changed = True
        if changed:
            leases.changed()
        for build in [b for b in self.own_builds if b.done_day == day]:
            sites.take_mw("converting_mw", build.site, build.mw)
            sites.ai_mw[build.site] += build.mw
            if build.request_id is not None:
                build.hyperscaler.on_greenfield_live(build.request_id)
        return ended
