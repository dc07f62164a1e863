"""``SqlSensor`` on PostgreSQL and MariaDB: poke until a row appears, criteria, emptiness."""

from __future__ import annotations

import threading
import time

import pytest

from tests.runner.support import DagFolder

from .conftest import Db

DAG = """
    from scheduler import DAG
    from plugins.sql import SqlSensor

    with DAG("demo", params={"table": "TABLE"}):
        SqlSensor(task_id="arrives", conn_id="wh", poke_interval=0.1, timeout=60,
                  sql="SELECT name FROM {{ params.table }} WHERE id = :id",
                  parameters={"id": 7})
        SqlSensor(task_id="criteria", conn_id="wh", poke_interval=0.05, timeout=30,
                  sql="SELECT amount FROM {{ params.table }} WHERE id = 1",
                  success=lambda v: v > 5, failure=lambda v: v < 0)
        SqlSensor(task_id="empty", conn_id="wh", fail_on_empty=True, poke_interval=0.05,
                  sql="SELECT id FROM {{ params.table }}")
"""


@pytest.fixture
def sql_dags(dags: DagFolder, db: Db) -> DagFolder:
    dags.write(DAG.replace('"TABLE"', repr(db.table)))
    return dags


def test_pokes_until_the_row_inserted_by_another_session_appears(
    sql_dags: DagFolder, db: Db
) -> None:
    def insert_later() -> None:
        time.sleep(0.6)
        db.execute("INSERT INTO {t} VALUES (7, 'arrived', 1)")

    inserter = threading.Thread(target=insert_later)
    inserter.start()
    try:
        finished, log = sql_dags.run("arrives")
    finally:
        inserter.join()
    assert finished.state == "success", log
    assert "The query returned no row yet" in log
    assert "Success criteria met after" in log


def test_success_and_failure_criteria(sql_dags: DagFolder, db: Db) -> None:
    db.execute("INSERT INTO {t} VALUES (1, 'x', 9)")
    finished, log = sql_dags.run("criteria")
    assert finished.state == "success", log
    db.execute("UPDATE {t} SET amount = -1 WHERE id = 1")
    finished, _ = sql_dags.run("criteria", try_number=2)
    assert finished.state == "failed" and finished.retryable is False
    assert "failure criteria met for value" in finished.error


def test_fail_on_empty(sql_dags: DagFolder) -> None:
    finished, _ = sql_dags.run("empty")
    assert finished.state == "failed"
    assert "returned no row and fail_on_empty=True" in finished.error
