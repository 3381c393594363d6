"""Progress on stderr for long commands (sweeps, ensembles, calibration): a bar on a terminal, counted lines otherwise.

On a terminal a tqdm bar with ETA; in a log, a pipe or CI, one line when the work starts and then one
line at every tenth of it (or at most every ``LINE_EVERY_S`` seconds), e.g.::

    sweep: 0/96 runs
    sweep: 10/96 runs (10%), 52 s elapsed, about 7 min 30 s left
    ...
    sweep: 96/96 runs (100%), 8 min 2 s elapsed

stdout is left to the command's results, so ``hashpivot sweep ... > summary.txt`` stays clean.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

LINE_EVERY_S = 60.0
"""Longest silence between two counted lines (a slow first run still shows the command is alive)."""
LINE_STEP = 0.1
"""Counted lines come at every tenth of the work."""


def duration(seconds: float) -> str:
    """Seconds for people: ``52 s``, ``7 min 30 s``, ``1 h 5 min``."""
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


class Progress:
    """Counts finished work items on stderr.

    Args:
        total: Items to do (all of them, including ``initial``).
        label: What is running (``sweep``, ``ensemble``, ``calibrate``).
        unit: What an item is (``runs``, ``seeds``).
        initial: Items already done (a resumed sweep).
        stream: Where to write (default ``sys.stderr``).
        bar: A tqdm bar (True) or counted lines (False); default: a bar when ``stream`` is a terminal.
        enabled: False shows nothing at all.
    """

    def __init__(
        self,
        total: int,
        label: str,
        unit: str = "runs",
        *,
        initial: int = 0,
        stream: TextIO | None = None,
        bar: bool | None = None,
        enabled: bool = True,
    ):
        self.total = int(total)
        self.label = label
        self.unit = unit
        self.initial = self.done = int(initial)
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.started = time.monotonic()
        self._last_line = self.started
        self._next_share = LINE_STEP
        self._bar: Any = None
        if not enabled:
            return
        if bar is None:
            bar = bool(getattr(self.stream, "isatty", lambda: False)())
        if bar:
            from tqdm import tqdm

            self._bar = tqdm(
                total=self.total, initial=self.initial, unit=unit.rstrip("s") or unit, file=self.stream, desc=label
            )
        else:
            self._line()
            self._next_share = (int(self._share() / LINE_STEP) + 1) * LINE_STEP

    def _share(self) -> float:
        return self.done / self.total if self.total else 1.0

    def update(self, done: int) -> None:
        """Set the count of finished items (absolute)."""
        if not self.enabled:
            return
        done = min(int(done), self.total)
        if self._bar is not None:
            self._bar.update(done - self.done)
            self.done = done
            return
        self.done = done
        now = time.monotonic()
        if self._share() + 1e-12 >= self._next_share or now - self._last_line >= LINE_EVERY_S:
            self._line()
            while self._next_share <= self._share() + 1e-12:
                self._next_share += LINE_STEP

    def advance(self, count: int = 1) -> None:
        """Count ``count`` more finished items."""
        self.update(self.done + count)

    def __call__(self, done: int, total: int | None = None) -> None:
        """``progress(done, total)``: the callback form the ensemble and calibration loops call."""
        self.update(done)

    def close(self) -> None:
        """Finish: close the bar, or write the last line if the last count was not written yet."""
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self._last_count != self.done:
            self._line()
        self.enabled = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    _last_count = -1

    def _line(self) -> None:
        now = time.monotonic()
        text = f"{self.label}: {self.done}/{self.total} {self.unit}"
        if self.done > self.initial or self.done == self.total:
            elapsed = now - self.started
            text += f" ({100 * self._share():.0f}%), {duration(elapsed)} elapsed"
            rate = (self.done - self.initial) / elapsed if elapsed > 0 else 0.0
            if self.done < self.total and rate > 0:
                text += f", about {duration((self.total - self.done) / rate)} left"
        print(text, file=self.stream, flush=True)
        self._last_line = now
        self._last_count = self.done
