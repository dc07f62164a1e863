"""Deadline alerts and "running longer than usual" (docs/operations.md#deadlines).

- The run must finish 2 hours after its logical date, and within 20 seconds of being
  queued: each ``DeadlineAlert`` (Airflow 3.1's) calls ``late`` once if the run is still
  unfinished then. Trigger it with ``{"sleep": 30}`` to miss the second one:
  ``baton dags trigger example_deadlines --conf '{"sleep": 30}'``; the run page shows the
  deadline "missed", the event log a ``deadline_missed`` event, and the callback's output
  is in ``logs/dag_id=example_deadlines/run_id=.../dag_callbacks/deadline.<id>.log``.
- ``crunch`` sets Baton's ``on_longer_than_usual_callback``: once it has 5 successful tries,
  a try running past the p95 of its last 30 gets a badge in the grid, a
  ``longer_than_usual`` event and a call of ``slow``. Trigger it 5 times with the default
  conf, then once with ``{"sleep": 30}``.
- While a run goes, its page, ``GET /api/v1/dags/example_deadlines/dagRuns/<run_id>``
  (``baton_predicted_finish``) and the graph (the critical path highlighted) show when it
  should end.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from scheduler import DAG, AsyncCallback, DeadlineAlert, DeadlineReference, PythonOperator


def late(context: dict, channel: str) -> None:
    """A deadline callback: its kwargs, plus Airflow's deadline context."""
    run, deadline = context["dag_run"], context["deadline"]
    print(
        f"[{channel}] run {run['dag_run_id']} ({run['state']}) missed {deadline['deadline_time']}"
    )


def slow(context: dict) -> None:
    """Baton's on_longer_than_usual_callback: called like a task callback."""
    print(
        f"{context['ti'].task_id} has run {context['running_for']:.0f}s; "
        f"it usually takes at most {context['usual_duration']:.1f}s"
    )


def crunch(dag_run) -> None:
    time.sleep(float(dag_run.conf.get("sleep", 1)))


with DAG(
    dag_id="example_deadlines",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    tags=["example"],
    deadline=[
        DeadlineAlert(
            reference=DeadlineReference.DAGRUN_LOGICAL_DATE,
            interval=timedelta(hours=2),
            callback=AsyncCallback(late, kwargs={"channel": "#data-ops"}),
            name="two hours after its logical date",
        ),
        DeadlineAlert(
            reference=DeadlineReference.DAGRUN_QUEUED_AT,
            interval=timedelta(seconds=20),
            callback=AsyncCallback(late, kwargs={"channel": "#on-call"}),
            name="20 s after it was queued",
        ),
    ],
) as dag:
    extract = PythonOperator(task_id="extract", python_callable=lambda: time.sleep(0.5))
    work = PythonOperator(
        task_id="crunch", python_callable=crunch, on_longer_than_usual_callback=slow
    )
    publish = PythonOperator(task_id="publish", python_callable=lambda: time.sleep(0.5))
    extract >> work >> publish
