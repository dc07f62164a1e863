"""W1 and W2 through the Celery executor, and the local executor on PostgreSQL beside them.

``BENCH_BACKENDS=celery make bench`` (or ``python bench/run.py W1_CELERY W2_CELERY ...``)
adds these workloads: they need the machine's Redis and PostgreSQL, which a plain
``make bench`` does not. Each repetition gets a fresh PostgreSQL schema (or SQLite file),
a Redis database emptied first, the real ``baton scheduler`` and ``--workers`` real
``baton celery worker`` processes of ``--concurrency 2``.

| workload | database | executor | shows |
| --- | --- | --- | --- |
| ``W1_LOCAL_PG`` / ``W2_LOCAL_PG`` | PostgreSQL | local | the cost of the database |
| ``W1_CELERY`` / ``W2_CELERY`` | PostgreSQL | Celery on Redis | + the cost of the broker |
| ``W1_CELERY_SQLITE`` | SQLite | Celery on Redis | the broker alone |
| ``W1_CELERY_2S`` / ``W3_CELERY_2S`` | PostgreSQL | Celery, 2 schedulers | several schedulers |
| ``W3_LOCAL_PG`` / ``W3_CELERY`` | as above | | W3's baselines |
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from run import BATON, NOOP, W1, W2, W3, Bench, w1_measure, w2_measure, w3_measure
from sqlalchemy import create_engine, text

POSTGRES = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/12")
WORKERS = int(os.environ.get("BENCH_CELERY_WORKERS", "2"))


class PostgresSchema:
    """A schema of its own in the bench database, dropped afterwards."""

    def __init__(self) -> None:
        self.name = f"baton_bench_{uuid.uuid4().hex[:8]}"
        self.admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{self.name}"'))
        self.url = f"{POSTGRES}?options=-csearch_path%3D{self.name}"

    def drop(self) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{self.name}" CASCADE'))
        self.admin.dispose()


def _start_workers(bench: Bench) -> list[subprocess.Popen[bytes]]:
    workers = []
    for n in range(WORKERS):
        log = Path(bench.tmp.name) / f"worker{n}.log"
        env = {**bench.env, "BATON_HOME": str(Path(bench.tmp.name) / f"worker{n}")}
        with open(log, "ab") as out:
            workers.append(
                subprocess.Popen(
                    [BATON, "celery", "worker", "-c", "2", "-H", f"bench{n}@%h", "-l", "WARNING"],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    _wait_consuming(len(workers))
    return workers


def _wait_consuming(count: int, timeout: float = 30.0) -> None:
    """Until ``count`` workers consume the default queue (Celery's ping)."""
    from celery import Celery  # only this bench needs Celery

    app = Celery(broker=REDIS)
    give_up = time.monotonic() + timeout
    while len(app.control.ping(timeout=0.5) or []) < count:
        if time.monotonic() > give_up:
            raise TimeoutError(f"{count} Celery workers did not answer a ping")


def _stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for process in workers:
        os.killpg(process.pid, signal.SIGTERM)
    for process in workers:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _run(
    files: dict[str, str],
    measure: Callable[[Bench], dict[str, float]],
    celery: bool,
    pg: bool,
    schedulers: int = 1,
) -> dict[str, Any]:
    schema = PostgresSchema() if pg else None
    settings: dict[str, str] = {}
    if schema:
        settings["BATON_DATABASE_URL"] = schema.url
    if celery:
        redis.Redis.from_url(REDIS).flushdb()
        settings.update(
            BATON_EXECUTOR="celery", BATON_CELERY_BROKER_URL=REDIS, BATON_PARALLELISM="64"
        )
    bench = Bench(files, schedulers=schedulers, **settings)
    workers = _start_workers(bench) if celery else []
    try:
        return measure(bench)
    finally:
        _stop(workers)
        if schema:
            schema.drop()


WORKLOADS: dict[str, Callable[[], dict[str, Any]]] = {
    "W1_LOCAL_PG": lambda: _run({"w1.py": W1.format(noop=NOOP)}, w1_measure, False, True),
    "W2_LOCAL_PG": lambda: _run({"w2.py": W2.format(noop=NOOP)}, w2_measure, False, True),
    "W1_CELERY": lambda: _run({"w1.py": W1.format(noop=NOOP)}, w1_measure, True, True),
    "W2_CELERY": lambda: _run({"w2.py": W2.format(noop=NOOP)}, w2_measure, True, True),
    "W1_CELERY_SQLITE": lambda: _run({"w1.py": W1.format(noop=NOOP)}, w1_measure, True, False),
    "W1_CELERY_2S": lambda: _run({"w1.py": W1.format(noop=NOOP)}, w1_measure, True, True, 2),
    "W3_LOCAL_PG": lambda: _run(_w3_files(), w3_measure, False, True),
    "W3_CELERY": lambda: _run(_w3_files(), w3_measure, True, True),
    "W3_CELERY_2S": lambda: _run(_w3_files(), w3_measure, True, True, 2),
}


def _w3_files() -> dict[str, str]:
    return {"w3.py": W3.format(noop=NOOP, dag_id="w3_runs")}
