"""``>>``, ``<<``, lists, ``chain``, ``cross_downstream``, cycles and cross-DAG links."""

from __future__ import annotations

import pytest

from scheduler.authoring import DAG, EmptyOperator, chain, cross_downstream
from scheduler.errors import CycleError, DagDefinitionError
from tests.authoring.support import line_here


def _tasks(dag: DAG, names: str) -> list[EmptyOperator]:
    return [EmptyOperator(task_id=name, dag=dag) for name in names]


def _edges(dag: DAG) -> set[tuple[str, str]]:
    return set(dag.graph.edges)


def test_rshift_and_lshift_set_both_directions():
    dag = DAG("shift")
    a, b, c = _tasks(dag, "abc")
    a >> b << c
    assert b.upstream_task_ids == {"a", "c"}
    assert a.downstream_task_ids == {"b"}
    assert c.downstream_task_ids == {"b"}


def test_lists_on_either_side():
    dag = DAG("lists")
    a, b, c, d = _tasks(dag, "abcd")
    a >> [b, c] >> d
    assert _edges(dag) == {("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")}


def test_list_on_the_left_of_lshift():
    dag = DAG("left")
    a, b, c = _tasks(dag, "abc")
    [a, b] << c
    assert _edges(dag) == {("c", "a"), ("c", "b")}


def test_set_upstream_and_set_downstream():
    dag = DAG("methods")
    a, b, c = _tasks(dag, "abc")
    b.set_upstream(a)
    b.set_downstream([c])
    assert _edges(dag) == {("a", "b"), ("b", "c")}


def test_chain_links_singles_and_lists():
    dag = DAG("chain")
    a, b, c, d = _tasks(dag, "abcd")
    chain(a, [b, c], d)
    assert _edges(dag) == {("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")}


def test_chain_links_equal_length_lists_pairwise():
    dag = DAG("pairwise")
    a, b, c, d, e = _tasks(dag, "abcde")
    chain(a, [b, c], [d, e])
    assert _edges(dag) == {("a", "b"), ("a", "c"), ("b", "d"), ("c", "e")}


def test_chain_rejects_lists_of_different_lengths():
    dag = DAG("uneven")
    a, b, c = _tasks(dag, "abc")
    with pytest.raises(DagDefinitionError, match="list of 2 tasks next to a list of 1"):
        chain([a, b], [c])


def test_cross_downstream_links_every_pair():
    dag = DAG("cross")
    a, b, c, d = _tasks(dag, "abcd")
    cross_downstream([a, b], [c, d])
    assert _edges(dag) == {("a", "c"), ("a", "d"), ("b", "c"), ("b", "d")}


def test_a_task_without_dag_joins_the_dag_of_its_neighbour():
    dag = DAG("adopt")
    (a,) = _tasks(dag, "a")
    orphan = EmptyOperator(task_id="orphan")
    a >> orphan
    assert orphan.dag is dag
    assert dag.task_ids == ["a", "orphan"]


def test_linking_two_tasks_without_dag_is_an_error_at_the_shift_line():
    a, b = EmptyOperator(task_id="a"), EmptyOperator(task_id="b")
    line = line_here(2)
    with pytest.raises(DagDefinitionError, match="not in any DAG") as info:
        a >> b
    assert info.value.location.endswith(f"test_dependencies.py:{line}")


def test_linking_tasks_of_different_dags_is_an_error():
    (a,) = _tasks(DAG("one"), "a")
    (b,) = _tasks(DAG("two"), "b")
    with pytest.raises(DagDefinitionError, match="cannot link tasks of different DAGs"):
        a >> b


def test_a_task_cannot_depend_on_itself():
    (a,) = _tasks(DAG("self"), "a")
    with pytest.raises(DagDefinitionError, match="cannot depend on itself"):
        a >> a


def test_shifting_a_string_is_an_error_with_a_hint():
    (a,) = _tasks(DAG("strings"), "a")
    with pytest.raises(DagDefinitionError, match="not str 'b'; did you mean the task object"):
        a >> "b"


def test_cycle_error_prints_the_path_and_the_dag_call_line():
    line = line_here(1)
    with DAG("loop") as dag:
        start = EmptyOperator(task_id="start")
        a, b, c = (EmptyOperator(task_id=name) for name in "abc")
        start >> a >> b >> c >> a
    with pytest.raises(CycleError) as info:
        dag.validate()
    message = str(info.value)
    assert "cycle a -> b -> c -> a" in message
    assert "DAG 'loop'" in message
    assert "remove one of these dependencies" in message
    assert message.startswith(info.value.location)
    assert info.value.location.endswith(f"test_dependencies.py:{line}")


def test_an_acyclic_dag_validates():
    with DAG("fine") as dag:
        a, b = (EmptyOperator(task_id=name) for name in "ab")
        a >> b
    dag.validate()
