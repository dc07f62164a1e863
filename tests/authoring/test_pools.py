"""pool=, pool_slots= and queue= on tasks: Airflow's names, defaults and rejections."""

from __future__ import annotations

import pytest

from scheduler.authoring import DAG, EmptyOperator, serialize_dag, task
from scheduler.errors import DagDefinitionError
from tests.authoring.support import line_here


def test_defaults_are_airflows():
    op = EmptyOperator(task_id="t")
    assert (op.pool, op.pool_slots, op.queue) == ("default_pool", 1, "default")


def test_pool_none_means_default_pool_and_queue_none_the_default_queue():
    op = EmptyOperator(task_id="t", pool=None, queue=None)
    assert (op.pool, op.queue) == ("default_pool", "default")


def test_pool_and_pool_slots_reach_the_spec_also_from_default_args_and_task():
    with DAG("p", default_args={"pool": "api", "pool_slots": 2}) as dag:
        EmptyOperator(task_id="inherited")
        EmptyOperator(task_id="own", pool="db", pool_slots=3)

        @task(pool="gpu", pool_slots=4)
        def train():
            return 1

        train()
    spec = serialize_dag(dag)
    got = {t.task_id: (t.pool, t.pool_slots) for t in spec.tasks.values()}
    assert got == {"inherited": ("api", 2), "own": ("db", 3), "train": ("gpu", 4)}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"pool_slots": 0}, "pool_slots=0 must be an integer >= 1"),
        ({"pool_slots": 1.5}, "pool_slots=1.5 must be an integer >= 1"),
        ({"pool_slots": True}, "pool_slots=True must be an integer >= 1"),
        ({"pool": ""}, "pool='' must be the name of a pool"),
        ({"pool": 3}, "pool=3 must be the name of a pool"),
    ],
)
def test_invalid_pool_arguments_are_rejected(kwargs, match):
    with pytest.raises(DagDefinitionError, match=match):
        EmptyOperator(task_id="t", **kwargs)


def test_any_queue_name_is_accepted_the_executor_decides_at_dispatch():
    # DAG files are parsed without the scheduler's settings: the Celery executor routes
    # the queue, the local executor fails the try saying so (tests/executors/test_local.py).
    with DAG("q", default_args={"queue": "io"}):
        assert EmptyOperator(task_id="t", queue="gpu").queue == "gpu"
        assert EmptyOperator(task_id="u").queue == "io"


@pytest.mark.parametrize("queue", ["", "  ", 3, "a,b"])
def test_a_queue_that_is_not_one_name_is_a_definition_error(queue):
    line = line_here()
    with DAG("q"), pytest.raises(DagDefinitionError) as info:
        EmptyOperator(task_id="t", queue=queue)
    assert f"DAG 'q': task 't': queue={queue!r} must be the name of one Celery queue" in str(
        info.value
    )
    assert info.value.location.endswith(f"test_pools.py:{line + 2}")
