"""The interconnection queue's cached sums follow every submit and admit (the wait quotes rely on them)."""

from __future__ import annotations

from hashpivot.model.world.interconnection import InterconnectionQueue, Purpose, Request


def _req(i: int, mw: float, headroom_mw: float) -> Request:
    return Request(i, 0, -1, mw, True, Purpose.MINING, 0, 0.0, headroom_mw)


def test_pending_sums_match_the_queue_after_submits_and_admits():
    q = InterconnectionQueue(headroom_mw=250.0, study_capacity_mw_per_day=50.0)
    for day in range(12):
        if day % 2 == 0:
            q.submit(_req(day, 10.0 + day, 0.3 * day + 40.0), day=day, study_days=3)
        q.expected_wait_days(20.0, True, day, 3, 1.0, 0.5)  # fills the cache between changes
        q.admit(day)
        assert q.pending_mw() == sum(r.mw for r in q.pending)
        assert q._pending_sums()[1] == sum(r.headroom_mw for r in q.pending)


def test_admit_skips_only_while_no_study_has_ended():
    q = InterconnectionQueue(headroom_mw=1e6, study_capacity_mw_per_day=1e6)
    late = q.submit(_req(1, 10.0, 10.0), day=0, study_days=5)
    assert q.admit(4) == []
    early = q.submit(_req(2, 10.0, 10.0), day=1, study_days=1)
    assert q.admit(2) == [early]
    assert q.admit(5) == [late]
