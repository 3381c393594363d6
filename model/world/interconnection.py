"""Interconnection queues: how a grid operator studies and admits new large loads.

Requests wait first for a *study* and then for *headroom* (economics.md, "Grid"). Studies are served first
come, first served by a fixed study capacity (MW per month): when requests arrive faster than that, a
backlog -- queue congestion -- forms on its own. After its study a request is admitted when the region's
peak headroom can take it. Firm load (AI, uptime needed) must fit the headroom in full; flexible load (mining
that curtails at peak) needs only ``1 - flexible_headroom_credit`` of its MW, so it is admitted sooner where
headroom is short (ERCOT's ~150 days for flexible loads vs ~2 years otherwise, calibration.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

MAX_WAIT_DAYS = 36_500.0
"""Longest expected wait a queue quotes (100 years, the longest run)."""


class Purpose(StrEnum):
    """Why a load asks to connect."""

    MINING = "mining"
    AI_CONVERSION = "ai_conversion"
    GREENFIELD = "greenfield"


@dataclass
class Request:
    """One interconnection request (a typed message between an agent and its grid operator)."""

    id: int
    requester: int  # unique_id of the requesting agent
    site: int  # site index (-1 for a greenfield site not yet created)
    mw: float
    firm: bool
    purpose: Purpose
    submit_day: int
    study_done_day: float
    headroom_mw: float  # peak headroom the load needs once admitted
    region: int = -1  # index of the region whose operator holds the request
    approved_day: int = -1


@dataclass
class InterconnectionQueue:
    """A region's FIFO study queue and headroom ledger.

    Attributes:
        headroom_mw: peak headroom left for new load.
        study_capacity_mw_per_day: how many MW of requests the operator can study per day.
        study_free_day: the day the study team next has capacity (the backlog's end).
    """

    headroom_mw: float
    study_capacity_mw_per_day: float
    study_free_day: float = 0.0
    pending: list[Request] = field(default_factory=list)  # changed only by ``submit``, ``admit``, ``withdraw``
    version: int = field(
        default=0, compare=False
    )  # bumped by ``submit``, ``admit`` and ``withdraw`` (see ``Grid.expected_waits_days``)
    # (MW, headroom MW, first study end) over ``pending``: asked ~45 times a day per region, changed rarely.
    _sums: tuple[float, float, float] | None = field(default=None, init=False, repr=False, compare=False)

    def submit(self, request: Request, day: int, study_days: float) -> Request:
        """Queue a request; its study ends after the study time and after every earlier study."""
        start = max(float(day), self.study_free_day)
        self.study_free_day = start + request.mw / self.study_capacity_mw_per_day
        request.study_done_day = max(day + study_days, self.study_free_day)
        self.pending.append(request)
        self._sums = None
        self.version += 1
        return request

    def admit(self, day: int) -> list[Request]:
        """Admit studied requests in order while headroom lasts; return those approved today."""
        if self._pending_sums()[2] > day:
            return []  # no study has ended (or nothing is pending)
        approved, waiting = [], []
        for req in self.pending:
            if req.study_done_day <= day and req.headroom_mw <= self.headroom_mw + 1e-9:
                self.headroom_mw -= req.headroom_mw
                req.approved_day = day
                approved.append(req)
            else:
                waiting.append(req)
        if approved:
            self.pending, self._sums = waiting, None
            self.version += 1
        return approved

    def withdraw(self, request_id: int, mw: float) -> float:
        """Withdraw up to ``mw`` of a pending request (all of it removes it); return the MW withdrawn.

        An assumption: withdrawing costs nothing beyond the study time already spent (``study_free_day`` is not
        moved back). For generation most queued requests are withdrawn (LBNL, "Queued Up"); calibration.md has
        no large-load queue data.
        """
        for i, req in enumerate(self.pending):
            if req.id != request_id:
                continue
            cut = min(mw, req.mw)
            if cut >= req.mw - 1e-9:
                del self.pending[i]
            else:
                req.headroom_mw *= (req.mw - cut) / req.mw
                req.mw -= cut
            self._sums = None
            self.version += 1
            return cut
        return 0.0

    def pending_mw(self) -> float:
        """MW waiting for a study or for headroom."""
        return self._pending_sums()[0]

    def _pending_sums(self) -> tuple[float, float, float]:
        """(MW, headroom MW, earliest study end) of the pending requests, once per change of the queue.

        The sums run in queue order, as a fresh ``sum`` would.
        """
        if self._sums is None:
            p = self.pending
            first_done = min((r.study_done_day for r in p), default=float("inf"))
            self._sums = (sum(r.mw for r in p), sum(r.headroom_mw for r in p), first_done)
        return self._sums

    def expected_wait_days(
        self,
        mw: float,
        firm: bool,
        day: int,
        study_days: float,
        headroom_growth_mw_per_day: float,
        flexible_credit: float,
    ) -> float:
        """What a new request would expect to wait: study backlog, then headroom shortfall over its growth."""
        study_end = max(day + study_days, max(float(day), self.study_free_day) + mw / self.study_capacity_mw_per_day)
        need = mw if firm else mw * (1.0 - flexible_credit)
        ahead = self._pending_sums()[1]
        shortfall = max(0.0, ahead + need - self.headroom_mw)
        headroom_wait = shortfall / max(headroom_growth_mw_per_day, 1e-9)
        # Beyond a century a wait means "never"; the cap keeps the day arithmetic built on it (ready days,
        # discounting over the wait) finite when extreme demand floods the queue.
        return min(max(study_end - day, headroom_wait), MAX_WAIT_DAYS)
