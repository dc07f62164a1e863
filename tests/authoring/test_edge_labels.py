"""``Label``: edge labels recorded between tasks, lists and task groups (Airflow's rules)."""

from __future__ import annotations

import pytest

from scheduler import DAG, EmptyOperator, Label, TaskGroup, task
from scheduler.authoring import serialize_dag
from scheduler.errors import DagDefinitionError


def test_label_between_two_tasks():
    with DAG("one") as dag:
        a = EmptyOperator(task_id="a")
        b = EmptyOperator(task_id="b")
        a >> Label("no stock") >> b
    assert set(dag.graph.edges) == {("a", "b")}
    assert dag.get_edge_info("a", "b") == {"label": "no stock"}
    assert dag.get_edge_info("b", "a") == {}
    assert serialize_dag(dag).edge_labels == (("a", "b", "no stock"),)


def test_label_to_a_list_and_from_a_list():
    with DAG("lists") as dag:
        a, b, c, d = (EmptyOperator(task_id=name) for name in "abcd")
        a >> Label("x") >> [b, c]
        [b, c] >> Label("y") >> d
    assert serialize_dag(dag).edge_labels == (
        ("a", "b", "x"),
        ("a", "c", "x"),
        ("b", "d", "y"),
        ("c", "d", "y"),
    )


def test_label_with_lshift_and_set_downstream():
    with DAG("left") as dag:
        a, b, c = (EmptyOperator(task_id=name) for name in "abc")
        b << Label("back") << a
        label = Label("direct")
        a.set_downstream(c, edge_modifier=label)
    assert set(dag.graph.edges) == {("a", "b"), ("a", "c")}
    assert dag.get_edge_info("a", "b") == {"label": "back"}
    assert dag.get_edge_info("a", "c") == {"label": "direct"}


def test_label_with_xcomargs():
    @task
    def produce():
        return 1

    @task
    def consume(v):
        return v

    with DAG("xcom") as dag:
        out = produce()
        out >> Label("value") >> consume(2)
    assert dag.get_edge_info("produce", "consume") == {"label": "value"}


def test_label_into_a_task_group_labels_every_root():
    with DAG("group") as dag:
        start = EmptyOperator(task_id="start")
        with TaskGroup("g") as group:
            first = EmptyOperator(task_id="first")
            second = EmptyOperator(task_id="second")
            first >> EmptyOperator(task_id="third")
        start >> Label("go") >> group
    assert first.upstream_task_ids == {"start"} and second.upstream_task_ids == {"start"}
    assert serialize_dag(dag).edge_labels == (
        ("start", "g.first", "go"),
        ("start", "g.second", "go"),
    )


def test_label_from_a_task_inside_a_group_links_the_group_as_airflow_does():
    # Airflow (apache/airflow#29410): across groups, a node inside a group stands for it.
    with DAG("across") as dag:
        with TaskGroup("g"):
            inner = EmptyOperator(task_id="inner")
            leaf = EmptyOperator(task_id="leaf")
            inner >> leaf
        out = EmptyOperator(task_id="out")
        inner >> Label("done") >> out
    assert out.upstream_task_ids == {"g.leaf"}
    assert dag.get_edge_info("g.leaf", "out") == {"label": "done"}


def test_label_inside_one_group_stays_between_its_tasks():
    with DAG("inside") as dag, TaskGroup("g"):
        a = EmptyOperator(task_id="a")
        b = EmptyOperator(task_id="b")
        c = EmptyOperator(task_id="c")
        a >> Label("inner") >> b
        a >> c
    assert set(dag.graph.edges) == {("g.a", "g.b"), ("g.a", "g.c")}
    assert serialize_dag(dag).edge_labels == (("g.a", "g.b", "inner"),)


def test_a_label_must_be_text_and_labels_cannot_touch():
    with pytest.raises(DagDefinitionError, match="an edge label is a string"):
        Label(3)
    with DAG("bad"):
        a = EmptyOperator(task_id="a")
        with pytest.raises(DagDefinitionError, match="cannot follow each other"):
            a >> Label("x") >> Label("y")
