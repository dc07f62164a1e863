"""Run a function on items in forked children, N children at once, each item time-limited.

Why forked children: a DAG file can crash the interpreter (``os.abort()``, a segfault in an
extension, ``os._exit``), hang, leak memory or mutate global state; in a child none of that
reaches the caller. Forking a warm process shares its imported libraries copy-on-write.

Each child runs a *batch* of items, one after the other (``batch_size``, 1 by default). On
this kind of machine a fork, its exit and its copy-on-write page faults cost ~3.5 ms of CPU
per child against ~1.6 ms for importing a small DAG file, so batching is what makes 500 files
parse in about a second on 2 cores. What batching must not cost, and does not:

- a crash is never blamed on the wrong item and never hides the others: the item that was
  running when a batch child died is run again alone (its own outcome is reported), the
  items after it go back to the queue;
- a hang is reported for the item that hung; the items after it go back to the queue;
- a slow item does not hold up the rest of its batch: past ``SLOW_ITEM_S`` the items not yet
  started are handed to other children.

What batch-mates do share is the interpreter: see ``scheduler.loader.parse`` for the state it
resets between files. The child protocol is in ``scheduler.loader.child``. Stdout and stderr
go to a memory file read by the parent (each item gets its own part, tail kept), stdin is
``/dev/null``. At an item's time limit the parent sends SIGUSR1 (faulthandler dumps the
stack into the output, so the report can say where it hung), then SIGKILL shortly after.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from scheduler.loader.child import DUMP_SIGNAL, FRAME, Work, child_main

OUTPUT_LIMIT = 8192
"""Bytes of an item's stdout/stderr kept (the tail)."""
SLOW_ITEM_S = 0.5
"""An item running this long in a batch hands the batch's remaining items to other children."""

_DUMP_GRACE_S = 0.2
_CLEANUP_GRACE_S = 1.0
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
    items: list[str]
    pid: int
    fd: int
    capture_fd: int
    item_started: float
    deadline: float
    limit: int  # items it may run; lowered when the rest is handed to other children
    done: int = 0  # items answered
    output_start: int = 0
    data: bytearray = field(default_factory=bytearray)
    eof: bool = False  # the pipe closed early: waiting to reap the child
    stopping: bool = False  # timed out: asked for a stack dump, SIGKILL follows

    @property
    def split_at(self) -> float | None:
        """When to hand the items not yet started to other children (None: nothing to hand)."""
        return self.item_started + SLOW_ITEM_S if self.limit > self.done + 1 else None


def run_isolated(
    items: Iterable[str], work: Work, *, timeout: float, parallelism: int, batch_size: int = 1
) -> Iterator[ChildOutcome]:
    """Yield one ``ChildOutcome`` per item, in the order the items finish."""
    for name, value in (("parallelism", parallelism), ("batch_size", batch_size)):
        if value < 1:
            raise ValueError(f"{name}={value!r}: it must be at least 1")
    if timeout <= 0:
        raise ValueError(f"timeout={timeout!r}: give each item a positive time limit")
    pool = _Pool(work, timeout, batch_size)
    pool.pending.extend(items)
    try:
        while pool.pending or pool.solo or pool.running:
            while (pool.pending or pool.solo) and len(pool.running) < parallelism:
                yield from pool.start_next()
            yield from pool.wait()
    finally:  # also when the caller stops iterating: no child outlives the call
        pool.close()


class _Pool:
    """The running children, the items waiting for one, and the selector over the pipes."""

    def __init__(self, work: Work, timeout: float, batch_size: int) -> None:
        self.work = work
        self.timeout = timeout
        self.batch_size = batch_size
        self.pending: deque[str] = deque()
        self.solo: deque[str] = deque()  # items whose batch crashed: each runs alone
        self.running: dict[int, _Child] = {}  # by pid
        self.answered: list[int] = []  # pids done with their items; reaped lazily
        self.selector = selectors.DefaultSelector()
        self.devnull = os.open(os.devnull, os.O_RDONLY)

    def start_next(self) -> list[ChildOutcome]:
        """Fork a child for the next batch; outcomes only if the fork itself failed."""
        if self.solo:
            batch = [self.solo.popleft()]
        else:
            batch = [self.pending.popleft() for _ in range(min(self.batch_size, len(self.pending)))]
        read_fd, write_fd = os.pipe()
        capture_fd = _new_capture_fd()
        try:
            pid = os.fork()
        except OSError as exc:
            for fd in (read_fd, write_fd, capture_fd):
                os.close(fd)
            return [
                ChildOutcome(i, None, "", 0.0, exit_reason=f"could not fork: {exc}") for i in batch
            ]
        if pid == 0:
            child_main(self.work, batch, write_fd, capture_fd, self.devnull)
        with contextlib.suppress(OSError):  # also here: the group exists before we kill it
            os.setpgid(pid, pid)
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        now = time.monotonic()
        child = _Child(batch, pid, read_fd, capture_fd, now, now + self.timeout, len(batch))
        self.running[pid] = child
        self.selector.register(read_fd, selectors.EVENT_READ, child)
        return []

    def wait(self) -> list[ChildOutcome]:
        """Wait for the next answer, crash or deadline; return the items that finished."""
        done = []
        for key, _ in self.selector.select(self._select_timeout()):
            done += self._read(key.data)
        done += self._reap_closed()
        done += self._enforce_deadlines()
        self._hand_over_from_slow()
        self._reap_answered()
        return done

    def close(self) -> None:
        for child in list(self.running.values()):
            _kill_group(child.pid)
            _wait_status(child.pid, blocking=True)
            self._forget(child)
        for pid in self.answered:
            # It answered everything and is killing what its DAG files left behind (see
            # ``child.child_main``): let it finish that, briefly, before killing its group.
            _wait_exit(pid, _CLEANUP_GRACE_S)
            _kill_group(pid)
            _wait_status(pid, blocking=True)
        self.answered.clear()
        self.selector.close()
        os.close(self.devnull)

    def _select_timeout(self) -> float | None:
        if not self.running:
            return 0.0
        if any(child.eof for child in self.running.values()):
            return _EOF_POLL_S
        times = [c.deadline for c in self.running.values()]
        times += [t for c in self.running.values() if (t := c.split_at) is not None]
        return max(0.0, min(times) - time.monotonic())

    def _read(self, child: _Child) -> list[ChildOutcome]:
        try:
            chunk = os.read(child.fd, 1 << 16)
        except BlockingIOError:
            return []
        if not chunk:  # closed before all answers: it died (or is dying)
            self.selector.unregister(child.fd)
            child.eof = True
            return []
        child.data += chunk
        return self._take_answers(child)

    def _take_answers(self, child: _Child) -> list[ChildOutcome]:
        outcomes = []
        while child.pid in self.running and len(child.data) >= FRAME.size:
            index, output_end, length = FRAME.unpack_from(child.data)
            end = FRAME.size + length
            if len(child.data) < end:
                break
            answer = bytes(child.data[FRAME.size : end])
            del child.data[:end]
            now = time.monotonic()
            output = _read_range(child.capture_fd, child.output_start, output_end)
            duration = now - child.item_started
            outcomes.append(ChildOutcome(child.items[index], answer, output, duration))
            child.done, child.output_start = index + 1, output_end
            child.item_started, child.deadline = now, now + self.timeout
            if child.done >= child.limit:
                self._retire(child)
        return outcomes

    def _retire(self, child: _Child) -> None:
        """The child answered all it may run: forget it (and stop it if it would go on)."""
        if child.done < len(child.items):  # its remaining items were handed to others
            _kill(child.pid, signal.SIGKILL)
        self.answered.append(child.pid)
        self._forget(child)

    def _reap_closed(self) -> list[ChildOutcome]:
        done = []
        for child in [c for c in self.running.values() if c.eof]:
            status = _wait_status(child.pid, blocking=False)
            if status is not None:
                done += self._fail(child, _describe_status(status))
        return done

    def _enforce_deadlines(self) -> list[ChildOutcome]:
        now = time.monotonic()
        done = []
        for child in [c for c in self.running.values() if c.deadline <= now]:
            if not child.stopping:  # first ask where it is stuck, then kill
                child.stopping = True
                child.deadline = now + _DUMP_GRACE_S
                _kill(child.pid, DUMP_SIGNAL)
                continue
            _kill_group(child.pid)
            _wait_status(child.pid, blocking=True)
            done += self._fail(child, "killed after the time limit")
        return done

    def _hand_over_from_slow(self) -> None:
        now = time.monotonic()
        for child in self.running.values():
            split_at = child.split_at
            if split_at is not None and split_at <= now:
                self.pending.extendleft(reversed(child.items[child.done + 1 : child.limit]))
                child.limit = child.done + 1

    def _fail(self, child: _Child, reason: str) -> list[ChildOutcome]:
        """The child ended without answering its current item: report it or run it alone."""
        item = child.items[child.done]
        self.pending.extendleft(reversed(child.items[child.done + 1 : child.limit]))
        output = _read_range(child.capture_fd, child.output_start, None)
        duration = time.monotonic() - child.item_started
        timed_out = child.stopping
        self._forget(child)
        if len(child.items) > 1 and not timed_out:  # maybe a batch-mate's doing: retry alone
            self.solo.append(item)
            return []
        return [ChildOutcome(item, None, output, duration, timed_out, reason)]

    def _reap_answered(self) -> None:
        self.answered = [p for p in self.answered if _wait_status(p, blocking=False) is None]

    def _forget(self, child: _Child) -> None:
        if not child.eof:
            self.selector.unregister(child.fd)
        os.close(child.fd)
        os.close(child.capture_fd)
        del self.running[child.pid]


def _new_capture_fd() -> int:
    if hasattr(os, "memfd_create"):
        return os.memfd_create("baton-dag-import-output")
    with tempfile.TemporaryFile() as handle:
        return os.dup(handle.fileno())


def _read_range(fd: int, start: int, end: int | None) -> str:
    """The captured output from ``start`` to ``end`` (the end of the file if None), tail kept."""
    end = os.fstat(fd).st_size if end is None else end
    start = max(start, end - OUTPUT_LIMIT)
    return os.pread(fd, max(0, end - start), start).decode("utf-8", errors="replace")


def _kill(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it exited already
        os.kill(pid, sig)


def _wait_status(pid: int, *, blocking: bool) -> int | None:
    """The child's wait status once it exited; ``None`` while it runs. Before reaping it,
    kills its process group: what its DAG files started ends with the import.

    If someone else reaped it already (SIGCHLD ignored by the host program) the status is
    unknown; 0 is returned so the caller moves on.
    """
    flags = os.WEXITED | os.WNOWAIT | (0 if blocking else os.WNOHANG)
    try:
        if os.waitid(os.P_PID, pid, flags) is None:
            return None
        # Exited, not reaped yet: its pid, the group's id, cannot have been reused.
        _kill_group(pid)
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return 0
    return status


def _wait_exit(pid: int, timeout: float) -> None:
    """Wait up to ``timeout`` for child ``pid`` to exit, without reaping it."""
    deadline = time.monotonic() + timeout
    with contextlib.suppress(ChildProcessError):
        while os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is None:
            if time.monotonic() >= deadline:
                return
            time.sleep(_EOF_POLL_S)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # no member left
        os.killpg(pid, signal.SIGKILL)


def _describe_status(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            return f"killed by signal {signal.Signals(number).name}"
        except ValueError:
            return f"killed by signal {number}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"
