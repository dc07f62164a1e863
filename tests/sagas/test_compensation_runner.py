"""A compensation try in a worker: what runs, with which context, settings and outcome."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from scheduler.authoring import serialize_dag
from scheduler.loader import import_dag_file
from tests.runner.support import DagFolder

DAG = """
from datetime import datetime, timedelta, timezone
from scheduler import DAG, BashOperator, PythonOperator

def undo(params, idempotency_key, try_number, ti):
    print(f"undo {{params['order']}} key={{idempotency_key}} try={{try_number}}")
    print(f"the task returned {{ti.xcom_pull()}}")
    return "undone"

with DAG("demo", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
         params={{"order": "A-1"}}) as dag:
    PythonOperator(task_id="charge", python_callable=lambda: {{"charge_id": "ch_1"}},
                   retries=4, retry_delay=timedelta(seconds=7), compensate=undo)
    PythonOperator(
        task_id="reserve", python_callable=lambda: None,
        compensate=BashOperator(
            task_id="release", bash_command="{command}", retries=1,
            execution_timeout=timedelta(seconds=30),
        ),
    )
"""


@pytest.fixture
def dags(tmp_path: Path) -> DagFolder:
    return DagFolder(tmp_path)


def write(
    dags: DagFolder, command: str = "echo release {{ params.order }} {{ idempotency_key }}"
) -> None:
    dags.write(DAG.format(command=command))


def test_a_callable_compensation_gets_the_context_and_the_tasks_xcom(dags: DagFolder) -> None:
    write(dags)
    task_try, _ = dags.run("charge")
    assert task_try.state == "success"
    finished, log = dags.run("charge", compensation=True)
    assert finished.state == "success"
    assert finished.key.idempotency_key == "demo/manual__1/charge/compensate"
    assert "Starting compensation try 1 of task charge" in log
    assert "undo A-1 key=demo/manual__1/charge/compensate try=1" in log
    assert "the task returned {'charge_id': 'ch_1'}" in log
    assert finished.xcoms == ()  # the task's XComs stay as they were


def test_an_operator_compensation_is_rendered_and_executed(dags: DagFolder) -> None:
    write(dags)
    finished, log = dags.run("reserve", compensation=True, try_number=2)
    assert finished.state == "success"
    assert "release A-1 demo/manual__1/reserve/compensate" in log


def test_a_failing_compensation_reports_a_retryable_failure(dags: DagFolder) -> None:
    write(dags, command="echo cannot release; exit 3")
    finished, log = dags.run("reserve", compensation=True)
    assert finished.state == "failed"
    assert finished.retryable
    assert "exited with code 3" in (finished.error or "")
    assert "Marking task as UP_FOR_RETRY" in log  # the operator's own retries=1


def test_compensation_settings_come_from_the_operator_or_the_task(dags: DagFolder) -> None:
    write(dags)
    spec = serialize_dag(import_dag_file(str(dags.folder / "demo.py")).dags["demo"])
    assert set(spec.tasks) == {"charge", "reserve"}  # the compensating operator is no task
    charge, reserve = spec.tasks["charge"].compensation, spec.tasks["reserve"].compensation
    assert charge is not None and reserve is not None
    assert (charge.operator, charge.retries, charge.retry_delay_s) == ("callable:undo", 4, 7.0)
    assert (reserve.operator, reserve.retries) == ("BashOperator", 1)
    assert reserve.execution_timeout_s == timedelta(seconds=30).total_seconds()
    assert spec.compensable_descendants == {"charge": (), "reserve": ()}
