"""Adaptive throttling against a service of fixed capacity: how close it gets, how fast.

``python bench/adaptive_throttle_bench.py [capacity/s] [seconds] [workers] [burst]`` (default
10, 20, 4, 3): a local HTTP service answers 429 (``Retry-After: 1``) above ``capacity`` calls a
second (its own token bucket, ``burst`` calls at once);
``workers`` processes call it as fast as ``HttpHook`` lets them through one connection with
``{"adaptive": true, "adaptive_max_rate": 4 x capacity}``, sharing the throttle through a
SQLite database. Printed: the ok calls and 429s per second, and the last third's rate as a
share of the capacity. (The end-to-end test does the same through the real scheduler.)
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scheduler.store.db import make_engine, transaction
from scheduler.store.migrate import migrate
from scheduler.throttle.store import read_throttle
from tests.throttle.capacity_service import CapacityService, summarize, timeline


def connection_extra(capacity: float) -> dict[str, object]:
    """The extras the bench and the end-to-end test give the service's connection."""
    return {
        "adaptive": True,
        "adaptive_max_rate": f"{capacity * 4:g}/s",
        "adaptive_increase": capacity / 2.5,
    }  # the breaker's defaults: with "adaptive" on, it leaves 429s to the throttle


def _worker(seconds: float) -> None:
    from plugins.http import HttpHook, HttpRetryPolicy

    hook = HttpHook("GET", "fragile", retry_policy=HttpRetryPolicy(max_attempts=1))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        hook.run("work", extra_options={"check_response": False})


def main() -> None:
    capacity = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    burst = float(sys.argv[4]) if len(sys.argv) > 4 else 3.0
    service = CapacityService(capacity, burst=burst)
    with tempfile.TemporaryDirectory() as folder, service:
        url = f"sqlite:///{Path(folder) / 'baton.db'}"
        migrate(make_engine(url))
        conn = {"conn_type": "http", "host": service.url, "extra": connection_extra(capacity)}
        os.environ["BATON_DATABASE_URL"] = url
        os.environ["BATON_CONN_FRAGILE"] = json.dumps(conn)
        procs = [multiprocessing.Process(target=_worker, args=(seconds,)) for _ in range(workers)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
        answered = list(service.answered)
        with transaction(make_engine(url, write=False)) as session:
            final = read_throttle(session, "fragile")
    print(
        f"{workers} workers, {seconds:g} s, capacity {capacity:g}/s, load {os.getloadavg()[0]:.1f}"
    )
    print("per second, ok [429]:", timeline(answered))
    print(summarize(answered, seconds / 3).line(capacity))
    if final is not None:  # below the rate served: the workers could not go faster
        print(f"allowed rate at the end: {final.rate:.2f}/s (max {final.max_rate:g}/s)")


if __name__ == "__main__":
    main()
