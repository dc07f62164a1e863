"""``baton standalone``'s supervisor: start each child (the scheduler, the web UI), restart
one that dies, with a backoff, saying why; stop them all on SIGTERM or Ctrl-C.

A child that exits or is killed is started again after ``RestartPolicy.delay_s``: 1 s, then
doubling up to 30 s while it keeps dying soon after it started; a child that stayed up for
``stable_s`` starts over at 1 s. The reason (exit status, or the signal that killed it) and
the delay are printed on stderr, where the children's own output goes too, so the line
before says what went wrong. The scheduler resumes from the database after a restart, as
after any crash; a try that was running is failed and retried per its retries.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import click

STOP_TIMEOUT_S = 120.0  # the scheduler lets running tries finish before it exits
TICK_S = 0.2  # how often exits are checked; a signal interrupts the sleep at once


@dataclass(frozen=True)
class RestartPolicy:
    """How long to wait before starting a dead child again."""

    first_s: float = 1.0
    max_s: float = 30.0
    stable_s: float = 60.0  # up this long: the next failure waits ``first_s`` again

    def delay_s(self, quick_failures: int) -> float:
        """The wait before the restart that follows ``quick_failures`` deaths in a row."""
        return min(self.first_s * 2 ** max(quick_failures - 1, 0), self.max_s)


@dataclass
class Child:
    """One supervised ``baton`` command and its current process."""

    name: str
    args: tuple[str, ...]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    quick_failures: int = 0  # deaths in a row, each soon after its start
    restarts: int = 0
    restart_at: float | None = None  # set while dead: when to start it again


def spawn(args: Sequence[str]) -> subprocess.Popen[bytes]:
    """``baton ARGS`` as a child in its own process group: a terminal's Ctrl-C reaches only
    us, and we stop the children in order."""
    command = [sys.executable, "-c", "from scheduler.cli import main; main()", *args]
    return subprocess.Popen(command, process_group=0)


def describe_exit(code: int) -> str:
    """``exited with status 1`` or ``was killed by SIGKILL``."""
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"


class _StopRequests:
    """Counts SIGTERM/SIGINT. A plain counter, not a threading.Event: setting an Event takes
    a lock the interrupted main thread may hold, and the handler then deadlocks."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_: Any) -> None:
        self.count += 1


class Supervisor:
    """Runs ``children`` until asked to stop; see the module docstring."""

    def __init__(
        self,
        children: dict[str, Sequence[str]],
        policy: RestartPolicy | None = None,
        start: Callable[[Sequence[str]], subprocess.Popen[bytes]] = spawn,
    ) -> None:
        self.children = [Child(name, tuple(args)) for name, args in children.items()]
        self.policy = policy or RestartPolicy()
        self._start = start
        self.requests = _StopRequests()

    def pid(self, name: str) -> int | None:
        child = next(c for c in self.children if c.name == name)
        return child.process.pid if child.process else None

    def start(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self.requests)
        for child in self.children:
            self._launch(child)

    def run(self) -> int:
        """Supervise until a stop signal; then stop every child. Returns 0."""
        while not self.requests.count:
            time.sleep(TICK_S)
            now = time.monotonic()
            for child in self.children:
                self._check(child, now)
        self._stop_all()
        return 0

    def _launch(self, child: Child) -> None:
        child.process = self._start(child.args)
        child.started_at, child.restart_at = time.monotonic(), None

    def _check(self, child: Child, now: float) -> None:
        if child.restart_at is not None:
            if now >= child.restart_at:
                try:
                    self._launch(child)
                except OSError as exc:  # no fork possible right now (EAGAIN, ENOMEM)
                    child.quick_failures += 1
                    child.restart_at = now + self.policy.delay_s(child.quick_failures)
                    _say(f"Could not start the {child.name} ({exc}); trying again.")
                    return
                child.restarts += 1
                assert child.process is not None
                _say(f"Restarted the {child.name} (pid {child.process.pid}).")
            return
        assert child.process is not None
        code = child.process.poll()
        if code is None:
            return
        quick = now - child.started_at < self.policy.stable_s
        child.quick_failures = child.quick_failures + 1 if quick else 1
        delay = self.policy.delay_s(child.quick_failures)
        child.restart_at = now + delay
        _say(
            f"The {child.name} (pid {child.process.pid}) {describe_exit(code)}; restarting it"
            f" in {delay:g} s"
            f" (restart {child.restarts + 1})."
        )

    def _stop_all(self) -> None:
        """SIGTERM every child still running and wait; another Ctrl-C (or the timeout) kills."""
        requested = self.requests.count
        running = [c for c in self.children if c.process and c.process.poll() is None]
        for child in running:
            assert child.process is not None
            child.process.send_signal(signal.SIGTERM)
        for child in running:
            assert child.process is not None
            deadline = time.monotonic() + STOP_TIMEOUT_S
            while child.process.poll() is None and time.monotonic() < deadline:
                if self.requests.count > requested:  # asked again: stop waiting
                    break
                time.sleep(TICK_S)
            if child.process.poll() is None:
                _say(f"The {child.name} did not stop in time; killing it.")
                child.process.kill()
                child.process.wait()


def _say(message: str) -> None:
    click.echo(f"[standalone] {message}", err=True)
