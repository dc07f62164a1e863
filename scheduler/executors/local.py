"""The local executor: ``parallelism`` pre-forked worker processes on this machine.

Each worker has one duplex pipe to the scheduler and runs one try at a time (see
``worker.py``). Nothing here sleeps or polls: the Engine waits on ``wait_handles()`` (the
pipes, the process sentinels, a wake-up pipe) and on ``next_deadline()``, then calls
``collect()``, which reads what is ready, notices dead workers, enforces deadlines and hands
queued requests to idle workers.

A worker that dies while running a try (a signal, ``os._exit``, a segfault, the OOM killer)
fails that try with the reason, which is also appended to the try's log, and is replaced.
Killing is done on the worker's process group, so a task's subprocesses go with it.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import signal
import time
from collections import deque
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from scheduler.authoring.checks import DEFAULT_QUEUE
from scheduler.errors import ExecutorError
from scheduler.executor import (
    Executor,
    ExecutorEvent,
    TaskFinished,
    TaskRequest,
    TaskStarted,
    TryKey,
)
from scheduler.executors.wakeup import Wakeup
from scheduler.executors.worker import STOP, WorkerDone, WorkerPolicy, worker_main
from scheduler.runner import XComReaderFactory, append_log_line, timeout_message

# Exit codes of a worker killed by a signal someone else sent: its try was lost, not failed.
_KILLED = frozenset({-signal.SIGKILL, -signal.SIGTERM})


@dataclass(eq=False)
class _Worker:
    """The parent's view of one worker process."""

    process: BaseProcess
    conn: Connection
    request: TaskRequest | None = None
    started_at: datetime | None = None
    deadline: float | None = None  # monotonic: kill as a timeout backstop
    kill_at: float | None = None  # monotonic: SIGKILL if still alive after SIGTERM
    kill_reason: str | None = None  # set when Baton stops it on purpose
    kill_retryable: bool = True  # False for a cancel: the user wants it stopped
    retiring: bool = False  # will exit by itself; never give it work again

    @property
    def pid(self) -> int:
        return self.process.pid or 0


class LocalExecutor(Executor):
    """Pre-forked worker processes; see the module docstring."""

    TIMEOUT_GRACE_S = 5.0  # past execution_timeout before the worker is killed
    CANCEL_GRACE_S = 2.0  # between SIGTERM and SIGKILL on cancel
    SHUTDOWN_TIMEOUT_S = 60.0  # shutdown(wait=True) waits this long for running tries
    STOP_TIMEOUT_S = 5.0  # for an idle worker to exit after STOP

    def __init__(
        self,
        parallelism: int,
        worker_memory_limit_mb: int = 0,
        recycle_rss_mb: int = 0,
        xcom_reader_factory: XComReaderFactory | None = None,
    ) -> None:
        if parallelism < 1:
            raise ExecutorError(f"parallelism={parallelism} must be at least 1")
        self.parallelism = parallelism
        self.policy = WorkerPolicy(worker_memory_limit_mb, recycle_rss_mb)
        self._factory = xcom_reader_factory
        self._ctx = multiprocessing.get_context("fork")
        self._workers: list[_Worker] = []
        self._idle: deque[_Worker] = deque()
        self._pending: deque[TaskRequest] = deque()
        self._events: list[ExecutorEvent] = []  # produced here, not by a worker
        self._wakeup = Wakeup()
        self._handles: list[Any] | None = None
        self._state = "new"  # new -> running -> closing -> closed

    # -- the Executor interface ------------------------------------------------------------

    def start(self) -> None:
        if self._state != "new":
            return
        self._state = "running"
        atexit.register(self._kill_at_exit)
        for _ in range(self.parallelism):
            self._spawn()

    def submit(self, request: TaskRequest) -> None:
        """Queue ``request``; it starts now if a worker is idle, else when one frees up."""
        if self._state != "running":
            raise ExecutorError(
                f"cannot submit {request.key.label}: the local executor is "
                f"{self._state}; call start() first (and not after shutdown())"
            )
        if request.queue != DEFAULT_QUEUE:
            self._later(_lost(request, None, wrong_queue_message(request), retryable=False))
            return
        self._pending.append(request)
        self._dispatch()

    def cancel(self, key: TryKey) -> None:
        """Stop the try: drop it if queued, else SIGTERM then SIGKILL its worker."""
        for request in self._pending:
            if request.key == key:
                self._pending.remove(request)
                self._later(_lost(request, None, "cancelled before it started", False))
                return
        for worker in self._workers:
            if worker.request is not None and worker.request.key == key:
                reason = f"cancelled: worker process {worker.pid} was stopped on request"
                self._stop(worker, reason, signal.SIGTERM, retryable=False)
                worker.kill_at = time.monotonic() + self.CANCEL_GRACE_S
                return

    def wait_handles(self) -> list[Any]:
        if self._handles is None:
            conns = [w.conn for w in self._workers]
            sentinels = [w.process.sentinel for w in self._workers]
            self._handles = [*conns, *sentinels, self._wakeup.handle]
        return self._handles

    def collect(self) -> list[ExecutorEvent]:
        events, self._events = self._events, []
        self._wakeup.clear()
        self._poll(events)
        return events

    def next_deadline(self) -> float | None:
        """The earliest ``time.monotonic()`` at which ``collect()`` has a kill to do."""
        times = [t for w in self._workers for t in (w.deadline, w.kill_at) if t is not None]
        return min(times, default=None)

    @property
    def free_slots(self) -> int:
        if self._state != "running":
            return 0
        return max(0, len(self._idle) - len(self._pending))

    def shutdown(self, wait: bool = True) -> None:
        """Stop accepting tries; with ``wait`` let queued and running ones finish first.

        Tries still running when the wait ends (``SHUTDOWN_TIMEOUT_S``), or at once without
        ``wait``, are killed and reported failed; their events stay available to
        ``collect()``.
        """
        if self._state in ("new", "closed"):
            self._state = "closed"
            return
        self._state = "closing"
        if wait:
            self._drain_until(time.monotonic() + self.SHUTDOWN_TIMEOUT_S)
        self._stop_workers("the executor shut down before the task finished")
        for request in self._pending:
            self._later(_lost(request, None, "the executor shut down before the task started"))
        self._pending.clear()
        self._state = "closed"
        atexit.unregister(self._kill_at_exit)

    # -- workers ---------------------------------------------------------------------------

    def _spawn(self) -> None:
        parent_conn, child_conn = self._ctx.Pipe(duplex=True)
        inherited = [w.conn for w in self._workers] + self._wakeup.connections() + [parent_conn]
        process = self._ctx.Process(
            target=worker_main,
            args=(child_conn, os.getpid(), self.policy, self._factory, inherited),
            name="baton-worker",
        )
        process.start()
        child_conn.close()
        with contextlib.suppress(OSError):
            pid = process.pid  # set by start()
            if pid is not None:
                os.setpgid(pid, pid)  # also done by the child; whoever is first
        worker = _Worker(process, parent_conn)
        self._workers.append(worker)
        self._idle.append(worker)
        self._handles = None

    def _dispatch(self) -> None:
        while self._pending and self._idle:
            worker = self._idle.popleft()
            request = self._pending.popleft()
            try:
                worker.conn.send(request)
            except OSError:  # it died while idle; its sentinel will report it
                self._pending.appendleft(request)
                continue
            except Exception as exc:  # pickling failed before anything was written
                self._idle.appendleft(worker)
                self._later(_lost(request, None, f"cannot hand the try to a worker: {exc!r}"))
                continue
            worker.request = request
            worker.started_at = None
            if request.execution_timeout_s:
                grace = request.execution_timeout_s + self.TIMEOUT_GRACE_S
                worker.deadline = time.monotonic() + grace

    def _poll(self, events: list[ExecutorEvent]) -> None:
        """Read every ready pipe, reap dead workers, enforce deadlines, dispatch."""
        ready = set(wait(self.wait_handles(), timeout=0))
        for worker in list(self._workers):
            if worker.conn in ready:
                self._read(worker, events)
            if worker.process.sentinel in ready:
                self._reap(worker, events)
        self._enforce_deadlines()
        if self._state != "closed":
            self._dispatch()

    def _read(self, worker: _Worker, events: list[ExecutorEvent]) -> None:
        while True:
            try:
                if not worker.conn.poll():
                    return
                message = worker.conn.recv()
            except (EOFError, OSError):
                return  # the worker is gone; _reap handles it
            if isinstance(message, TaskStarted):
                worker.started_at = message.started_at
                events.append(message)
            elif isinstance(message, WorkerDone):
                events.append(message.finished)
                self._try_done(worker, message.retiring)

    def _try_done(self, worker: _Worker, retiring: bool) -> None:
        worker.request, worker.started_at, worker.deadline = None, None, None
        # A worker we were stopping finished its try first; it dies anyway, so no new work.
        worker.retiring = retiring or worker.kill_reason is not None
        if not worker.retiring:
            self._idle.append(worker)

    def _reap(self, worker: _Worker, events: list[ExecutorEvent]) -> None:
        """Account for a worker whose process ended; fail its try, start a replacement."""
        self._read(worker, events)  # anything sent just before it exited comes first
        if worker.request is not None or worker.kill_reason is not None:
            # Until it is joined the worker is a zombie, so its pid (= its group id) cannot
            # have been reused: safe to take the task's orphaned subprocesses down.
            _kill_group(worker.pid, signal.SIGKILL, group_only=True)
        worker.process.join(timeout=1.0)
        if worker.request is not None:
            reason = worker.kill_reason or (
                f"worker process {worker.pid} died while running the task: "
                f"{describe_exit(worker.process.exitcode)}"
            )
            # Killed from outside (an operator, a supervisor stopping the machine): the
            # infrastructure's fault, not the task's. The task's own crashes (a segfault,
            # os._exit, sys.exit) and our own kills (timeouts, memory) stay its fault.
            killed = worker.kill_reason is None and worker.process.exitcode in _KILLED
            lost = _lost(worker.request, worker.started_at, reason, worker.kill_retryable)
            events.append(replace(lost, lost=True) if killed else lost)
        self._forget(worker)
        if self._state == "running":
            self._spawn()

    def _forget(self, worker: _Worker) -> None:
        self._workers.remove(worker)
        if worker in self._idle:
            self._idle.remove(worker)
        worker.conn.close()
        if worker.process.exitcode is not None:
            worker.process.close()
        self._handles = None

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        for worker in self._workers:
            if worker.kill_at is not None and now >= worker.kill_at:
                worker.kill_at = None
                _kill_group(worker.pid, signal.SIGKILL)
            if worker.deadline is not None and now >= worker.deadline and worker.request:
                timeout = worker.request.execution_timeout_s or 0.0
                reason = (
                    f"BatonTaskTimeout: {timeout_message(timeout)} (the task did not stop "
                    f"within {self.TIMEOUT_GRACE_S:g} s of grace, so worker process "
                    f"{worker.pid} was killed)"
                )
                self._stop(worker, reason, signal.SIGKILL)

    def _stop(self, worker: _Worker, reason: str, signum: int, retryable: bool = True) -> None:
        if worker.kill_reason is None:
            worker.kill_reason, worker.kill_retryable = reason, retryable
        worker.deadline = None
        _kill_group(worker.pid, signum)

    def _later(self, event: ExecutorEvent) -> None:
        """Keep an event made here for the next collect(), and wake the Engine for it."""
        self._events.append(event)
        self._wakeup.set()

    # -- shutdown --------------------------------------------------------------------------

    def _drain_until(self, deadline: float) -> None:
        """Run queued and running tries to completion, keeping their events for collect()."""
        while self._pending or any(w.request for w in self._workers):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            kill_due = self.next_deadline()
            if kill_due is not None:
                remaining = min(remaining, max(0.0, kill_due - time.monotonic()))
            wait(self.wait_handles(), timeout=remaining)
            events: list[ExecutorEvent] = []
            self._poll(events)
            self._events.extend(events)
            if self._pending and not self._workers:
                return

    def _stop_workers(self, reason: str) -> None:
        for worker in self._workers:
            if worker.request is not None:
                self._stop(worker, reason, signal.SIGKILL)
            else:
                with contextlib.suppress(OSError):
                    worker.conn.send(STOP)
        # Wait on the sentinels rather than join(): joining frees the pid, after which
        # signalling its process group (in _reap) could hit an unrelated process.
        alive = {w.process.sentinel: w for w in self._workers}
        give_up = time.monotonic() + self.STOP_TIMEOUT_S
        while alive and time.monotonic() < give_up:
            ended = set(wait(list(alive), timeout=max(0.0, give_up - time.monotonic())))
            alive = {sentinel: w for sentinel, w in alive.items() if sentinel not in ended}
        for worker in alive.values():
            _kill_group(worker.pid, signal.SIGKILL)
        for worker in list(self._workers):
            events: list[ExecutorEvent] = []
            self._reap(worker, events)
            self._events.extend(events)
        if self._events:
            self._wakeup.set()

    def _kill_at_exit(self) -> None:
        # The interpreter is exiting without shutdown(): do not leave workers behind, and do
        # not let multiprocessing's exit handler wait for them forever.
        for worker in self._workers:
            _kill_group(worker.pid, signal.SIGKILL)
            worker.process.join(timeout=1.0)


def wrong_queue_message(request: TaskRequest) -> str:
    """Why an executor that runs everything on this machine refuses a task's queue=."""
    return (
        f"task '{request.task_id}' has queue={request.queue!r}, which only the Celery "
        f"executor honours (BATON_EXECUTOR=celery, with `baton celery worker --queues "
        f"{request.queue}` running); the local executor runs every try on this machine, so "
        f"it refuses the try rather than ignore queue=; remove queue= or use "
        f"'{DEFAULT_QUEUE}'"
    )


def describe_exit(exitcode: int | None) -> str:
    """``"killed by signal SIGABRT (6)"`` or ``"exited with code 3"``."""
    if exitcode is None:
        return "its exit status is unknown"
    if exitcode >= 0:
        return f"exited with code {exitcode}"
    try:
        name = signal.Signals(-exitcode).name
    except ValueError:
        name = "unknown signal"
    hint = "; if nobody killed it, the machine may be out of memory" if -exitcode == 9 else ""
    return f"killed by signal {name} ({-exitcode}){hint}"


def _lost(
    request: TaskRequest, started_at: datetime | None, reason: str, retryable: bool = True
) -> TaskFinished:
    """The outcome of a try that cannot report itself; the reason also goes to its log."""
    append_log_line(request.log_path, "ERROR", reason)
    append_log_line(request.log_path, "INFO", "Marking task as FAILED")
    return TaskFinished(request.key, "failed", started_at, datetime.now(UTC), reason, retryable)


def _kill_group(pid: int, signum: int, group_only: bool = False) -> None:
    """Signal the worker's process group (itself and its subprocesses), else just it.

    Before the child's ``setpgid`` the group does not exist yet; then only the pid is
    signalled, unless ``group_only`` (the process is already gone).
    """
    if pid <= 0:
        return
    try:
        os.killpg(pid, signum)
        return
    except (ProcessLookupError, PermissionError):
        if group_only:
            return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signum)
