"""Run a function on each item in its own forked child, at most N at once, each time-limited.

Why a fork per item: a DAG file can crash the interpreter (``os.abort()``, a segfault in an
extension, ``os._exit``), hang, leak memory or mutate global state; in its own child none of
that reaches the caller or the other files. Forking a warm process costs ~1.5 ms, so the
libraries are imported once, in the parent.

The child protocol: the child runs ``work(item) -> bytes`` and writes an 8-byte length and the
bytes to a pipe, then leaves with ``os._exit`` (no interpreter teardown, no atexit handlers,
no finalizers that could touch database connections inherited from the parent). A complete
answer is the success signal, so a child whose stray grandchild still holds the pipe open does
not delay its result. Its stdin is ``/dev/null``; its stdout and stderr go to a memory file
that the parent reads afterwards (the tail is kept), so prints never reach the caller's
terminal and a crash's faulthandler traceback is kept.

At the time limit the parent first sends SIGUSR1 (faulthandler dumps the stack into the
captured output, so the report can say where it hung), then SIGKILL shortly after.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import selectors
import signal
import struct
import sys
import tempfile
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from scheduler.loader.pdeathsig import die_with_parent

Work = Callable[[str], bytes]

OUTPUT_LIMIT = 8192
"""Bytes of a child's stdout/stderr kept (the tail)."""

_HEADER = struct.Struct("!Q")
_DUMP_SIGNAL = signal.SIGUSR1
_DUMP_GRACE_S = 0.2
_CRASH_EXIT_CODE = 70
_EOF_POLL_S = 0.001


@dataclass
class ChildOutcome:
    """What became of one item: its answer, or why there is none."""

    item: str
    payload: bytes | None
    output: str
    duration_s: float
    timed_out: bool = False
    exit_reason: str | None = None
    """Why the child ended without an answer: ``"killed by signal SIGSEGV"``, ``"exit code 3"``."""


@dataclass
class _Child:
    item: str
    pid: int
    fd: int
    capture_fd: int
    started: float
    deadline: float
    data: bytearray = field(default_factory=bytearray)
    eof: bool = False  # the pipe closed without a whole answer: waiting to reap the child
    stopping: bool = False  # timed out: asked for a stack dump, SIGKILL follows

    def answer(self) -> bytes | None:
        if len(self.data) < _HEADER.size:
            return None
        (size,) = _HEADER.unpack_from(self.data)
        end = _HEADER.size + size
        return bytes(self.data[_HEADER.size : end]) if len(self.data) >= end else None


def run_isolated(
    items: Iterable[str], work: Work, *, timeout: float, parallelism: int
) -> Iterator[ChildOutcome]:
    """Yield one ``ChildOutcome`` per item, in the order the children finish."""
    if parallelism < 1:
        raise ValueError(f"parallelism={parallelism!r}: run at least 1 child at a time")
    if timeout <= 0:
        raise ValueError(f"timeout={timeout!r}: give the children a positive time limit")
    pool = _Pool(work, timeout)
    pending = deque(items)
    try:
        while pending or pool.running:
            while pending and len(pool.running) < parallelism:
                failed = pool.start(pending.popleft())
                if failed is not None:
                    yield failed
            yield from pool.wait()
    finally:  # also when the caller stops iterating: no child outlives the call
        pool.close()


class _Pool:
    """The running children and the selector over their answer pipes."""

    def __init__(self, work: Work, timeout: float) -> None:
        self.work = work
        self.timeout = timeout
        self.selector = selectors.DefaultSelector()
        self.running: dict[int, _Child] = {}  # by pid
        self.answered: list[int] = []  # pids that answered and are exiting; reaped lazily
        self.devnull = os.open(os.devnull, os.O_RDONLY)

    def start(self, item: str) -> ChildOutcome | None:
        """Fork a child for ``item``; an outcome only if the fork itself failed."""
        read_fd, write_fd = os.pipe()
        capture_fd = _new_capture_fd()
        started = time.monotonic()
        try:
            pid = os.fork()
        except OSError as exc:
            for fd in (read_fd, write_fd, capture_fd):
                os.close(fd)
            return ChildOutcome(item, None, "", 0.0, exit_reason=f"could not fork: {exc}")
        if pid == 0:
            _child_main(self.work, item, write_fd, capture_fd, self.devnull)
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        child = _Child(item, pid, read_fd, capture_fd, started, started + self.timeout)
        self.running[pid] = child
        self.selector.register(read_fd, selectors.EVENT_READ, child)
        return None

    def wait(self) -> list[ChildOutcome]:
        """Wait for the next answer, crash or deadline; return the children that finished."""
        done = []
        for key, _ in self.selector.select(self._select_timeout()):
            outcome = self._read(key.data)
            if outcome is not None:
                done.append(outcome)
        done += self._reap_closed()
        done += self._enforce_deadlines()
        self._reap_answered()
        return done

    def close(self) -> None:
        for child in list(self.running.values()):
            _kill(child.pid, signal.SIGKILL)
            _wait_status(child.pid, blocking=True)
            self._forget(child)
        for pid in self.answered:
            _kill(pid, signal.SIGKILL)
            _wait_status(pid, blocking=True)
        self.answered.clear()
        self.selector.close()
        os.close(self.devnull)

    def _select_timeout(self) -> float:
        if any(child.eof for child in self.running.values()):
            return _EOF_POLL_S
        nearest = min(child.deadline for child in self.running.values())
        return max(0.0, nearest - time.monotonic())

    def _read(self, child: _Child) -> ChildOutcome | None:
        try:
            chunk = os.read(child.fd, 1 << 16)
        except BlockingIOError:
            return None
        if not chunk:  # closed without a whole answer: it died (or is dying)
            self.selector.unregister(child.fd)
            child.eof = True
            return None
        child.data += chunk
        answer = child.answer()
        if answer is None:
            return None
        self.answered.append(child.pid)
        return self._finish(child, answer)

    def _reap_closed(self) -> list[ChildOutcome]:
        done = []
        for child in [c for c in self.running.values() if c.eof]:
            status = _wait_status(child.pid, blocking=False)
            if status is not None:
                reason = _describe_status(status)
                done.append(self._finish(child, None, exit_reason=reason))
        return done

    def _enforce_deadlines(self) -> list[ChildOutcome]:
        now = time.monotonic()
        done = []
        for child in [c for c in self.running.values() if c.deadline <= now]:
            if not child.stopping:  # first ask where it is stuck, then kill
                child.stopping = True
                child.deadline = now + _DUMP_GRACE_S
                _kill(child.pid, _DUMP_SIGNAL)
                continue
            _kill(child.pid, signal.SIGKILL)
            _wait_status(child.pid, blocking=True)
            done.append(self._finish(child, None, exit_reason="killed after the time limit"))
        return done

    def _reap_answered(self) -> None:
        self.answered = [p for p in self.answered if _wait_status(p, blocking=False) is None]

    def _finish(
        self, child: _Child, answer: bytes | None, exit_reason: str | None = None
    ) -> ChildOutcome:
        output = _read_tail(child.capture_fd, OUTPUT_LIMIT)
        self._forget(child)
        duration = time.monotonic() - child.started
        timed_out = child.stopping and answer is None
        return ChildOutcome(child.item, answer, output, duration, timed_out, exit_reason)

    def _forget(self, child: _Child) -> None:
        if not child.eof:
            self.selector.unregister(child.fd)
        os.close(child.fd)
        os.close(child.capture_fd)
        del self.running[child.pid]


def _child_main(work: Work, item: str, result_fd: int, capture_fd: int, devnull: int) -> None:
    """The child's whole life; it never returns into the parent's code."""
    code = 0
    try:
        parent = os.getppid()
        _prepare_child(capture_fd, devnull, parent)
        answer = work(item)
        sys.stdout.flush()
        sys.stderr.flush()
        _write_all(result_fd, _HEADER.pack(len(answer)) + answer)
    except BaseException:
        code = _CRASH_EXIT_CODE
        try:
            traceback.print_exc()
            sys.stderr.flush()
        except BaseException:
            pass
    finally:
        os._exit(code)


def _prepare_child(capture_fd: int, devnull: int, parent: int) -> None:
    die_with_parent(signal.SIGKILL, parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.dup2(devnull, 0)
    os.dup2(capture_fd, 1)
    os.dup2(capture_fd, 2)
    # Fresh stream objects: the inherited ones may hold the parent's unflushed text or
    # write somewhere else than fds 1 and 2 (pytest, a log file).
    sys.stdout = open(1, "w", buffering=1, errors="backslashreplace", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, errors="backslashreplace", closefd=False)  # noqa: SIM115
    faulthandler.enable(file=2, all_threads=True)
    faulthandler.register(_DUMP_SIGNAL, file=2, all_threads=True)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _new_capture_fd() -> int:
    if hasattr(os, "memfd_create"):
        return os.memfd_create("baton-dag-import-output")
    with tempfile.TemporaryFile() as handle:
        return os.dup(handle.fileno())


def _read_tail(fd: int, limit: int) -> str:
    size = os.fstat(fd).st_size
    start = max(0, size - limit)
    data = os.pread(fd, size - start, start)
    return data.decode("utf-8", errors="replace")


def _kill(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it exited already
        os.kill(pid, sig)


def _wait_status(pid: int, *, blocking: bool) -> int | None:
    """The child's wait status once it exited; ``None`` while it runs.

    If someone else reaped it already (SIGCHLD ignored by the host program) the status is
    unknown; 0 is returned so the caller moves on.
    """
    try:
        reaped, status = os.waitpid(pid, 0 if blocking else os.WNOHANG)
    except ChildProcessError:
        return 0
    return status if reaped else None


def _describe_status(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            return f"killed by signal {signal.Signals(number).name}"
        except ValueError:
            return f"killed by signal {number}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"
