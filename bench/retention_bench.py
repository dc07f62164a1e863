"""``baton db clean`` on 100,000 task instances: how long it takes, how long a lock is held.

``python bench/retention_bench.py [sqlite|postgres ...]`` (``BENCH_ARCHIVE=archive|skip``
for one mode only): builds, with bulk inserts (not
through the scheduler), 1,000 finished runs of 100 task instances each, every instance with
one try, its log file, one shipped log chunk, one XCom and two events, all ended 30 days ago;
beside them 20 recent runs and 10 old runs that are still running (both must survive). Then
``db clean`` of everything older than 7 days, with archive and (on a fresh copy) without,
while another process plays the scheduler: a small write transaction every 20 ms whose wait for
the lock is measured. Printed per back end: build, dry run and clean times, batches, the
longest transaction the clean held, and the writer's worst wait.

``build_history`` is also what the retention tests use to make old history quickly.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, insert, select, text, update

from scheduler.store.db import make_engine, transaction
from scheduler.store.migrate import migrate
from scheduler.store.models import (
    dag_run_table,
    event_table,
    scheduler_job_table,
    task_instance_table,
    task_try_table,
    xcom_table,
)
from scheduler.store.models_celery import task_log_chunk_table
from scheduler.store.retention import CleanPolicy, clean, count_old, parse_tables

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_CHUNK = 20_000  # rows per executemany
ARCHIVE_MODES = {"both": (True, False), "archive": (True,), "skip": (False,)}


@dataclass(frozen=True)
class History:
    """What ``build_history`` made: which runs are old and finished, recent, still active."""

    old: list[tuple[str, str]]
    recent: list[tuple[str, str]]
    active: list[tuple[str, str]]


def build_history(
    engine: Engine,
    logs_folder: Path,
    *,
    runs: int,
    tasks: int,
    ended: datetime,
    dag_id: str = "history",
    state: str = "success",
    prefix: str = "old",
) -> list[tuple[str, str]]:
    """``runs`` runs of ``dag_id`` in ``state`` with ``tasks`` instances each, every instance
    with a try (and its log file), a log chunk, an XCom and two events; return their keys."""
    finished = state not in ("queued", "running")
    run_rows = [
        {
            "dag_id": dag_id,
            "run_id": f"{prefix}__{i:06d}",
            "run_type": "scheduled",
            "state": state,
            "logical_date": ended - timedelta(hours=1, minutes=i),
            "data_interval_start": ended - timedelta(hours=2, minutes=i),
            "data_interval_end": ended - timedelta(hours=1, minutes=i),
            "conf": {},
            "queued_at": ended - timedelta(minutes=10),
            "start_date": ended - timedelta(minutes=9),
            "end_date": ended if finished else None,
        }
        for i in range(runs)
    ]
    _insert(engine, dag_run_table, run_rows)
    with engine.connect() as connection:
        ids = dict(
            connection.execute(
                select(dag_run_table.c.run_id, dag_run_table.c.id).where(
                    dag_run_table.c.dag_id == dag_id,
                    dag_run_table.c.run_id.like(f"{prefix}\\_\\_%", escape="\\"),
                )
            ).all()
        )
    tis, tries, xcoms, chunks, events = [], [], [], [], []
    ti_state = "success" if finished else "running"
    for run in run_rows:
        run_id = run["run_id"]
        for j in range(tasks):
            task_id = f"t{j:03d}"
            key = {"dag_id": dag_id, "run_id": run_id, "task_id": task_id, "map_index": -1}
            path = logs_folder / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={task_id}"
            log_path = str(path / "attempt=1.log")
            times = {"start_date": run["start_date"], "end_date": run["end_date"]}
            tis.append(
                {**key, **times, "dag_run_id": ids[run_id], "state": ti_state, "try_number": 1}
            )
            tries.append({**key, **times, "try_number": 1, "state": ti_state, "log_path": log_path})
            xcoms.append(
                {**key, "key": "return_value", "value": json.dumps(j), "created_at": ended}
            )
            chunks.append(
                {"log_path": log_path, "offset": 0, "data": b"hello\n", "created_at": ended}
            )
            for old, new in (("queued", "running"), ("running", ti_state)):
                events.append(
                    {
                        **key,
                        "map_index": None,
                        "ts": ended,
                        "event": "task_state",
                        "try_number": 1,
                        "old_state": old,
                        "new_state": new,
                        "source": "bench",
                    }
                )
            path.mkdir(parents=True, exist_ok=True)
            (path / "attempt=1.log").write_text("hello\n")
    for tbl, rows in (
        (task_instance_table, tis),
        (task_try_table, tries),
        (xcom_table, xcoms),
        (task_log_chunk_table, chunks),
        (event_table, events),
    ):
        _insert(engine, tbl, rows)
    return [(dag_id, r["run_id"]) for r in run_rows]


def build_bench_history(engine: Engine, logs_folder: Path, now: datetime) -> History:
    old = build_history(engine, logs_folder, runs=1000, tasks=100, ended=now - timedelta(days=30))
    recent = build_history(
        engine, logs_folder, runs=20, tasks=100, ended=now - timedelta(hours=1), prefix="new"
    )
    active = build_history(
        engine,
        logs_folder,
        runs=10,
        tasks=100,
        ended=now - timedelta(days=30),
        state="running",
        prefix="live",
    )
    return History(old, recent, active)


def _insert(engine: Engine, tbl, rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    for start in range(0, len(rows), _CHUNK):
        with transaction(engine) as session:
            session.execute(insert(tbl), rows[start : start + _CHUNK])


class Writer:
    """Plays the scheduler, in a process of its own (as the real one is): one small write
    transaction every 20 ms, timing how long each waited for the lock and ran."""

    def __init__(self, url: str) -> None:
        self.stop = multiprocessing.Event()
        self.results: multiprocessing.Queue = multiprocessing.Queue()
        self.process = multiprocessing.Process(target=_write, args=(url, self.stop, self.results))

    def __enter__(self) -> Writer:
        self.process.start()
        self.waits = []
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.waits = self.results.get(timeout=60)
        self.process.join()


def _write(url: str, stop, results) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(url)
    now = datetime.now(UTC)
    row = {
        "hostname": "bench",
        "pid": 1,
        "state": "running",
        "started_at": now,
        "last_heartbeat": now,
    }
    with transaction(engine) as session:
        job_id = session.execute(
            insert(scheduler_job_table).returning(scheduler_job_table.c.id), [row]
        ).scalar_one()
    waits = []
    while not stop.is_set():
        started = time.monotonic()
        with transaction(engine) as session:
            session.execute(
                update(scheduler_job_table)
                .where(scheduler_job_table.c.id == job_id)
                .values(last_heartbeat=datetime.now(UTC))
            )
        waits.append(time.monotonic() - started)
        time.sleep(0.02)
    results.put(waits)


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1) if values else 0.0


def bench(engine: Engine, archive: bool) -> dict:
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as folder:
        logs = Path(folder)
        started = time.monotonic()
        history = build_bench_history(engine, logs, now)
        built = time.monotonic() - started
        policy = CleanPolicy(
            now - timedelta(days=7),
            parse_tables(None),
            archive=archive,
            stamp=now.strftime("%Y%m%d%H%M%S"),
        )
        dry = count_old(engine, policy)
        with Writer(engine.url.render_as_string(hide_password=False)) as writer:
            time.sleep(0.5)
            report = clean(engine, policy, logs_folder=logs)
        with engine.connect() as connection:
            left = connection.execute(select(dag_run_table.c.run_id)).scalars().all()
        kept = {r for _d, r in history.recent + history.active}
        assert set(left) == kept, f"left {len(left)} runs, expected {len(kept)}"
        assert report.rows["task_instance"] == 100_000, report.rows
        files_left = sum(1 for _ in logs.rglob("*.log"))
    return {
        "archive": archive,
        "build_s": round(built, 1),
        "dry_run_s": round(dry.seconds, 2),
        "clean_s": round(report.seconds, 2),
        "rows": report.rows,
        "log_files": report.log_files,
        "log_files_left": files_left,
        "batches": report.batches,
        "files_s": round(report.files_seconds, 2),
        "transaction_p50_ms": _ms(report.transactions, 0.5),
        "transaction_p95_ms": _ms(report.transactions, 0.95),
        "longest_transaction_ms": round(report.longest_transaction * 1000, 1),
        "writer_transactions": len(writer.waits),
        "writer_p50_ms": _ms(writer.waits, 0.5),
        "writer_p99_ms": _ms(writer.waits, 0.99),
        "writer_worst_ms": _ms(writer.waits, 1.0),
    }


def _fresh(backend: str, folder: Path) -> tuple[Engine, callable]:  # type: ignore[valid-type]
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{folder / f'{uuid.uuid4().hex}.db'}")
        migrate(engine)
        return engine, engine.dispose
    schema = f"bench_retention_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(f"{POSTGRES}?options=-csearch_path%3D{schema}")
    migrate(engine)

    def drop() -> None:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))

    return engine, drop


def main(backends: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for backend in backends:
            for archive in ARCHIVE_MODES[os.environ.get("BENCH_ARCHIVE", "both")]:
                engine, drop = _fresh(backend, Path(folder))
                try:
                    print(json.dumps({"backend": backend, **bench(engine, archive)}), flush=True)
                finally:
                    drop()


if __name__ == "__main__":
    main(sys.argv[1:] or ["sqlite", "postgres"])
