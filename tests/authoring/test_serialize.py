"""``serialize_dag``: the DagSpec of a DAG, and its JSON round trip."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.authoring import (
    DAG,
    BashOperator,
    EmptyOperator,
    Param,
    serialize_dag,
    task,
)
from scheduler.errors import CycleError, DagDefinitionError
from scheduler.spec import DagSpec


def _build() -> DAG:
    start = datetime(2024, 3, 1, 6, 0, tzinfo=ZoneInfo("Europe/Paris"))
    with DAG(
        "orders",
        schedule="0 6 * * *",
        start_date=start,
        end_date=datetime(2025, 1, 1),
        catchup=True,
        params={
            "n": Param(3, type="integer"),
            "region": "eu",
            "day": Param(None, type=["null", "string"]),
        },
        tags=["shop"],
        description="Orders",
        max_active_runs=1,
    ) as dag:

        @task(retries=2, retry_delay=timedelta(seconds=30))
        def load():
            return 1

        start_task = EmptyOperator(task_id="start")
        ship = BashOperator(
            task_id="ship",
            bash_command="echo ship",
            trigger_rule="none_failed",
            execution_timeout=timedelta(minutes=2),
            max_retry_delay=timedelta(hours=1),
            retry_exponential_backoff=True,
            pool="shipping",
            pool_slots=2,
            priority_weight=5,
            compensate=lambda context: None,
            doc_md="Ships.",
        )
        loaded = load()
        start_task >> [loaded, ship]
        loaded >> ship
    return dag


def test_spec_fields():
    spec = serialize_dag(_build())
    assert list(spec.tasks) == ["start", "ship", "load"]
    assert spec.schedule == "0 6 * * *"
    assert spec.timezone == "Europe/Paris"
    assert spec.start_date == datetime(2024, 3, 1, 5, 0, tzinfo=UTC)
    assert spec.start_date.tzinfo is UTC
    assert spec.end_date == datetime(2025, 1, 1, tzinfo=UTC)
    assert spec.params == {"n": 3, "region": "eu", "day": None}
    assert (spec.catchup, spec.max_active_runs, spec.tags) == (True, 1, ("shop",))
    ship = spec.tasks["ship"]
    assert ship.operator == "BashOperator"
    assert ship.upstream == ("start", "load")  # declaration order
    assert ship.trigger_rule == "none_failed"
    assert (ship.execution_timeout_s, ship.max_retry_delay_s) == (120.0, 3600.0)
    assert (ship.pool, ship.pool_slots, ship.priority_weight) == ("shipping", 2, 5)
    assert ship.queue == "default"
    # A callable compensation takes the task's pool.
    assert ship.compensation is not None
    assert (ship.compensation.pool, ship.compensation.pool_slots) == ("shipping", 2)
    assert ship.retry_exponential_backoff is True
    assert ship.has_compensation is True
    assert ship.template_fields == ("bash_command", "env", "cwd")
    assert ship.doc_md == "Ships."
    load = spec.tasks["load"]
    assert (load.retries, load.retry_delay_s, load.execution_timeout_s) == (2, 30.0, None)
    assert load.has_compensation is False
    assert load.operator == "@task"  # TaskFlow tasks show as Airflow shows them


def test_spec_round_trips_through_json():
    spec = serialize_dag(_build())
    text = json.dumps(spec.to_dict())
    again = DagSpec.from_dict(json.loads(text))
    assert again == spec
    assert again.topological_order == ("start", "load", "ship")


def test_serialising_a_cyclic_dag_raises_the_cycle_error():
    with DAG("loop") as dag:
        a, b = EmptyOperator(task_id="a"), EmptyOperator(task_id="b")
        a >> b >> a
    with pytest.raises(CycleError, match="a -> b -> a"):
        serialize_dag(dag)


def test_param_default_that_is_not_json_is_rejected():
    # Refused where it is written, as Airflow's Param does.
    with pytest.raises(DagDefinitionError, match=r"test_serialize.py:\d+: .* must be JSON-ser"):
        DAG("odd", params={"when": datetime(2024, 1, 1)})
