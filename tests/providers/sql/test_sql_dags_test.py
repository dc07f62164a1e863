"""A SQL DAG run whole by ``baton dags test`` (a real CLI process), XCom between tasks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Baton

from .conftest import SERVERS, Db

pytestmark = pytest.mark.e2e

DAG = """
from scheduler import DAG
from plugins.sql import SQLExecuteQueryOperator, SqlSensor

with DAG("sql_flow", schedule=None, params={"table": "TABLE"}):
    load = SQLExecuteQueryOperator(task_id="load", conn_id="wh", sql="sql/load.sql",
                                   split_statements=True, parameters={"day": "{{ ds }}"})
    wait = SqlSensor(task_id="wait", conn_id="wh", poke_interval=0.1, timeout=30,
                     sql="SELECT COUNT(*) FROM {{ params.table }}", success=lambda n: n >= 2)
    total = SQLExecuteQueryOperator(task_id="total", conn_id="wh", output_format="dict",
                                    sql="SELECT SUM(amount) AS total FROM {{ params.table }}")
    record = SQLExecuteQueryOperator(
        task_id="record", conn_id="wh",
        sql="INSERT INTO {{ params.table }} (id, name) VALUES (3, :total)",
        parameters={"total": "{{ ti.xcom_pull(task_ids='total')[0]['total'] }}"})
    load >> wait >> total >> record
"""

LOAD_SQL = """
INSERT INTO {{ params.table }} (id, name, amount) VALUES (1, :day, 2.5);
INSERT INTO {{ params.table }} (id, name, amount) VALUES (2, '{{ ds_nodash }}', 4);
"""


@pytest.fixture
def baton(tmp_path: Path, db: Db) -> Iterator[Baton]:
    instance = Baton(tmp_path, conn_wh=SERVERS[db.kind][1])
    (instance.dags / "sql").mkdir()
    (instance.dags / "sql" / "load.sql").write_text(LOAD_SQL)
    instance.write_dag("sql_flow.py", DAG.replace('"TABLE"', repr(db.table)))
    try:
        yield instance
    finally:
        instance.stop()


def test_dags_test_runs_a_sql_dag_from_a_template_file(baton: Baton, db: Db) -> None:
    result = baton.cli("dags", "test", "sql_flow", "--logical-date", "2026-11-28")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Run test__2026-11-28T00:00:00+00:00: success" in result.stdout
    assert db.rows("SELECT id, name FROM {t} ORDER BY id") == [
        (1, "2026-11-28"),
        (2, "20261128"),
        (3, "6.5"),  # total's XCom [{"total": 6.5}], passed on by the next task
    ]
