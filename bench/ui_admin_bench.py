"""Speed of the run page and the admin pages on ``bench/ui_bench.py``'s database (200 DAGs,
10,000 runs, 100,000 task instances and tries) plus 100,000 XComs, 200 connections and 200
variables, timed through the Flask test client as a logged-in Admin.

    .venv/bin/python bench/ui_admin_bench.py      (BENCH_UI_REPEATS=N, default 15)

Target: each page's median at most 100 ms (issue 11).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script from anywhere

from ui_bench import REPEATS, seed

from scheduler import api
from scheduler.connections import (
    Connection,
    manage,
)
from scheduler.settings import Settings
from scheduler.store.db import make_engine, transaction
from scheduler.store.migrate import migrate
from scheduler.store.models import dag_run_table, task_instance_table, xcom_table
from webui import create_app
from webui.auth.identity import SESSION_USER_KEY

TARGET_MS = 100


def seed_admin_data(settings: Settings) -> str:
    """XComs for every task instance, connections and variables; returns a run's URL."""
    now = datetime.now(UTC)
    with transaction(api.database(settings)) as session:
        ti = task_instance_table.c
        rows = session.execute(select(ti.dag_id, ti.run_id, ti.task_id)).all()
        session.execute(
            insert(xcom_table),
            [
                {"dag_id": d, "run_id": r, "task_id": t, "map_index": -1, "key": "return_value",
                 "value": '{"rows": 3}', "sealed": None, "created_at": now}
                for d, r, t in rows
            ],
        )  # fmt: skip
        run_id = session.scalar(
            select(dag_run_table.c.run_id).where(dag_run_table.c.dag_id == "bench_dag_007")
        )
    for i in range(200):
        conn = Connection(f"conn_{i:03d}", "http", host=f"h{i}.local", password="pw-123456")
        manage.add_connection(settings, conn)
        manage.set_variable(settings, f"var_{i:03d}", '{"a": 1}')
    return f"/dags/bench_dag_007/runs/{run_id}"


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
        seed(settings, root / "dags")
        run_url = seed_admin_data(settings)
        pages = {
            "run_page": run_url,
            "runs_all": "/runs",
            "xcoms": "/xcoms",
            "xcoms_dag": "/xcoms?dag_id=bench_dag_007",
            "xcoms_page_40": "/xcoms?page=40",
            "connections": "/connections/",
            "variables": "/variables/",
            "users": "/auth/users",
            "pools": "/pools",
            "not_found": "/no/such/page",
        }
        app = create_app({"BATON_SETTINGS": settings})
        user = api.create_user(settings, "bench", "bench-password-1", "Admin")
        client = app.test_client()
        with client.session_transaction() as session:
            session[SESSION_USER_KEY] = user.id
        head = f"{'page':<16}{'median ms':>10}{'min':>8}{'max':>8}"
        print(f"{head}   (target: median <= {TARGET_MS} ms)")
        for name, url in pages.items():
            expected = 404 if name == "not_found" else 200
            assert client.get(url).status_code == expected, url
            samples = []
            for _ in range(REPEATS):
                start = time.perf_counter()
                assert client.get(url).status_code == expected, url
                samples.append((time.perf_counter() - start) * 1000)
            median = statistics.median(samples)
            flag = "" if median <= TARGET_MS else "  OVER TARGET"
            print(f"{name:<16}{median:>10.1f}{min(samples):>8.1f}{max(samples):>8.1f}{flag}")


if __name__ == "__main__":
    main()
