"""``SQLExecuteQueryOperator`` through the real runner on PostgreSQL and MariaDB."""

from __future__ import annotations

import pytest

from tests.runner.support import DagFolder, xcom

from .conftest import Db

DAG = """
    from scheduler import DAG
    from plugins.sql import SQLExecuteQueryOperator

    with DAG("demo", params={"table": "TABLE", "min": 2}):
        SQLExecuteQueryOperator(
            task_id="select", conn_id="wh",
            sql="SELECT id, name, amount FROM {{ params.table }} WHERE id >= :min ORDER BY id",
            parameters={"min": "{{ params.min }}"})
        SQLExecuteQueryOperator(
            task_id="as_dicts", conn_id="wh", output_format="dict",
            sql="SELECT id, name FROM {{ params.table }} WHERE name = :name",
            parameters={"name": "b"})
        SQLExecuteQueryOperator(task_id="from_file", conn_id="wh", sql="queries/report.sql",
                                parameters={"day": "{{ ds }}"})
        SQLExecuteQueryOperator(
            task_id="script", conn_id="wh", split_statements=True, return_last=False,
            sql="INSERT INTO {{ params.table }} VALUES (10, 'semi;colon', 1.5); "
                "SELECT name FROM {{ params.table }} WHERE id = 10; -- done")
        SQLExecuteQueryOperator(
            task_id="statements", conn_id="wh",
            sql=["UPDATE {{ params.table }} SET amount = 0 WHERE id = 1",
                 "SELECT COUNT(*) FROM {{ params.table }} WHERE amount = 0"])
        SQLExecuteQueryOperator(task_id="too_many", conn_id="wh", max_xcom_rows=2,
                                sql="SELECT id FROM {{ params.table }}")
        SQLExecuteQueryOperator(task_id="bad_sql", conn_id="wh",
                                sql="SELECT nope FROM {{ params.table }}")
"""

REPORT_SQL = """
-- rendered with Jinja: {{ ds }} is the logical date
SELECT :day AS day, COUNT(*) AS n, SUM(amount) AS total FROM {{ params.table }}
"""


@pytest.fixture
def sql_dags(dags: DagFolder, db: Db) -> DagFolder:
    for row in (
        {"id": 1, "name": "a", "amount": 1.25},
        {"id": 2, "name": "b", "amount": 2.5},
        {"id": 3, "name": "c", "amount": 10},
    ):
        db.execute("INSERT INTO {t} VALUES (:id, :name, :amount)", **row)
    (dags.folder / "queries").mkdir()
    (dags.folder / "queries" / "report.sql").write_text(REPORT_SQL)
    dags.write(DAG.replace('"TABLE"', repr(db.table)))
    return dags


def test_templated_sql_with_bind_parameters_returns_rows(sql_dags: DagFolder) -> None:
    finished, log = sql_dags.run("select")
    assert finished.state == "success", log
    assert xcom(finished) == [[2, "b", 2.5], [3, "c", 10]]
    assert "WHERE id >= :min" in log


def test_rows_as_dicts(sql_dags: DagFolder) -> None:
    finished, log = sql_dags.run("as_dicts")
    assert finished.state == "success", log
    assert xcom(finished) == [{"id": 2, "name": "b"}]


def test_a_sql_template_file_is_rendered(sql_dags: DagFolder) -> None:
    finished, log = sql_dags.run("from_file")
    assert finished.state == "success", log
    assert xcom(finished) == [["2026-11-28", 3, 13.75]]
    assert "is the logical date" in log and "2026-11-28 is the logical date" in log


def test_a_split_script_commits_and_returns_each_statements_result(
    sql_dags: DagFolder, db: Db
) -> None:
    finished, log = sql_dags.run("script")
    assert finished.state == "success", log
    assert xcom(finished) == [None, [["semi;colon"]]]
    assert db.rows("SELECT name FROM {t} WHERE id = 10") == [("semi;colon",)]


def test_a_list_of_statements_returns_the_last_result(sql_dags: DagFolder, db: Db) -> None:
    finished, log = sql_dags.run("statements")
    assert finished.state == "success", log
    assert xcom(finished) == [[1]]
    assert db.rows("SELECT amount FROM {t} WHERE id = 1") == [(0,)]


def test_more_rows_than_max_xcom_rows_fail_with_how_to_raise_it(sql_dags: DagFolder) -> None:
    finished, _ = sql_dags.run("too_many")
    assert finished.state == "failed"
    assert "returned more than max_xcom_rows=2 rows" in finished.error
    assert "raise max_xcom_rows on the operator" in finished.error


def test_a_bad_query_fails_the_try_and_leaves_the_breaker_closed(sql_dags: DagFolder) -> None:
    for try_number in (1, 2, 3, 4, 5, 6):
        finished, _ = sql_dags.run("bad_sql", try_number=try_number)
        assert finished.state == "failed"
        assert "nope" in finished.error
    assert "CircuitOpenError" not in finished.error
