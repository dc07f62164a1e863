"""The chaos monkey: kill -9 the real scheduler, or one of its workers, at random moments.

Only processes of the ``Baton`` it was given: the scheduler the harness started and that
scheduler's own children. After a scheduler kill it waits for the scheduler's children
to die with it (workers and the loader have ``PR_SET_PDEATHSIG``; one that outlived it
could run a try twice, so it is a problem, not a detail) and starts a new scheduler.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from scheduler.engine.wakeup import lock_path
from tests.e2e.harness import Baton

START_TIMEOUT_S = 30.0


@dataclass
class Kills:
    scheduler: int = 0
    worker: int = 0
    busy_worker: int = 0  # worker kills that hit a try in the middle of its work
    compensation_worker: int = 0  # of which in the middle of a compensation
    problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.scheduler + self.worker


class ChaosMonkey:
    def __init__(self, baton: Baton, ledger: Path, rng: random.Random) -> None:
        self.baton, self.ledger, self.rng = baton, ledger, rng
        self.kills = Kills()

    # -- the scheduler -----------------------------------------------------------------------
    def start_scheduler(self) -> None:
        """Start a scheduler and wait until it holds the scheduler lock (it is up)."""
        lock = lock_path(self.baton.home / "baton.db")
        deadline = time.monotonic() + START_TIMEOUT_S
        self.baton.start()
        while time.monotonic() < deadline:
            process = self.baton.process
            assert process is not None
            if process.poll() is not None:
                raise AssertionError(
                    f"the scheduler exited {process.returncode} at start:\n"
                    f"{self.baton.log_text()[-4000:]}"
                )
            if lock.exists() and lock.read_text().strip() == str(process.pid):
                return
            time.sleep(0.02)
        raise AssertionError(f"the scheduler did not take its lock:\n{self.baton.log_text()}")

    def scheduler_alive(self) -> bool:
        return self.baton.process is not None and self.baton.process.poll() is None

    def kill_scheduler(self) -> None:
        assert self.baton.process is not None
        family = _family(self.baton.process.pid)
        self.baton.kill(signal.SIGKILL)
        self.kills.scheduler += 1
        _, alive = psutil.wait_procs(family, timeout=15)
        if alive:
            self.kills.problems.append(
                f"kill -9 of the scheduler left {[p.pid for p in alive]} running"
            )
            for process in alive:  # ours: children of the scheduler we started
                process.kill()
        self.start_scheduler()

    # -- workers ---------------------------------------------------------------------------
    def kill_worker(self) -> bool:
        """SIGKILL one worker, preferably one running a try; False if there is none."""
        assert self.baton.process is not None
        workers = {
            child.pid
            for child in _children(self.baton.process.pid)
            if _name(child) == "baton-worker"
        }
        if not workers:
            return False
        busy = {pid: kind for pid, kind in self._busy_pids().items() if pid in workers}
        # Compensations are few and short: one running is the first choice, so that the
        # chaos reaches them too.
        undoing = sorted(pid for pid, kind in busy.items() if kind == "compensate")
        if busy and self.rng.random() < 0.8:
            pid = self.rng.choice(undoing or sorted(busy))
            self.kills.busy_worker += 1
            self.kills.compensation_worker += busy[pid] == "compensate"
        else:
            pid = self.rng.choice(sorted(workers))
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:  # it retired meanwhile: nothing was killed
            return False
        self.kills.worker += 1
        return True

    def _busy_pids(self) -> dict[int, str]:
        """Pids whose last ledger line is a start (a try in the middle of its work), with
        the kind of try: ``task`` or ``compensate``."""
        last: dict[int, dict] = {}
        try:
            lines = self.ledger.read_text().splitlines()
        except FileNotFoundError:
            return {}
        for line in lines:
            if line.strip():
                entry = json.loads(line)
                last[entry["pid"]] = entry
        return {pid: e["kind"] for pid, e in last.items() if e["event"] == "start"}


def _children(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children()
    except psutil.NoSuchProcess:
        return []


def _family(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _name(process: psutil.Process) -> str:
    try:
        return process.name()
    except psutil.NoSuchProcess:
        return ""
