"""One try in a forked child of a Celery worker process, watched by that process.

The same isolation as the local executor's workers: the child leads its own process group,
dies with its parent, prints a crash's Python stack into the try's log, and whatever kills
it (a segfault, ``os._exit``, the OOM killer) fails only this try, with the reason. The
watching parent meanwhile ships the log as it grows, heartbeats the try's claim, stops the
child when the scheduler cancels the try, and kills it when it outlives its
``execution_timeout`` by ``TIMEOUT_GRACE_S`` (the Runner's own timeout fires first).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import wait

from scheduler.executor import TaskFinished, TaskRequest
from scheduler.executors.local import describe_exit
from scheduler.executors.worker import WorkerPolicy, prepare_after_fork
from scheduler.runner import XComReaderFactory, append_log_line, run_try, timeout_message

TICK_S = 0.5  # how often the parent ships new log bytes and looks at the claim
TIMEOUT_GRACE_S = 5.0  # past execution_timeout before the child is killed
CANCEL_GRACE_S = 2.0  # between SIGTERM and SIGKILL on cancel


@dataclass
class Watch:
    """What the parent does while the child runs; each callable is called every tick."""

    ship_log: Callable[[], None]
    # Returns True when the try must stop (the scheduler cancelled it).
    cancel_requested: Callable[[], bool]
    after_fork: Callable[[], None]  # in the child: drop what must not be shared


def run_isolated(
    request: TaskRequest,
    factory: XComReaderFactory | None,
    policy: WorkerPolicy,
    watch: Watch,
) -> TaskFinished:
    """Run ``request`` in a forked child and return its outcome; never raises."""
    reader_end, writer_end = multiprocessing.Pipe(duplex=False)
    parent_pid = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: run the try, send the outcome, leave without cleanup
        status = 0
        try:
            prepare_after_fork(parent_pid, policy, [reader_end])
            watch.after_fork()
            writer_end.send(run_try(request, factory(request) if factory else None))
        except BaseException:
            status = 70
        finally:
            os._exit(status)
    writer_end.close()
    started_at = datetime.now(UTC)
    try:
        finished, reason, retryable = _watch(request, pid, reader_end, watch)
    finally:
        reader_end.close()
    _, status = os.waitpid(pid, 0)
    _kill_group(pid)  # subprocesses the task left behind
    if finished is not None:
        return finished
    reason = reason or (
        f"worker process {pid} died while running the task: "
        f"{describe_exit(os.waitstatus_to_exitcode(status))}"
    )
    append_log_line(request.log_path, "ERROR", reason)
    append_log_line(request.log_path, "INFO", "Marking task as FAILED")
    return TaskFinished(request.key, "failed", started_at, datetime.now(UTC), reason, retryable)


def _watch(
    request: TaskRequest, pid: int, conn: multiprocessing.connection.Connection, watch: Watch
) -> tuple[TaskFinished | None, str | None, bool]:
    """Wait for the child's outcome; ``(None, reason, retryable)`` if it never came."""
    timeout = request.execution_timeout_s
    deadline = time.monotonic() + timeout + TIMEOUT_GRACE_S if timeout else None
    reason: str | None = None
    retryable = True
    kill_at: float | None = None
    while True:
        if wait([conn], TICK_S):
            try:
                return conn.recv(), reason, retryable
            except (EOFError, OSError):
                return None, reason, retryable  # it died: its exit status says how
        watch.ship_log()
        now = time.monotonic()
        if reason is None and watch.cancel_requested():
            reason, retryable = f"cancelled: worker process {pid} was stopped on request", False
            _signal_group(pid, signal.SIGTERM)
            kill_at = now + CANCEL_GRACE_S
        if reason is None and deadline is not None and now >= deadline:
            reason = (
                f"BatonTaskTimeout: {timeout_message(timeout or 0.0)} (the task did not stop "
                f"within {TIMEOUT_GRACE_S:g} s of grace, so worker process {pid} was killed)"
            )
            _signal_group(pid, signal.SIGKILL)
        if kill_at is not None and now >= kill_at:
            _signal_group(pid, signal.SIGKILL)
            kill_at = None


def _signal_group(pid: int, signum: int) -> None:
    try:
        os.killpg(pid, signum)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
