"""One local-executor worker process: setup right after fork, then the request loop.

The loop is deliberately tiny: receive a ``TaskRequest``, answer ``TaskStarted``, run the
try with the Runner (which never raises), answer ``WorkerDone``. Everything that can go
wrong inside a try is the Runner's business; everything that kills the process (a signal,
``os._exit``, a segfault) is detected by the parent through the process sentinel.
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import os
import resource
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection

import psutil

from scheduler.executor import TaskFinished, TaskRequest, TaskStarted
from scheduler.loader.warmup import warm_up
from scheduler.processes import die_with_parent, set_process_name
from scheduler.runner import XComReader, XComReaderFactory, append_log_line, describe, run_try

_MB = 1024 * 1024

#: Called in each new worker right after fork, in order. The process that owns the
#: executor registers here what must not be shared with a child (e.g. disposing SQLAlchemy
#: engines with ``engine.dispose(close=False)``). A failing hook is reported, not fatal.
after_fork_in_worker: list[Callable[[], None]] = []

log = logging.getLogger(__name__)


def register_after_fork_in_worker(hook: Callable[[], None]) -> Callable[[], None]:
    """Add ``hook`` to ``after_fork_in_worker`` (once); usable as a decorator."""
    if hook not in after_fork_in_worker:
        after_fork_in_worker.append(hook)
    return hook


@dataclass(frozen=True)
class WorkerPolicy:
    """What a worker enforces on itself."""

    memory_limit_mb: int = 0  # RLIMIT_AS of the worker (0: none)
    recycle_rss_mb: int = 0  # exit after a try once RSS exceeds this (0: never)


@dataclass(frozen=True)
class WorkerDone:
    """Worker → parent: a try's outcome; ``retiring`` means the worker exits right after."""

    finished: TaskFinished
    retiring: bool = False


#: Parent → worker: finish the loop and exit.
STOP = None


def worker_main(
    conn: Connection,
    parent_pid: int,
    policy: WorkerPolicy,
    xcom_reader_factory: XComReaderFactory | None,
    inherited: list[Connection],
) -> None:
    """The worker process's entry point (the target of a forked ``Process``)."""
    prepare_after_fork(parent_pid, policy, inherited)
    _warm_up()
    pid, hostname = os.getpid(), socket.gethostname()
    me = psutil.Process(pid)
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return  # the parent closed our pipe: nothing more to do
        if request is STOP:
            return
        conn.send(TaskStarted(request.key, datetime.now(UTC), pid, hostname))
        finished = _run(request, xcom_reader_factory)
        retiring = _should_retire(policy, finished, me)
        conn.send(WorkerDone(finished, retiring))
        if retiring:
            return


def prepare_after_fork(parent_pid: int, policy: WorkerPolicy, inherited: list[Connection]) -> None:
    """Make a freshly forked child a well-behaved worker."""
    for connection in inherited:  # other workers' pipes: holding them would hide EOFs
        connection.close()
    _die_with_parent_or_exit(parent_pid)
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)  # own group: cancel kills the task's subprocesses too
    _reset_signals()
    # A crash in C code (segfault, abort) prints the Python stack to fd 2, which is the
    # try's log while a try runs: the log then shows where the task crashed.
    faulthandler.enable(file=2, all_threads=True)
    if policy.memory_limit_mb > 0:
        _limit_address_space(policy.memory_limit_mb)
    for hook in list(after_fork_in_worker):
        try:
            hook()
        except Exception:
            log.exception("after_fork_in_worker hook %r failed; the worker goes on", hook)


def _warm_up() -> None:
    """Build a DAG once before the first request: the first try would otherwise import
    networkx and friends (~80 ms of a no-op try's ~1.5 ms), once in every worker."""
    try:
        warm_up()
    except Exception:  # a worker that could not warm up still runs tries, only slower
        log.exception("warming up the worker failed; it goes on")


def _run(request: TaskRequest, factory: XComReaderFactory | None) -> TaskFinished:
    started_at = datetime.now(UTC)
    try:
        reader: XComReader | None = factory(request) if factory else None
    except BaseException as exc:  # the worker survives a broken factory
        error = f"could not create the XCom reader for this try: {describe(exc)}"
        append_log_line(request.log_path, "ERROR", error)
        return TaskFinished(request.key, "failed", started_at, datetime.now(UTC), error=error)
    return run_try(request, reader)


def _should_retire(policy: WorkerPolicy, finished: TaskFinished, me: psutil.Process) -> bool:
    # After a MemoryError the heap may be fragmented or half-initialised: start afresh.
    if finished.error and finished.error.startswith("MemoryError"):
        return True
    if policy.recycle_rss_mb <= 0:
        return False
    try:
        return me.memory_info().rss > policy.recycle_rss_mb * _MB
    except psutil.Error:
        return True


def _die_with_parent_or_exit(parent_pid: int) -> None:
    """SIGKILL this worker when the scheduler dies, however it dies; exit if it already did."""
    die_with_parent(signal.SIGKILL, parent_pid)
    set_process_name("baton-worker")


def _reset_signals() -> None:
    """Drop handlers inherited from the scheduler: they belong to its main loop."""
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM):
        signal.signal(signum, signal.SIG_DFL)
    signal.setitimer(signal.ITIMER_REAL, 0)
    with contextlib.suppress(ValueError):
        signal.set_wakeup_fd(-1)  # the parent's wake-up fd must not get our signals


def _limit_address_space(limit_mb: int) -> None:
    limit = limit_mb * _MB
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
