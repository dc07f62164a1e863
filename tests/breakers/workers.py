"""Calls through a breaker made in other processes: what the tests' "workers" do.

Each worker is a real forked process with its own database engine; they share the breaker
only through the database, as Baton's workers do.
"""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import asdict, dataclass
from typing import Any

from scheduler.breakers import BreakerPolicy, CircuitBreaker
from scheduler.errors import CircuitOpenError

CONN_ID = "payments_api"
_CTX = multiprocessing.get_context("fork")


@dataclass(frozen=True)
class Outcome:
    result: str  # ok | failed | refused
    reached_service: bool
    message: str = ""


def call_once(url: str, policy: BreakerPolicy, fail: bool, hold_s: float = 0.0) -> Outcome:
    """One call through the breaker; the "service" fails or answers after ``hold_s``."""
    breaker = CircuitBreaker(CONN_ID, policy, database_url=url)
    reached = False
    try:
        with breaker.guard():
            reached = True
            time.sleep(hold_s)
            if fail:
                raise ConnectionError("service unavailable")
    except CircuitOpenError as exc:
        return Outcome("refused", reached, str(exc))
    except ConnectionError as exc:
        return Outcome("failed", reached, str(exc))
    return Outcome("ok", reached)


def _worker(queue: Any, barrier: Any, index: int, calls: list[dict[str, Any]]) -> None:
    barrier.wait(timeout=60)
    for call in calls:
        queue.put((index, asdict(call_once(**call))))


def in_processes(*calls_per_worker: list[dict[str, Any]]) -> list[list[Outcome]]:
    """Run each list of calls in its own process, all starting together; their outcomes."""
    queue = _CTX.Queue()
    barrier = _CTX.Barrier(len(calls_per_worker))
    processes = [
        _CTX.Process(target=_worker, args=(queue, barrier, i, calls))
        for i, calls in enumerate(calls_per_worker)
    ]
    for process in processes:
        process.start()
    outcomes: list[list[Outcome]] = [[] for _ in calls_per_worker]
    for _ in range(sum(len(calls) for calls in calls_per_worker)):
        index, outcome = queue.get(timeout=120)
        outcomes[index].append(Outcome(**outcome))
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0, f"worker process exited with {process.exitcode}"
    return outcomes
