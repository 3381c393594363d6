"""Progress lines on stderr (issue 20, item 7): `sweep` printed nothing for a minute in a log."""

from __future__ import annotations

import io

from hashpivot.model.tools.progress import Progress, duration


def test_counted_lines_when_not_a_terminal():
    stream = io.StringIO()
    with Progress(20, "sweep", "runs", stream=stream) as progress:
        for _ in range(20):
            progress.advance()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "sweep: 0/20 runs"  # at once, before the first run finishes
    assert lines[-1].startswith("sweep: 20/20 runs (100%), ") and "elapsed" in lines[-1]
    assert len(lines) == 11  # the start, then every tenth
    assert "left" in lines[1] and "sweep: 2/20 runs (10%)" in lines[1]


def test_a_resumed_sweep_counts_from_what_was_done():
    stream = io.StringIO()
    progress = Progress(10, "sweep", initial=7, stream=stream)
    progress.update(10)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "sweep: 7/10 runs" and lines[-1].startswith("sweep: 10/10 runs (100%)")


def test_a_bar_on_a_terminal_and_nothing_when_disabled():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    with Progress(5, "ensemble", "seeds", stream=stream) as progress:
        progress(5, 5)
    assert "ensemble" in stream.getvalue() and "5/5" in stream.getvalue()
    quiet = io.StringIO()
    with Progress(5, "x", stream=quiet, enabled=False) as progress:
        progress.advance(5)
    assert quiet.getvalue() == ""


def test_durations_read_as_people_write_them():
    assert [duration(s) for s in (5, 75, 3 * 3600 + 65)] == ["5 s", "1 min 15 s", "3 h 1 min"]
