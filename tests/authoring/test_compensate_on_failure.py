"""compensate_on_failure in DAG files: serialised, refused without compensate= when passed
to a task, for every task with a compensate= when it comes from default_args."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scheduler import DAG, PythonOperator
from scheduler.authoring import serialize_dag
from scheduler.errors import DagDefinitionError

START = datetime(2026, 1, 1, tzinfo=UTC)


def undo() -> None:
    pass


def test_it_reaches_the_spec() -> None:
    with DAG("d", start_date=START) as dag:
        PythonOperator(task_id="t", python_callable=print, compensate=undo,
                       compensate_on_failure=True)  # fmt: skip
        PythonOperator(task_id="u", python_callable=print, compensate=undo)
    tasks = serialize_dag(dag).tasks
    assert tasks["t"].compensate_on_failure and not tasks["u"].compensate_on_failure


def test_passed_without_compensate_it_is_refused_with_the_fix() -> None:
    with pytest.raises(DagDefinitionError) as caught, DAG("d", start_date=START):
        PythonOperator(task_id="t", python_callable=print, compensate_on_failure=True)
    assert "task 't': compensate_on_failure=True needs compensate=" in str(caught.value)
    assert "test_compensate_on_failure.py:" in caught.value.location  # the task's line


def test_a_non_boolean_is_refused() -> None:
    with pytest.raises(DagDefinitionError, match="must be True or False"), DAG("d"):
        PythonOperator(task_id="t", python_callable=print, compensate=undo,
                       compensate_on_failure="yes")  # fmt: skip


def test_from_default_args_it_covers_the_tasks_with_a_compensate() -> None:
    args = {"compensate_on_failure": True}
    with DAG("d", start_date=START, default_args=args) as dag:
        PythonOperator(task_id="undoable", python_callable=print, compensate=undo)
        PythonOperator(task_id="plain", python_callable=print)
    tasks = serialize_dag(dag).tasks
    assert tasks["undoable"].compensate_on_failure and tasks["undoable"].has_compensation
    assert not tasks["plain"].has_compensation  # nothing to undo there
