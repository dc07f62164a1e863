"""``make bench`` (UI part): the web UI's heaviest pages on a database with history.

Fills a fresh SQLite database (200 DAGs, 10,000 runs, 100,000 task instances and as many
tries, spread over the last ten days) with bulk inserts, then times the DAG list, a DAG's
grid, graph, durations and calendar, and the metrics dashboard (page and chart JSON)
through the Flask test client as a logged-in user. Prints the medians and adds them to
$BENCH_OUT (bench-results.json) under "UI".
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from scheduler import api
from scheduler.settings import Settings
from scheduler.spec import DagSpec, TaskSpec
from scheduler.store import dags as dag_store
from scheduler.store.db import make_engine, transaction
from scheduler.store.migrate import migrate
from scheduler.store.models import dag_run_table, task_instance_table, task_try_table
from webui import create_app
from webui.auth.identity import SESSION_USER_KEY

DAGS, RUNS_PER_DAG, TASKS = 200, 50, 10  # 200 * 50 * 10 = 100,000 task instances
REPEATS = int(os.environ.get("BENCH_UI_REPEATS", "15"))
TARGET_MS = 100  # issue 11: every page and the grid's JSON <= 100 ms median
PAGES = {
    "dag_list": "/dags",
    "dag_grid": "/dags/bench_dag_007/grid",
    "dag_grid_json": "/dags/bench_dag_007/grid.json",  # what the live grid polls
    "dag_graph": "/dags/bench_dag_007/graph",
    "metrics_day": "/metrics/dashboard?window=day",
    "metrics_week": "/metrics/dashboard?window=week",
    "metrics_day_json": "/metrics/dashboard.json?window=day",  # the page's charts
    "metrics_week_json": "/metrics/dashboard.json?window=week",
    "dag_metrics_json": "/dags/bench_dag_007/metrics.json?window=week",
    "dag_durations": "/dags/bench_dag_007/durations",
    "dag_durations_json": "/dags/bench_dag_007/durations.json?limit=500",
    "dag_calendar": "/dags/bench_dag_007/calendar",
}


def dag_spec(index: int, folder: Path) -> DagSpec:
    ids = [f"task_{t:02d}" for t in range(TASKS)]
    tasks = {
        # A fan: task_00 feeds every middle task, which all feed the last one.
        tid: TaskSpec(tid, "PythonOperator", upstream=_upstream(i, ids))
        for i, tid in enumerate(ids)
    }
    return DagSpec(
        f"bench_dag_{index:03d}",
        str(folder / f"bench_{index:03d}.py"),
        tasks,
        schedule="@hourly",
        tags=(f"team{index % 5}",),
        params={"n": index},
    )


def _upstream(i: int, ids: list[str]) -> tuple[str, ...]:
    if i == 0:
        return ()
    return tuple(ids[1:-1]) if i == len(ids) - 1 else (ids[0],)


def seed(settings: Settings, folder: Path) -> None:
    now = datetime.now(UTC)
    with transaction(api.database(settings)) as session:
        for i in range(DAGS):
            spec = dag_spec(i, folder)
            dag_store.sync_file(
                session, spec.fileloc, [spec], [], now=now, paused_at_creation=False
            )
        for i in range(DAGS):
            _seed_runs(session, dag_spec(i, folder), now)


def _seed_runs(session: Any, spec: DagSpec, now: datetime) -> None:
    """RUNS_PER_DAG finished runs over the last ten days, every task tried once."""
    runs = [_run_row(spec.dag_id, r, now) for r in range(RUNS_PER_DAG)]
    session.execute(insert(dag_run_table), runs)
    pks = dict(
        session.execute(
            select(dag_run_table.c.run_id, dag_run_table.c.id).where(
                dag_run_table.c.dag_id == spec.dag_id
            )
        ).all()
    )
    instances, tries = [], []
    for run in runs:
        for t, task_id in enumerate(spec.tasks):
            instance, one_try = _task_rows(run, pks[run["run_id"]], t, task_id)
            instances.append(instance)
            tries.append(one_try)
    session.execute(insert(task_instance_table), instances)
    session.execute(insert(task_try_table), tries)


def _run_row(dag_id: str, r: int, now: datetime) -> dict[str, Any]:
    end = now - timedelta(hours=r * 240 / RUNS_PER_DAG, minutes=int(dag_id[-3:]) % 60)
    return {
        "dag_id": dag_id,
        "run_id": f"scheduled__{end.isoformat()}",
        "run_type": "scheduled",
        "state": "failed" if (r + int(dag_id[-3:])) % 17 == 0 else "success",
        "logical_date": end,
        "data_interval_start": end,
        "data_interval_end": end,
        "conf": {},
        "queued_at": end - timedelta(seconds=40),
        "start_date": end - timedelta(seconds=30),
        "end_date": end,
    }


def _task_rows(run: dict[str, Any], pk: int, t: int, task_id: str) -> tuple[dict, dict]:
    """The task instance row and its one try: the last task fails in a failed run."""
    state = "failed" if run["state"] == "failed" and t == TASKS - 1 else "success"
    start = run["start_date"] + timedelta(seconds=t * 2)
    end = start + timedelta(seconds=1.5)
    common = {"dag_id": run["dag_id"], "run_id": run["run_id"], "task_id": task_id}
    common |= {"state": state, "try_number": 1, "start_date": start, "end_date": end}
    instance = {**common, "dag_run_id": pk, "max_tries": 1, "operator": "PythonOperator"}
    one_try = {**common, "queued_at": start - timedelta(seconds=0.2), "duration": 1.5 + t * 0.1}
    return {**instance, "duration": 1.5}, one_try


def time_pages(settings: Settings) -> dict[str, dict[str, float]]:
    app = create_app({"BATON_SETTINGS": settings})
    user = api.create_user(settings, "bench", "bench-password-1", "Viewer")
    client = app.test_client()
    with client.session_transaction() as session:
        session[SESSION_USER_KEY] = user.id
    results = {}
    for name, url in PAGES.items():
        assert client.get(url).status_code == 200, url  # warm-up (and a check)
        samples = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, url
        results[name] = {
            "median_ms": round(statistics.median(samples), 1),
            "min_ms": round(min(samples), 1),
            "max_ms": round(max(samples), 1),
        }
    return results


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        settings = Settings.from_env(
            {
                "BATON_HOME": str(root / "home"),
                "BATON_DAGS_FOLDER": str(root / "dags"),
                "BATON_DATABASE_URL": f"sqlite:///{root / 'home' / 'baton.db'}",
            }
        )
        migrate(make_engine(settings.database_url))
        started = time.perf_counter()
        seed(settings, root / "dags")
        print(
            f"seeded {DAGS} DAGs, {DAGS * RUNS_PER_DAG} runs, "
            f"{DAGS * RUNS_PER_DAG * TASKS} task instances in {time.perf_counter() - started:.1f} s"
        )
        results = time_pages(settings)
    print(f"{'page':<20}{'median ms':>10}{'min':>8}{'max':>8}   (target: median <= {TARGET_MS} ms)")
    for name, stats in results.items():
        print(f"{name:<20}{stats['median_ms']:>10}{stats['min_ms']:>8}{stats['max_ms']:>8}")
    out = Path(os.environ.get("BENCH_OUT", "bench-results.json"))
    existing = json.loads(out.read_text()) if out.exists() else {}
    existing["UI"] = {"repeats": REPEATS, "target_median_ms": TARGET_MS, "pages": results}
    out.write_text(json.dumps(existing, indent=2))
    print(f"added to {out} under 'UI'")
    slow = [name for name, stats in results.items() if stats["median_ms"] > TARGET_MS]
    if slow:
        print(f"OVER TARGET ({TARGET_MS} ms median): {', '.join(slow)}")


if __name__ == "__main__":
    main()
