"""TaskGroup and @task_group: ids, prefixes, nesting, default_args, wiring leaves → roots."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scheduler import DAG, EmptyOperator, PythonOperator, TaskGroup, task, task_group
from scheduler.authoring import serialize_dag
from scheduler.errors import DagDefinitionError, DuplicateTaskIdError
from tests.authoring.support import line_here


def _edges(dag: DAG) -> set[tuple[str, str]]:
    return set(dag.graph.edges)


def test_tasks_and_nested_groups_get_prefixed_ids():
    with DAG("ids") as dag:
        with TaskGroup("outer") as outer:
            EmptyOperator(task_id="a")
            with TaskGroup("inner") as inner:
                EmptyOperator(task_id="b")
        EmptyOperator(task_id="top")
    assert dag.task_ids == ["outer.a", "outer.inner.b", "top"]
    assert outer.group_id == "outer"
    assert inner.group_id == "outer.inner"
    assert inner.parent_group is outer
    assert dag.get_task("outer.inner.b").task_group is inner
    assert dag.get_task("top").task_group is dag.task_group
    assert dag.task_group.is_root and dag.task_group.group_id is None
    assert list(dag.task_group_dict) == ["outer", "outer.inner"]
    assert dag.get_task("outer.inner.b").label == "b"


def test_prefix_group_id_false_keeps_child_ids():
    with DAG("noprefix") as dag, TaskGroup("outer", prefix_group_id=False):
        EmptyOperator(task_id="a")
        with TaskGroup("inner") as inner:
            EmptyOperator(task_id="b")
    # Airflow: the parent decides whether its children are prefixed.
    assert dag.task_ids == ["a", "inner.b"]
    assert inner.group_id == "inner"


def test_explicit_task_group_and_parent_group_arguments():
    dag = DAG("explicit")
    outer = TaskGroup("outer", dag=dag)
    inner = TaskGroup("inner", parent_group=outer)
    op = EmptyOperator(task_id="t", task_group=inner)
    assert op.task_id == "outer.inner.t"
    assert op.dag is dag
    assert outer.children == {"outer.inner": inner}
    assert inner.children == {"outer.inner.t": op}


def test_children_and_get_child_by_label():
    with DAG("children") as dag, TaskGroup("g") as group:
        first = EmptyOperator(task_id="first")
        with TaskGroup("sub") as sub:
            pass
    assert list(group.children) == ["g.first", "g.sub"]
    assert group.get_child_by_label("first") is first
    assert group["sub"] is sub
    with pytest.raises(KeyError, match="no child 'nope'"):
        group["nope"]
    assert dag.task_group.get_child_by_label("g") is group


def test_group_default_args_override_the_dags_and_nest():
    args = {"retries": 1, "retry_delay": timedelta(seconds=7)}
    with DAG("defaults", default_args=args) as dag:
        with TaskGroup("g", default_args={"retries": 3}):
            in_group = EmptyOperator(task_id="a")
            with TaskGroup("inner", default_args={"retry_delay": 2}):
                nested = EmptyOperator(task_id="b")
            own = EmptyOperator(task_id="c", retries=5)
        outside = EmptyOperator(task_id="d")
    assert (in_group.retries, in_group.retry_delay) == (3, timedelta(seconds=7))
    assert (nested.retries, nested.retry_delay) == (3, timedelta(seconds=2))
    assert own.retries == 5  # an explicit argument wins over every default_args
    assert outside.retries == 1
    assert dag.task_group_dict["g.inner"].default_args == {"retries": 3, "retry_delay": 2}


def test_task_into_group_is_wired_to_its_roots_and_group_to_task_from_its_leaves():
    with DAG("wiring") as dag:
        start = EmptyOperator(task_id="start")
        with TaskGroup("g") as group:
            a = EmptyOperator(task_id="a")
            b = EmptyOperator(task_id="b")
            c = EmptyOperator(task_id="c")
            a >> c
        end = EmptyOperator(task_id="end")
        start >> group >> end
    assert [t.task_id for t in group.roots] == ["g.a", "g.b"]
    assert [t.task_id for t in group.leaves] == ["g.b", "g.c"]
    assert _edges(dag) == {
        ("start", "g.a"),
        ("start", "g.b"),
        ("g.a", "g.c"),
        ("g.b", "end"),
        ("g.c", "end"),
    }
    assert b.upstream_task_ids == {"start"}
    assert group.upstream_task_ids == {"start"} and group.downstream_task_ids == {"end"}


def test_group_to_group_and_lists_and_lshift():
    with DAG("groups") as dag:
        with TaskGroup("one") as one:
            EmptyOperator(task_id="x") >> EmptyOperator(task_id="y")
        with TaskGroup("two") as two:
            EmptyOperator(task_id="p")
            EmptyOperator(task_id="q")
        last = EmptyOperator(task_id="last")
        one >> two
        last << [one, two]
    assert _edges(dag) == {
        ("one.x", "one.y"),
        ("one.y", "two.p"),
        ("one.y", "two.q"),
        ("one.y", "last"),
        ("two.p", "last"),
        ("two.q", "last"),
    }
    assert two.upstream_group_ids == {"one"} and one.downstream_group_ids == {"two"}


def test_empty_group_passes_its_upstream_through():
    # Airflow: ``a >> empty >> b`` still makes b run after a.
    with DAG("empty") as dag:
        a = EmptyOperator(task_id="a")
        with TaskGroup("empty") as empty:
            pass
        b = EmptyOperator(task_id="b")
        a >> empty >> b
    assert _edges(dag) == {("a", "b")}


def test_task_decorator_in_group_is_prefixed_and_numbered():
    @task
    def step(n):
        return n

    with DAG("taskflow") as dag:
        with TaskGroup("g"):
            step(1)
            step(2)
        step(3)
    assert dag.task_ids == ["g.step", "g.step__1", "step"]


def test_duplicate_group_id_is_an_error_with_the_line():
    with DAG("dup"):
        EmptyOperator(task_id="g")
        line = line_here(2)
        with pytest.raises(DuplicateTaskIdError, match=f"test_task_groups.py:{line}: .*'g'"):
            TaskGroup("g")


def test_task_id_already_used_by_a_group_is_an_error():
    with DAG("dup_task"):
        TaskGroup("g")
        with pytest.raises(DuplicateTaskIdError, match="'g' is already used"):
            EmptyOperator(task_id="g")


def test_bad_group_ids_and_arguments_are_refused():
    with DAG("bad"):
        with pytest.raises(DagDefinitionError, match="only letters, digits"):
            TaskGroup("a.b")
        with pytest.raises(DagDefinitionError, match="non-empty string"):
            TaskGroup("")
        with pytest.raises(DagDefinitionError, match=r"invalid arguments .*: colour"):
            TaskGroup("g", colour="red")
        with pytest.raises(DagDefinitionError, match="tooltip=3 must be a string"):
            TaskGroup("g2", tooltip=3)


def test_task_group_outside_a_dag_is_refused():
    with pytest.raises(DagDefinitionError, match="only be used inside a DAG"):
        TaskGroup("lonely")


def test_a_root_group_without_its_dag_is_refused():
    with pytest.raises(DagDefinitionError, match="root group of a DAG and needs it"):
        TaskGroup(None)


def test_a_root_group_cannot_be_a_child():
    other = DAG("other")
    with DAG("roots"), TaskGroup("g") as group:
        pass
    with pytest.raises(DagDefinitionError, match="root group cannot be a child"):
        group.add(other.task_group)


def test_task_group_decorator_returns_the_group_or_the_returned_task():
    @task
    def make(n):
        return n

    @task_group
    def builds():
        """Builds two things."""
        make(1)
        make(2)

    @task_group(group_id="chained", tooltip="given")
    def chained(n):
        return make(make(n))

    with DAG("decorated") as dag:
        start = EmptyOperator(task_id="start")
        group = builds()
        last = chained(5)
        start >> group
        start >> last
    assert isinstance(group, TaskGroup)
    assert group.tooltip == "Builds two things."
    assert dag.task_group_dict["chained"].tooltip == "given"
    # The call returned the last task's XComArg: ``>>`` bound to it, not to the group.
    assert last.operator.task_id == "chained.make__1"
    assert _edges(dag) >= {("start", "builds.make"), ("start", "builds.make__1")}
    assert ("start", "chained.make__1") in _edges(dag)
    assert ("start", "chained.make") not in _edges(dag)


def test_task_group_decorator_called_twice_gets_suffixes():
    @task_group
    def section():
        EmptyOperator(task_id="work")

    with DAG("twice") as dag:
        section()
        section()
        section.override(group_id="renamed")()
    assert list(dag.task_group_dict) == ["section", "section__1", "renamed"]
    assert dag.task_ids == ["section.work", "section__1.work", "renamed.work"]


def test_task_group_decorator_checks_its_arguments():
    with pytest.raises(DagDefinitionError, match="invalid arguments: colour"):
        task_group(colour="red")(lambda: None)

    @task_group
    def takes_one(n):
        pass

    with DAG("args"), pytest.raises(DagDefinitionError, match="cannot take these arguments"):
        takes_one(1, 2)


def test_group_structure_is_serialised_and_round_trips():
    with DAG("spec") as dag:
        with TaskGroup("g", tooltip="the g", ui_color="#abcdef", group_display_name="Gee"):
            EmptyOperator(task_id="a")
            with TaskGroup("inner"):
                PythonOperator(task_id="b", python_callable=print)
        EmptyOperator(task_id="c")
    spec = serialize_dag(dag)
    assert spec.tasks["g.a"].task_group_id == "g"
    assert spec.tasks["g.inner.b"].task_group_id == "g.inner"
    assert spec.tasks["c"].task_group_id is None
    g = spec.task_groups["g"]
    assert (g.parent, g.children, g.label, g.tooltip, g.ui_color) == (
        None,
        ("g.a", "g.inner"),
        "Gee",
        "the g",
        "#abcdef",
    )
    assert spec.task_groups["g.inner"].parent == "g"
    assert type(spec).from_dict(spec.to_dict()) == spec


def test_old_specs_without_groups_still_load():
    with DAG("old") as dag:
        EmptyOperator(task_id="a")
    data = serialize_dag(dag).to_dict()
    del data["task_groups"], data["edge_labels"]
    for task_data in data["tasks"]:
        del task_data["task_group_id"]
    spec = type(serialize_dag(dag)).from_dict(data)
    assert spec.task_groups == {} and spec.edge_labels == ()
    assert spec.tasks["a"].task_group_id is None


def test_a_teardown_at_the_end_of_a_group_is_not_a_leaf():
    # Airflow: ``group >> next`` waits for the group's work, not for its clean-up.
    with DAG("teardown") as dag:
        with TaskGroup("g") as group:
            create = EmptyOperator(task_id="create")
            work = EmptyOperator(task_id="work")
            delete = EmptyOperator(task_id="delete")
            create >> work >> delete.as_teardown(setups=create)
        after = EmptyOperator(task_id="after")
        group >> after
    assert [t.task_id for t in group.leaves] == ["g.work"]
    assert after.upstream_task_ids == {"g.work"}
    assert ("g.delete", "after") not in set(dag.graph.edges)
