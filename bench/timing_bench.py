"""The timing alerts' queries at scale: what the scheduler's watches cost per poll.

``python bench/timing_bench.py [sqlite|postgres ...]``: with 100,000 pending deadlines
(one per run, all in the future) and 50 that are due, how long one poll of the deadline
watch takes (``due_deadlines``: the range query on ``ix_deadline_due``) and which plan the
database picks; with 300 successful tries each of 100 tasks (30,000 rows) of one DAG, how
long the history read for a run's predicted finish takes (``recent_durations``: the last 30
of each task, ``ix_task_try_history``); and the pure forecast over a 500-task DAG. Rows are
bulk-inserted, not made by the scheduler. Prints one JSON line per back end.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from retention_bench import _fresh  # a migrated SQLite file or PostgreSQL schema
from sqlalchemy import Engine, insert, text

from scheduler.planner.forecast import TaskProgress, forecast
from scheduler.spec import DagSpec, TaskSpec
from scheduler.store.db import transaction
from scheduler.store.deadlines import due_deadlines
from scheduler.store.models import task_try_table
from scheduler.store.models_timing import deadline_table
from scheduler.store.task_history import recent_durations

NOW = datetime(2026, 6, 1, tzinfo=UTC)
PENDING, DUE, TASKS, TRIES, REPEAT = 100_000, 50, 100, 300, 30


def build(engine: Engine) -> None:
    rows = [
        {"dag_id": f"dag_{n % 500}", "run_id": f"run_{n}", "alert_index": 0,
         "reference": "DAGRUN_QUEUED_AT", "state": "pending",
         "deadline_time": NOW + timedelta(seconds=n + 1 if n >= DUE else -n - 1)}
        for n in range(PENDING + DUE)
    ]  # fmt: skip
    tries = [
        {"dag_id": "big", "run_id": f"r{n}", "task_id": f"t{t}", "try_number": 1,
         "state": "success", "duration": float(n % 17), "end_date": NOW - timedelta(minutes=n)}
        for t in range(TASKS)
        for n in range(TRIES)
    ]  # fmt: skip
    for table, batch in ((deadline_table, rows), (task_try_table, tries)):
        with transaction(engine) as session:
            for start in range(0, len(batch), 5000):
                session.execute(insert(table), batch[start : start + 5000])
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("ANALYZE deadline"))
            connection.execute(text("ANALYZE task_try"))
            connection.commit()


def timed(call, repeat: int = REPEAT) -> dict[str, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 2), "max_ms": round(times[-1], 2)}


def plan(engine: Engine) -> str:
    query = "SELECT id FROM deadline WHERE state = 'pending' AND deadline_time <= :now"
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as connection:
        rows = connection.execute(text(prefix + query), {"now": NOW}).all()
    return " | ".join(str(row[-1]) for row in rows)


def bench(engine: Engine) -> dict:
    start = time.perf_counter()
    build(engine)
    built = time.perf_counter() - start

    def poll() -> None:
        with transaction(engine) as session:
            assert len(due_deadlines(session, NOW)) == DUE

    def history() -> None:
        with transaction(engine) as session:
            found = recent_durations(session, "big", [f"t{t}" for t in range(TASKS)])
            assert len(found) == TASKS and all(len(v) == 30 for v in found.values())

    # 50 chains of 10 tasks: the forecast walks all 500 and finds the longest
    chain = {
        f"t{i}": TaskSpec(f"t{i}", "EmptyOperator", (f"t{i - 1}",) if i % 10 else ())
        for i in range(500)
    }
    spec = DagSpec(dag_id="wide", fileloc="wide.py", tasks=chain)
    p50 = {task_id: 3.0 for task_id in chain}
    progress = {task_id: TaskProgress(done=False) for task_id in chain}
    spec.topological_order  # noqa: B018 - built once per spec, as the catalog keeps it
    return {
        "pending_deadlines": PENDING,
        "due": DUE,
        "build_s": round(built, 1),
        "deadline_poll": timed(poll),
        "deadline_plan": plan(engine),
        "history_100_tasks_of_300_tries": timed(history),
        "forecast_500_tasks": timed(lambda: forecast(spec, progress, p50, NOW)),
    }


def main(backends: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for backend in backends:
            engine, drop = _fresh(backend, Path(folder))
            try:
                print(json.dumps({"backend": backend, **bench(engine)}), flush=True)
            finally:
                drop()


if __name__ == "__main__":
    main(sys.argv[1:] or ["sqlite", "postgres"])
