"""Authoring setup and teardown tasks: as_setup/as_teardown, @setup/@teardown, the `with`
block, validation and serialisation. Graphs expected as in Airflow's setup-and-teardown
how-to."""

from __future__ import annotations

from datetime import datetime

import pytest

from scheduler import DAG, EmptyOperator, TriggerRule, setup, task, teardown
from scheduler.authoring import serialize_dag
from scheduler.errors import DagDefinitionError

START = datetime(2024, 1, 1)


def edges(dag: DAG) -> set[tuple[str, str]]:
    return {(up, t.task_id) for t in dag.tasks for up in t.upstream_task_ids}


def ops(*names: str) -> list[EmptyOperator]:
    return [EmptyOperator(task_id=n) for n in names]


def test_as_teardown_with_setups_links_and_marks_both():
    with DAG("d", start_date=START) as dag:
        create, work, delete = ops("create", "work", "delete")
        create >> work >> delete.as_teardown(setups=create)
    assert edges(dag) == {("create", "work"), ("work", "delete"), ("create", "delete")}
    assert create.is_setup and not create.is_teardown
    assert delete.is_teardown and not delete.is_setup
    assert delete.trigger_rule == TriggerRule.ALL_DONE_SETUP_SUCCESS
    assert not delete.on_failure_fail_dagrun
    assert not work.is_setup and not work.is_teardown


def test_as_setup_and_as_teardown_return_the_task_for_chaining():
    with DAG("d", start_date=START) as dag:
        create, work, delete = ops("create", "work", "delete")
        create.as_setup() >> work >> delete.as_teardown()
        create >> delete
    assert edges(dag) == {("create", "work"), ("work", "delete"), ("create", "delete")}
    assert create.is_setup and delete.is_teardown


def test_several_setups_and_on_failure_fail_dagrun():
    with DAG("d", start_date=START) as dag:
        s1, s2, work, t = ops("s1", "s2", "work", "t")
        [s1, s2] >> work >> t.as_teardown(setups=[s1, s2], on_failure_fail_dagrun=True)
    assert {("s1", "t"), ("s2", "t")} <= edges(dag)
    assert s1.is_setup and s2.is_setup
    assert t.on_failure_fail_dagrun


def test_on_failure_fail_dagrun_needs_a_teardown():
    with DAG("d", start_date=START):
        (work,) = ops("work")
        with pytest.raises(DagDefinitionError, match="only applies to a teardown"):
            work.on_failure_fail_dagrun = True


def test_the_with_block_wraps_the_tasks_made_inside():
    # with delete_cluster().as_teardown(setups=create_cluster()):
    #     [RunQueryOne(), RunQueryTwo()] >> DoSomeOtherStuff()
    #     WorkOne() >> [do_this_stuff(), do_other_stuff()]
    with DAG("d", start_date=START) as dag:
        create, delete = ops("create", "delete")
        with delete.as_teardown(setups=create):
            q1, q2, other = ops("q1", "q2", "other")
            [q1, q2] >> other
            w1, this, that = ops("w1", "this", "that")
            w1 >> [this, that]
    assert edges(dag) == {
        ("create", "delete"),
        ("q1", "other"),
        ("q2", "other"),
        ("w1", "this"),
        ("w1", "that"),
        ("create", "q1"),
        ("create", "q2"),
        ("create", "w1"),
        ("other", "delete"),
        ("this", "delete"),
        ("that", "delete"),
    }


def test_the_with_block_of_a_setup_links_its_teardown_after_the_work():
    with DAG("d", start_date=START) as dag:
        create, delete = ops("create", "delete")
        delete.as_teardown(setups=create)
        with create:
            ops("work")
    assert edges(dag) == {("create", "delete"), ("create", "work"), ("work", "delete")}


def test_scope_add_task_brings_a_task_made_before_the_block():
    with DAG("d", start_date=START) as dag:
        create, delete, work = ops("create", "delete", "work")
        with delete.as_teardown(setups=create) as scope:
            scope.add_task(work)
    assert edges(dag) == {("create", "delete"), ("create", "work"), ("work", "delete")}


def test_nested_blocks_order_outer_and_inner_resources():
    with DAG("d", start_date=START) as dag:
        s1, t1 = ops("s1", "t1")
        with t1.as_teardown(setups=s1):
            ops("w1")
            s2, t2 = ops("s2", "t2")
            with t2.as_teardown(setups=s2):
                ops("w2")
    assert edges(dag) == {
        ("s1", "t1"),
        ("s1", "w1"),
        ("w1", "t1"),
        ("s2", "t2"),
        ("s2", "w2"),
        ("w2", "t2"),
        ("s1", "s2"),  # the outer resource exists before the inner one
        ("t2", "t1"),  # and is torn down after it
    }


def test_only_setups_and_teardowns_open_a_block():
    with DAG("d", start_date=START):
        (work,) = ops("work")
        with pytest.raises(DagDefinitionError, match="only setup and teardown tasks"), work:
            pass


def test_a_failing_block_wires_nothing_and_closes():
    with DAG("d", start_date=START) as dag:
        create, delete = ops("create", "delete")
        with pytest.raises(RuntimeError), delete.as_teardown(setups=create):
            ops("w")
            raise RuntimeError("boom")
        (after,) = ops("after")  # made after the block: in no scope
    assert edges(dag) == {("create", "delete")}
    assert not after.upstream_task_ids


def test_decorators_mark_taskflow_tasks():
    with DAG("d", start_date=START) as dag:

        @setup
        def create_cluster():
            return "c-1"

        @task
        def run_query(cluster):
            return cluster

        @teardown(on_failure_fail_dagrun=True)
        def delete_cluster(cluster):
            pass

        cluster = create_cluster()
        run_query(cluster) >> delete_cluster(cluster)
    spec = serialize_dag(dag)
    assert spec.tasks["create_cluster"].is_setup
    assert spec.tasks["delete_cluster"].is_teardown
    assert spec.tasks["delete_cluster"].on_failure_fail_dagrun
    assert spec.tasks["delete_cluster"].trigger_rule == "all_done_setup_success"
    assert not spec.tasks["run_query"].is_setup
    assert set(spec.tasks["delete_cluster"].upstream) == {"create_cluster", "run_query"}


def test_bare_teardown_decorator_and_xcomarg_as_teardown_with_block():
    with DAG("d", start_date=START) as dag:

        @setup
        def create():
            pass

        @teardown
        def delete():
            pass

        @task
        def work():
            pass

        with delete().as_teardown(setups=create()):
            work()
    assert edges(dag) == {("create", "delete"), ("create", "work"), ("work", "delete")}
    assert not dag.get_task("delete").on_failure_fail_dagrun


def test_setup_over_a_task_decorator_and_override():
    with DAG("d", start_date=START) as dag:

        @setup
        @task(retries=2)
        def create():
            pass

        @teardown
        def delete():
            pass

        create.override(task_id="make")()
        delete.override(task_id="drop", on_failure_fail_dagrun=True)()
    assert dag.get_task("make").is_setup and dag.get_task("make").retries == 2
    assert dag.get_task("drop").on_failure_fail_dagrun


def test_a_teardown_s_trigger_rule_is_not_configurable():
    with pytest.raises(DagDefinitionError, match="always all_done_setup_success"):

        @teardown
        @task(trigger_rule="all_done")
        def delete():
            pass


def test_work_right_after_a_setup_must_keep_all_success():
    with DAG("d", start_date=START) as dag:
        create = EmptyOperator(task_id="create").as_setup()
        create >> EmptyOperator(task_id="work", trigger_rule="all_done")
    with pytest.raises(DagDefinitionError, match=r"right after setup 'create'.*all_success"):
        serialize_dag(dag)


def test_a_task_cannot_be_both():
    with DAG("d", start_date=START) as dag:
        EmptyOperator(task_id="x").as_setup().as_teardown()
    with pytest.raises(DagDefinitionError, match="both setup and teardown"):
        serialize_dag(dag)


def test_plain_dags_serialise_without_setup_flags():
    with DAG("d", start_date=START) as dag:
        a, b = ops("a", "b")
        a >> b
    spec = serialize_dag(dag)
    assert not any(t.is_setup or t.is_teardown for t in spec.tasks.values())
