"""Running a sweep: submit runs to an executor, stream finished runs to Parquet parts.

Three executors share one code path, all ``concurrent.futures.Executor``:

* ``SerialExecutor`` -- in this process, one run at a time (``--workers 1``, tests, debugging);
* ``ProcessPoolExecutor`` with the ``spawn`` start method (default; ``--workers N``);
* a Dask cluster through ``distributed.Client(address).get_executor()`` (``--scheduler``).

Only a bounded window of runs is in flight at a time (twice the worker count), so a sweep of a
million runs costs no more memory than one of a hundred, and results are written as they arrive.
Seeds and values depend only on the run id, so the rows are the same whichever executor ran them
and in whatever order they finished.

A run that fails inside the model is a row with ``status = "error"`` and the message. A run lost
to the infrastructure (a worker process killed, a Dask worker gone) has no row: it is retried
when the sweep is run again.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import math
import multiprocessing
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hashpivot.model.config.errors import ConfigError
from hashpivot.model.tools.progress import Progress
from hashpivot.model.tools.sweep.design import Task, build_design, tasks
from hashpivot.model.tools.sweep.spec import SweepPlan
from hashpivot.model.tools.sweep.store import (
    DESIGN,
    PartWriter,
    SweepFolder,
    check_folder,
    read_design_unit,
    utc_now,
    versions,
)
from hashpivot.model.tools.sweep.worker import ERROR, OK, error_text, run_task

LOST_LIMIT = 20
"""Consecutive runs lost to the infrastructure after which the sweep stops (e.g. workers that
cannot import hashpivot): retrying the rest would only lose them too."""

DASK_CONNECT_TIMEOUT_S = 30
DASK_WORKER_WAIT_S = 120


class SweepFailed(RuntimeError):
    """The sweep had to stop for a reason other than bad input (finished runs are saved)."""


class SerialExecutor(cf.Executor):
    """Runs each submitted call at once, in this process: the executor for ``--workers 1``."""

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> cf.Future:
        """Call ``fn(*args, **kwargs)`` now and return its completed future."""
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # the caller sees it through the future, as with a pool
            future.set_exception(exc)
        return future


@dataclass
class Backend:
    """An executor, how many runs to keep in flight, and a description for the manifest."""

    executor: cf.Executor
    window: Callable[[], int]
    kind: str
    workers: int | str


@contextlib.contextmanager
def open_backend(workers: int | None = None, scheduler: str | None = None) -> Iterator[Backend]:
    """Start the executor a sweep runs on, and shut it down afterwards.

    Args:
        workers: Worker processes (1: in this process). Default: the CPUs this process may use.
        scheduler: Address of a Dask scheduler (``tcp://host:8786``); overrides ``workers``.

    Yields:
        The backend.

    Raises:
        ConfigError: The Dask scheduler cannot be reached, has no workers, or its workers
            cannot import hashpivot.
    """
    if scheduler:
        with _dask_backend(scheduler) as backend:
            yield backend
        return
    count = workers or default_workers()
    if count == 1:
        yield Backend(SerialExecutor(), lambda: 1, "serial", 1)
        return
    # spawn, not fork: the parent may hold threads (tqdm, dask) and Mesa asks for spawn anyway.
    pool = cf.ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context("spawn"))
    try:
        yield Backend(pool, lambda: 2 * count, "process", count)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def default_workers() -> int:
    """The CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def _dask_backend(address: str) -> Iterator[Backend]:
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise ConfigError("--scheduler", f"dask.distributed is not installed ({exc})") from None
    try:
        client = Client(address, timeout=DASK_CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(
            f"--scheduler {address}",
            f"cannot connect to the Dask scheduler: {error_text(exc)}",
            accepted="the address a running `dask scheduler` prints, e.g. tcp://10.0.0.5:8786",
        ) from None
    try:
        _check_dask_workers(client, address)

        threads = sum(client.nthreads().values())
        window = _ClusterWindow(client)
        yield Backend(client.get_executor(pure=False), window, "dask", f"{address} ({threads} threads)")
    finally:
        client.close()


class _ClusterWindow:
    """Twice the cluster's threads, re-read every few seconds: workers may join or leave."""

    REFRESH_S = 5.0

    def __init__(self, client: Any):
        self.client = client
        self.size = 2
        self.read_at = -math.inf

    def __call__(self) -> int:
        now = time.monotonic()
        if now - self.read_at >= self.REFRESH_S:  # one scheduler round trip, not one per task
            self.size = max(2, 2 * sum(self.client.nthreads().values()))
            self.read_at = now
        return self.size


def _check_dask_workers(client: Any, address: str) -> None:
    """Wait for a worker, and make sure every worker can import hashpivot (same version)."""
    try:
        client.wait_for_workers(1, timeout=DASK_WORKER_WAIT_S)
    except (TimeoutError, OSError) as exc:
        raise ConfigError(
            f"--scheduler {address}",
            f"no Dask worker joined within {DASK_WORKER_WAIT_S} s ({error_text(exc)})",
            accepted=f"a scheduler with workers: run `dask worker {address}` on each machine",
        ) from None
    try:
        found = client.run(worker_versions)
    except Exception as exc:  # unpickling fails on a worker without the package
        raise ConfigError(
            f"--scheduler {address}",
            f"Dask workers cannot run hashpivot: {error_text(exc)}",
            accepted="workers started where hashpivot is installed (pip install -e .)",
        ) from None
    mine = worker_versions()
    odd = sorted(w for w, v in found.items() if v != mine)
    if odd:
        print(
            f"warning: {len(odd)} Dask worker(s) run other versions than this machine "
            f"({found[odd[0]]} vs {mine}); results may differ",
            file=sys.stderr,
        )


def worker_versions() -> dict[str, str]:
    """Versions that must agree between the client and the workers for identical results."""
    from hashpivot.model.tools.output import package_versions

    return {"python": platform.python_version(), **package_versions(("hashpivot", "numpy", "mesa"))}


# --------------------------------------------------------------------------------------------
# The sweep loop
# --------------------------------------------------------------------------------------------


@dataclass
class Summary:
    """What one session of a sweep did."""

    out: Path
    total: int
    skipped: int = 0
    ok: int = 0
    failed: int = 0
    lost: int = 0
    elapsed_s: float = 0.0
    interrupted: bool = False
    first_lost: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def finished(self) -> int:
        """Runs finished (ok or failed) in this session."""
        return self.ok + self.failed

    @property
    def runs_per_minute(self) -> float:
        """Throughput of this session."""
        return 60.0 * self.finished / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def text(self) -> str:
        """A one-paragraph summary for the terminal."""
        lines = [
            f"sweep: {self.finished} runs in {self.elapsed_s:.1f} s "
            f"({self.runs_per_minute:.1f} runs/min): {self.ok} ok, {self.failed} failed"
            + (f", {self.lost} lost to worker failures" if self.lost else "")
            + (f"; {self.skipped} already done" if self.skipped else ""),
        ]
        if self.counts:
            c = self.counts
            lines.append(
                f"folder: {c['done']} of {c['runs']} runs done ({c['ok']} ok, {c['failed']} failed) -> {self.out}"
            )
        if self.first_lost:
            lines.append(f"first lost run: {self.first_lost}; run the sweep again to retry lost runs")
        if self.interrupted:
            lines.append("interrupted: finished runs are saved; run the same command again to resume")
        return "\n".join(lines)


def run_sweep(
    plan: SweepPlan,
    out: Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    must_exist: bool = False,
    flush_rows: int = 100,
    flush_seconds: float = 5.0,
    progress: bool | None = None,
    worker: Callable[..., dict] = run_task,
    argv: list[str] | None = None,
    unit: np.ndarray | None = None,
) -> Summary:
    """Run every run of ``plan`` not yet in ``out``, writing results as they finish.

    Args:
        plan: The sweep.
        out: The results folder (created, or resumed if it holds this sweep).
        workers: Worker processes (see ``open_backend``).
        scheduler: Dask scheduler address.
        must_exist: Refuse to start a new folder (``--resume``).
        flush_rows: Write a part every this many finished runs...
        flush_seconds: ...or when this many seconds have passed since the last part.
        progress: False shows no progress; otherwise a bar on a terminal, counted lines on stderr elsewhere
            (``tools.progress``).
        worker: The function run per task (``run_task``; tests substitute their own).
        argv: The command line, for the manifest.
        unit: The design in the unit cube, for method ``given`` (the batches of ``hashpivot estimate``); a
            ``given`` sweep resumed without it reads the design stored in ``out``.

    Returns:
        The session summary. On Ctrl-C the finished runs are written and ``interrupted`` set.

    Raises:
        ConfigError: The folder or the scheduler cannot be used.
        SweepFailed: The process pool broke, or many runs in a row were lost (what finished
            is saved).
    """
    if unit is None:
        unit = given_design(plan, Path(out)) if plan.spec.design.method == "given" else build_design(plan.spec)
    check_folder(Path(out), plan, must_exist)  # a bad --out fails before any cluster is contacted
    from hashpivot.model.tools.portable import portable_argv

    session: dict[str, Any] = {"started_utc": utc_now(), "argv": portable_argv(argv or []), "versions": versions()}
    # The executor first: a scheduler that cannot be reached leaves no folder behind.
    with open_backend(workers, scheduler) as backend:
        session.update(executor=backend.kind, workers=backend.workers)
        with SweepFolder.open(out, plan, unit, must_exist=must_exist) as folder:
            done = folder.done_run_ids()
            total = len(unit) * plan.spec.design.replications
            summary = Summary(out=Path(out), total=total, skipped=len(done))
            folder.update_manifest(status="running")
            started = time.perf_counter()
            try:
                writer = folder.writer(flush_rows, flush_seconds)
                loop = _Loop(plan, backend, writer, summary, worker, flush_seconds)
                loop.run(tasks(plan.spec, unit, skip=done), progress)
            except KeyboardInterrupt:
                summary.interrupted = True
            finally:
                summary.elapsed_s = time.perf_counter() - started
                summary.counts = folder.counts()
                _record_session(folder, session, summary)
    return summary


def given_design(plan: SweepPlan, out: Path) -> np.ndarray:
    """The stored design of a ``given`` sweep (its points were chosen by whoever started it)."""
    if not (out / DESIGN).is_file():
        raise ConfigError(
            out, "a sweep with a given design can only be resumed from its folder", accepted="--resume --out DIR"
        )
    return read_design_unit(out, plan.spec)


class _Loop:
    """Keeps the executor's window full, collects finished runs and hands them to the writer."""

    def __init__(
        self,
        plan: SweepPlan,
        backend: Backend,
        writer: PartWriter,
        summary: Summary,
        worker: Callable[..., dict],
        flush_seconds: float,
    ):
        self.plan = plan
        self.backend = backend
        self.writer = writer
        self.summary = summary
        self.worker = worker
        self.wait_s = max(0.1, flush_seconds)  # wake up at least this often to flush
        self.pending: dict[cf.Future, Task] = {}
        self.lost_in_a_row = 0
        self.bar: Any = None
        self.reducers = plan.reducers()

    def run(self, todo: Iterator[Task], progress: bool | None) -> None:
        """Run every task of ``todo``; whatever happens, write what finished."""
        summary = self.summary
        self.bar = Progress(summary.total, "sweep", "runs", initial=summary.skipped, enabled=progress is not False)
        try:
            exhausted = False
            while True:
                while not exhausted and len(self.pending) < self.backend.window():
                    task = next(todo, None)
                    exhausted = task is None
                    if task is not None:
                        self._submit(task)
                if not self.pending:
                    break
                finished, _ = cf.wait(self.pending, timeout=self.wait_s, return_when=cf.FIRST_COMPLETED)
                for future in finished:
                    self._collect(future, self.pending.pop(future))
                self.writer.flush_if_due()
        finally:
            for future in self.pending:
                future.cancel()  # runs in flight are lost; a resume redoes them
            self.writer.flush()
            if self.bar is not None:
                self.bar.close()

    def _submit(self, task: Task) -> None:
        spec = self.plan.spec
        future = self.backend.executor.submit(
            self.worker,
            self.plan.scenario_for(task.values),
            task.seed,
            spec.days,
            self.reducers,
            spec.outputs.keep_series,
        )
        self.pending[future] = task

    def _collect(self, future: cf.Future, task: Task) -> None:
        outcome = _outcome(future, self.summary)
        if outcome is None:
            self.lost_in_a_row += 1
            if self.lost_in_a_row >= LOST_LIMIT:
                raise SweepFailed(
                    f"{self.lost_in_a_row} runs in a row were lost to worker failures "
                    f"(first: {self.summary.first_lost}); finished runs are saved"
                )
            return
        self.lost_in_a_row = 0
        self.writer.add(_row(task, outcome), outcome.get("series"))
        if self.bar is not None:
            self.bar.advance()


def _outcome(future: cf.Future, summary: Summary) -> dict | None:
    """The worker's result dict, counted; None (and counted as lost) if the run was lost."""
    try:
        outcome = future.result()
    except BrokenProcessPool:
        raise SweepFailed(
            "a worker process died abruptly (out of memory?) and the process pool stopped; "
            "finished runs are saved: run again (perhaps with fewer --workers) to resume"
        ) from None
    except (Exception, cf.CancelledError) as exc:  # a Dask worker lost, a task cancelled
        summary.lost += 1
        summary.first_lost = summary.first_lost or error_text(exc)
        return None
    if outcome.get("status") == OK:
        summary.ok += 1
    else:
        summary.failed += 1
    return outcome


def _row(task: Task, outcome: dict) -> dict[str, Any]:
    return {
        "run_id": task.run_id,
        "point_id": task.point_id,
        "replication": task.replication,
        "seed": task.seed,
        **task.values,
        **(outcome.get("metrics") or {}),
        "status": outcome.get("status", ERROR),
        "error": outcome.get("error", ""),
        "wall_time_s": float(outcome.get("wall_time_s", 0.0)),
    }


def _record_session(folder: SweepFolder, session: dict, summary: Summary) -> None:
    counts = summary.counts
    complete = counts["done"] == counts["runs"]
    session.update(
        finished_utc=utc_now(),
        elapsed_s=round(summary.elapsed_s, 3),
        ok=summary.ok,
        failed=summary.failed,
        lost=summary.lost,
        skipped=summary.skipped,
        runs_per_minute=round(summary.runs_per_minute, 2),
        interrupted=summary.interrupted,
    )
    sessions = [*folder.manifest.get("sessions", []), session]
    folder.update_manifest(
        sessions=sessions,
        counts=counts,
        status="complete" if complete else ("interrupted" if summary.interrupted else "incomplete"),
    )
