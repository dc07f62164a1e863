"""Deferral benchmark (issue 9): 1,000 deferred tasks waiting at once on 2 worker slots.

Through the real processes: ``baton scheduler`` (local executor, BATON_PARALLELISM=2) and
``baton triggerer`` on a fresh BATON_HOME with SQLite. DAG ``waiters`` has N tasks that each
defer to a ``GoTrigger`` (written beside the DAG): it waits for a start file, then for its
own moment ``start + i * SPACING``, and fires with that moment. While all N wait, DAG
``busy`` (6 chained tasks) is run again and again: its runs must keep finishing. Then the
start file is written and the tasks resume one every SPACING seconds.

Measured: the triggerer's RSS with all N triggers running (target < 150 MB), the busy runs
finished meanwhile, and the resume latency, from a trigger's moment (its event) to the
resumed method starting on a worker (target p50 50 ms).

    .venv/bin/python bench/deferral_bench.py        # BENCH_DEFER_N=1000 BENCH_DEFER_SPACING=0.05
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from sqlalchemy import func, select

from scheduler import api
from scheduler.settings import Settings
from scheduler.store.db import make_engine
from scheduler.store.models import TaskInstanceRow, XComRow

BATON = str(Path(sys.executable).with_name("baton"))
N = int(os.environ.get("BENCH_DEFER_N", "1000"))
SPACING = float(os.environ.get("BENCH_DEFER_SPACING", "0.05"))

TRIGGER = '''
import asyncio, os, time
from datetime import UTC, datetime
from scheduler.triggers import BaseTrigger, TriggerEvent

class GoTrigger(BaseTrigger):
    """Wait for the start file, then for start + index * spacing; fire with that moment."""

    def __init__(self, start_file, index, spacing):
        super().__init__()
        self.start_file, self.index, self.spacing = start_file, index, spacing

    def serialize(self):
        return ("bench_triggers.GoTrigger",
                {"start_file": self.start_file, "index": self.index, "spacing": self.spacing})

    async def run(self):
        while not os.path.exists(self.start_file):
            await asyncio.sleep(0.5)
        with open(self.start_file) as f:
            start = float(f.read())
        moment = start + self.index * self.spacing
        await asyncio.sleep(max(moment - time.time(), 0))
        yield TriggerEvent(moment)
'''

DAGS = """
import time
from datetime import datetime, timezone
from scheduler import DAG, BaseOperator, PythonOperator
from bench_triggers import GoTrigger

class Waiter(BaseOperator):
    def __init__(self, *, index, **kwargs):
        super().__init__(**kwargs)
        self.index = index

    def execute(self, context):
        self.defer(trigger=GoTrigger({start!r}, self.index, {spacing!r}), method_name="resume")

    def resume(self, context, event):
        return time.time() - event  # seconds from the event to this method running

with DAG("waiters", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)):
    for i in range({n}):
        Waiter(task_id=f"w{{i}}", index=i)

def step():
    time.sleep(0.05)

with DAG("busy", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)):
    previous = None
    for i in range(6):
        current = PythonOperator(task_id=f"s{{i}}", python_callable=step)
        if previous is not None:
            previous >> current
        previous = current
"""


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="baton-defer-bench-"))
    home, dags = root / "home", root / "dags"
    dags.mkdir(parents=True)
    start_file = root / "start"
    env = {
        **os.environ,
        "BATON_HOME": str(home),
        "BATON_DAGS_FOLDER": str(dags),
        "BATON_DAGS_ARE_PAUSED_AT_CREATION": "false",
        "BATON_PARALLELISM": "2",
        "BATON_DATABASE_URL": f"sqlite:///{home / 'baton.db'}",
        "BATON_LOG_LEVEL": "WARNING",
    }
    (dags / "bench_triggers.py").write_text(TRIGGER)
    (dags / "bench_dags.py").write_text(DAGS.format(start=str(start_file), spacing=SPACING, n=N))
    subprocess.run([BATON, "db", "migrate"], env=env, check=True, capture_output=True)
    settings = Settings.from_env(env)
    logs = [open(root / f"{name}.log", "wb") for name in ("scheduler", "triggerer")]  # noqa: SIM115
    scheduler = subprocess.Popen([BATON, "scheduler"], env=env, stdout=logs[0], stderr=logs[0])
    triggerer = subprocess.Popen([BATON, "triggerer"], env=env, stdout=logs[1], stderr=logs[1])
    db = make_engine(settings.database_url)
    try:
        _wait(
            "DAGs parsed",
            lambda: {"waiters", "busy"} <= {d.dag_id for d in api.list_dags(settings)},
            120,
        )
        run_id = api.trigger_dag(settings, "waiters").run_id
        started = time.monotonic()
        _wait(f"{N} deferred", lambda: _count(db, run_id, "deferred") == N, 900)
        defer_s = time.monotonic() - started
        _wait("all claimed", lambda: _claimed(db) == N, 60)
        time.sleep(2)  # every trigger's task is now sleeping on its start file
        rss_mb = psutil.Process(triggerer.pid).memory_info().rss / 2**20
        busy_runs, busy_started = [], time.monotonic()
        for _ in range(3):  # another DAG's tasks run while the N wait
            busy = api.trigger_dag(settings, "busy").run_id
            _wait(
                "a busy run",
                lambda b=busy: api.get_run(settings, "busy", b).state == "success",
                120,
            )
            busy_runs.append(busy)
        busy_s = (time.monotonic() - busy_started) / len(busy_runs)
        still = _count(db, run_id, "deferred")
        start_file.write_text(repr(time.time() + 3.0))
        _wait(
            "the run to finish",
            lambda: api.get_run(settings, "waiters", run_id).state == "success",
            900,
        )
        latencies = sorted(_latencies(db, run_id))
    finally:
        for process in (triggerer, scheduler):
            process.send_signal(signal.SIGTERM)
        for process in (triggerer, scheduler):
            process.wait(timeout=60)
        db.dispose()
    result = {
        "deferred_tasks": N,
        "worker_slots": 2,
        "seconds_to_defer_all": round(defer_s, 1),
        "triggerer_rss_mb_with_all_waiting": round(rss_mb, 1),
        "busy_dag_runs_while_waiting": len(busy_runs),
        "busy_run_seconds_mean": round(busy_s, 2),
        "deferred_while_busy_ran": still,
        "resume_latency_ms_p50": round(1000 * statistics.median(latencies), 1),
        "resume_latency_ms_p90": round(1000 * latencies[int(0.9 * len(latencies))], 1),
        "resume_latency_ms_max": round(1000 * latencies[-1], 1),
        "spacing_s": SPACING,
    }
    print(json.dumps(result, indent=2))
    out = os.environ.get("BENCH_OUT")
    if out:
        Path(out).write_text(json.dumps(result, indent=2))


def _wait(what: str, condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


def _count(db, run_id: str, state: str) -> int:
    t = TaskInstanceRow.__table__
    with db.connect() as c:
        query = select(func.count()).where(t.c.run_id == run_id, t.c.state == state)
        return int(c.execute(query).scalar_one())


def _claimed(db) -> int:
    from scheduler.store.models_triggers import trigger_table as t

    with db.connect() as c:
        return int(
            c.execute(select(func.count()).where(t.c.triggerer_id.is_not(None))).scalar_one()
        )


def _latencies(db, run_id: str) -> list[float]:
    t = XComRow.__table__
    with db.connect() as c:
        rows = c.execute(select(t.c.value).where(t.c.run_id == run_id, t.c.key == "return_value"))
        return [float(json.loads(v)) for (v,) in rows]


if __name__ == "__main__":
    main()
