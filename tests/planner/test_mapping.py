"""Dynamic task mapping in the planner: expansion, zero-length skip, limits, instances
counted by their downstream, mapped task groups (Airflow's documented behaviour)."""

from __future__ import annotations

from datetime import UTC, datetime

from scheduler.planner import (
    Expansion,
    RunIndex,
    TaskView,
    mapped_length,
    plan_run,
    product_indexes,
)
from scheduler.spec import DagSpec, TaskSpec
from scheduler.states import RunState, TaskState

T = TaskState
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def spec(*tasks: TaskSpec) -> DagSpec:
    return DagSpec(dag_id="m", fileloc="m.py", tasks={t.task_id: t for t in tasks})


def task(task_id: str, *upstream: str, mapping: dict | None = None, rule: str = "all_success"):
    return TaskSpec(
        task_id=task_id,
        operator="PythonOperator",
        upstream=upstream,
        trigger_rule=rule,
        mapping=mapping,
    )


def over(source: str, group: str | None = None) -> dict:
    return {"kind": "expand", "args": {"x": {"xcom": source}}, "group": group}


def literal(n: int) -> dict:
    return {"kind": "expand", "args": {"x": {"literal": n}}, "group": None}


DAG = spec(task("make"), task("double", "make", mapping=over("make")), task("total", "double"))


def keyed(**states: str) -> dict[tuple[str, int], TaskView]:
    """``double_2="success"`` is instance 2 of ``double``; ``make="success"`` is unmapped."""
    out = {}
    for name, state in states.items():
        task_id, _, index = name.rpartition("_")
        key = (task_id, int(index)) if index.isdigit() and task_id else (name, -1)
        out[key] = TaskView(T(state))
    return out


def test_a_mapped_task_waits_for_its_input_then_expands_into_scheduled_instances():
    states = keyed(make="running", double="none", total="none")
    assert plan_run(DAG, states, NOW, lengths={}).expansions == []
    states = keyed(make="success", double="none", total="none")
    plan = plan_run(DAG, states, NOW, lengths={"make": 3})
    assert plan.expansions == [
        Expansion("double", 3, T.SCHEDULED, "expanded into 3 mapped instances")
    ]
    assert plan.to_schedule == [("double", 0), ("double", 1), ("double", 2)]
    assert plan.run_state is None


def test_a_zero_length_input_skips_the_mapped_task_and_the_skip_spreads():
    states = keyed(make="success", double="none", total="none")
    plan = plan_run(DAG, states, NOW, lengths={"make": 0})
    assert [(t.key, t.new_state) for t in plan.transitions] == [
        (("double", -1), T.SKIPPED),
        (("total", -1), T.SKIPPED),
    ]
    assert plan.run_state == RunState.SUCCESS  # Airflow: skipped leaves succeed the run


def test_an_input_that_cannot_be_mapped_over_fails_the_task_with_the_reason():
    states = keyed(make="success", double="none", total="none")
    plan = plan_run(DAG, states, NOW, lengths={"make": "task 'make' returned int 3"})
    first = plan.transitions[0]
    assert (first.key, first.new_state) == (("double", -1), T.FAILED)
    assert "returned int 3" in first.reason
    assert plan.transitions[1].new_state == T.UPSTREAM_FAILED


def test_more_than_max_map_length_fails_with_a_clear_message():
    states = keyed(make="success", double="none", total="none")
    plan = plan_run(DAG, states, NOW, lengths={"make": 2000}, max_map_length=1024)
    reason = plan.transitions[0].reason
    assert plan.transitions[0].new_state == T.FAILED
    assert "2000 instances" in reason and "max_map_length (1024)" in reason


def test_a_failed_input_makes_the_mapped_task_upstream_failed_unexpanded():
    states = keyed(make="failed", double="none", total="none")
    plan = plan_run(DAG, states, NOW, lengths={})
    assert [(t.key, t.new_state) for t in plan.transitions] == [
        (("double", -1), T.UPSTREAM_FAILED),
        (("total", -1), T.UPSTREAM_FAILED),
    ]
    assert plan.run_state == RunState.FAILED


def test_the_downstream_of_a_mapped_task_waits_for_every_instance():
    states = keyed(make="success", double_0="success", double_1="running", total="none")
    assert plan_run(DAG, states, NOW, candidates=["total"]).transitions == []
    states[("double", 1)] = TaskView(T.SUCCESS)
    plan = plan_run(DAG, states, NOW, candidates=["total"])
    assert [(t.key, t.new_state) for t in plan.transitions] == [(("total", -1), T.SCHEDULED)]
    assert "2 upstream: 2 success" in plan.transitions[0].reason


def test_one_failed_instance_fails_the_downstream_and_the_run():
    states = keyed(make="success", double_0="success", double_1="failed", total="none")
    plan = plan_run(DAG, states, NOW, candidates=["total"])
    assert plan.transitions[0].new_state == T.UPSTREAM_FAILED
    assert plan.run_state == RunState.FAILED


def test_a_failed_mapped_leaf_instance_fails_the_run():
    dag = spec(task("make"), task("double", "make", mapping=over("make")))
    states = keyed(make="success", double_0="success", double_1="failed")
    assert plan_run(dag, states, NOW).run_state == RunState.FAILED


def test_a_literal_expands_at_the_start():
    dag = spec(task("echo", mapping=literal(2)))
    plan = plan_run(dag, keyed(echo="none"), NOW)
    assert plan.to_schedule == [("echo", 0), ("echo", 1)]


def test_retries_of_instances_are_found_through_the_index():
    states = keyed(make="success", double_0="success", double_1="up_for_retry", total="none")
    plan = plan_run(DAG, states, NOW, index=RunIndex.of(states, DAG.tasks))
    assert [(t.key, t.new_state) for t in plan.transitions] == [(("double", 1), T.SCHEDULED)]


def test_lengths_of_products_zips_and_concats():
    sources = {"a": 3, "b": 2}
    product = {"kind": "expand", "args": {"x": {"xcom": "a"}, "y": {"xcom": "b"}}}
    assert mapped_length(product, sources) == 6
    zipped = {"kind": "expand", "args": {"x": {"zip": [{"xcom": "a"}, {"xcom": "b"}]}}}
    assert mapped_length(zipped, sources) == 2
    zipped["args"]["x"]["fill"] = True
    assert mapped_length(zipped, sources) == 3
    concat = {"kind": "expand_kwargs", "source": {"concat": [{"xcom": "a"}, {"literal": 4}]}}
    assert mapped_length(concat, sources) == 7
    assert mapped_length(product, {"a": 3}) is None  # b not produced yet
    assert product_indexes([2, 3], 4) == [1, 1]  # the last input varies fastest


def group_dag() -> DagSpec:
    group = "g"
    return spec(
        task("make"),
        task("g.first", "make", mapping=over("make", group)),
        task("g.second", "g.first", mapping=over("make", group)),
        task("after", "g.second"),
    )


def test_a_mapped_task_group_expands_all_its_tasks_and_links_them_index_by_index():
    dag = group_dag()
    states = keyed(make="success", **{"g.first": "none", "g.second": "none", "after": "none"})
    plan = plan_run(dag, states, NOW, lengths={"make": 2})
    assert [(e.task_id, e.length, e.state) for e in plan.expansions] == [
        ("g.first", 2, T.NONE),
        ("g.second", 2, T.NONE),
    ]
    # Only the first task's instances may start; each second[i] waits for its first[i].
    assert plan.to_schedule == [("g.first", 0), ("g.first", 1)]


def test_in_a_mapped_group_an_instance_follows_only_its_own_upstream_instance():
    dag = group_dag()
    states = {
        ("make", -1): TaskView(T.SUCCESS),
        ("g.first", 0): TaskView(T.SUCCESS),
        ("g.first", 1): TaskView(T.FAILED),
        ("g.second", 0): TaskView(T.NONE),
        ("g.second", 1): TaskView(T.NONE),
        ("after", -1): TaskView(T.NONE),
    }
    plan = plan_run(dag, states, NOW, candidates=["g.second"])
    moves = [(t.key, t.new_state) for t in plan.transitions]
    assert (("g.second", 0), T.SCHEDULED) in moves
    assert (("g.second", 1), T.UPSTREAM_FAILED) in moves
    assert (("after", -1), T.UPSTREAM_FAILED) in moves  # outside the group: every instance
