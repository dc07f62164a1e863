"""``HttpSensor`` and ``SqlSensor`` with ``deferrable=True`` through the real scheduler and
triggerer: the triggerer polls a real HTTP service and the real PostgreSQL, the task holds
no slot meanwhile, and ``response_check`` / the default SQL criterion decide."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.e2e.harness import Baton
from tests.e2e.triggerer_support import Triggerer
from tests.providers.http.service import FakeService

pytestmark = pytest.mark.e2e

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

DAG = """
from scheduler import DAG
from plugins.http import HttpSensor
from plugins.sql import SqlSensor

with DAG("deferred_providers", schedule=None):
    HttpSensor(task_id="http", http_conn_id="svc", endpoint="status", poke_interval=0.2,
               response_check=lambda response: response.json()["ready"], deferrable=True,
               timeout=120)
    SqlSensor(task_id="sql", conn_id="wh", sql="SELECT done FROM {table}", poke_interval=0.2,
              deferrable=True, timeout=120)
"""


@pytest.fixture
def table() -> Iterator[str]:
    name = f"baton_defer_{uuid.uuid4().hex[:10]}"
    engine = create_engine(PG)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE {name} (done BOOLEAN)"))
    try:
        yield name
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP TABLE {name}"))
        engine.dispose()


def test_http_and_sql_sensors_wait_in_the_triggerer(tmp_path: Path, table: str) -> None:
    with FakeService() as service:
        svc = f"{service.url}?breaker_failure_threshold=1000"
        baton = Baton(tmp_path, conn_svc=svc, conn_wh="postgres://postgres@127.0.0.1:5432/test")
        triggerer = Triggerer(baton)
        try:
            service.reply(503, "starting", times=3)
            service.reply(200, {"ready": False}, times=2)
            service.reply(200, {"ready": True}, times=50)
            baton.write_dag("providers.py", DAG.format(table=table))
            baton.start()
            triggerer.start()
            baton.wait_for_dag("deferred_providers")
            run_id = baton.trigger("deferred_providers")
            baton.wait_until(
                "both deferred",
                lambda: (
                    set(baton.task_states("deferred_providers", run_id).values()) == {"deferred"}
                ),
                timeout=60,
            )
            # The 503s and {"ready": false} answers: the sensor stays deferred throughout.
            baton.wait_until(
                "the HTTP sensor done",
                lambda: baton.task_states("deferred_providers", run_id)["http"] == "success",
                timeout=60,
            )
            assert [c.path for c in service.calls] == ["/status"] * 6  # 503 x3, false x2, true
            engine = create_engine(PG)
            with engine.begin() as connection:
                connection.execute(text(f"INSERT INTO {table} VALUES (false)"))
            states = baton.task_states("deferred_providers", run_id)
            assert states["sql"] == "deferred"  # a false first cell is not yet
            with engine.begin() as connection:
                connection.execute(text(f"UPDATE {table} SET done = true"))
            engine.dispose()
            final = baton.wait_for_run("deferred_providers", run_id, timeout=90)
            assert final == "success", triggerer.text()
            log = baton.task_log("deferred_providers", run_id, "http")
            assert "response_check says not yet: deferring again" in log
            assert [t.try_number for t in baton.tries("deferred_providers", run_id, "http")] == [1]
        finally:
            triggerer.stop()
            baton.stop()
