"""Cross-DAG queries and clears through ExternalTaskMarkers, against a real SQLite file and
the real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from scheduler.errors import BatonError
from scheduler.spec import CrossDagRef, DagSpec, TaskGroupSpec, TaskSpec
from scheduler.states import TaskState
from scheduler.store import cross_dag as store
from scheduler.store import dags as dag_store
from scheduler.store import runs as run_store
from scheduler.store.db import transaction
from scheduler.store.models import dag_run_table, task_instance_table
from scheduler.store.runs import NewRun

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
DAY = datetime(2026, 4, 1, tzinfo=UTC)


def marker(dag_id: str, task_id: str, **kwargs) -> CrossDagRef:
    return CrossDagRef(
        "marker", dag_id, (task_id,), kwargs.pop("logical_date", "{{ ts }}"), **kwargs
    )


def spec(dag_id: str, *tasks: TaskSpec) -> DagSpec:
    return DagSpec(dag_id, f"/dags/{dag_id}.py", {t.task_id: t for t in tasks})


PARENT = spec(
    "parent",
    TaskSpec("first", "PythonOperator"),
    TaskSpec("mark", "ExternalTaskMarker", upstream=("first",), cross_dag=marker("child", "c1")),
)
CHILD = spec(
    "child",
    TaskSpec("c0", "PythonOperator"),
    TaskSpec("c1", "PythonOperator", upstream=("c0",)),
    TaskSpec("c2", "PythonOperator", upstream=("c1",)),
)


def add(session, dag: DagSpec, run_id: str, when: datetime, state: str = "success") -> None:
    dag_store.sync_file(session, dag.fileloc, [dag], [], now=NOW, paused_at_creation=False)
    run_store.create_run(
        session, dag, NewRun(run_id, "manual", when, when, when, {}), source="test", now=NOW
    )
    session.execute(
        update(task_instance_table)
        .where(task_instance_table.c.dag_id == dag.dag_id, task_instance_table.c.run_id == run_id)
        .values(state=state, try_number=1)
    )
    session.execute(
        update(dag_run_table)
        .where(dag_run_table.c.dag_id == dag.dag_id, dag_run_table.c.run_id == run_id)
        .values(state=state)
    )


def states(session, dag_id: str, run_id: str) -> dict[str, str]:
    return {ti.task_id: ti.state for ti in run_store.list_task_instances(session, dag_id, run_id)}


def test_counts_match_tasks_and_runs_by_logical_date_and_state(db) -> None:
    with transaction(db) as session:
        add(session, CHILD, "r1", DAY)
        add(session, CHILD, "r2", DAY + timedelta(days=1), state="failed")
        assert store.count_task_instances(session, "child", ["c1", "c2"], [DAY], ["success"]) == 2
        assert store.count_task_instances(session, "child", ["c1"], [DAY], ["failed"]) == 0
        both = [DAY, DAY + timedelta(days=1)]
        assert store.count_task_instances(session, "child", ["c1"], both, ["success"]) == 1
        assert store.count_runs(session, "child", both, ["success", "failed"]) == 2
        assert store.count_runs(session, "child", [DAY - timedelta(days=1)], ["success"]) == 0


def test_clearing_a_marker_clears_the_external_task_and_downstream_at_that_date(db) -> None:
    with transaction(db) as session:
        add(session, PARENT, "p1", DAY)
        add(session, CHILD, "same_day", DAY)
        add(session, CHILD, "next_day", DAY + timedelta(days=1))
        cleared = store.clear_across_dags(
            session, PARENT, "p1", ["first"], downstream=True, source="test", now=NOW
        )
        assert [(c.dag_id, c.run_id, c.task_id) for c in cleared] == [
            ("parent", "p1", "first"),
            ("parent", "p1", "mark"),
            ("child", "same_day", "c1"),
            ("child", "same_day", "c2"),
        ]
        assert states(session, "child", "same_day") == {"c0": "success", "c1": "none", "c2": "none"}
        assert set(states(session, "child", "next_day").values()) == {"success"}
        assert run_store.get_run(session, "child", "same_day").state == "queued"


def test_a_clear_without_the_marker_leaves_other_dags_alone(db) -> None:
    with transaction(db) as session:
        add(session, PARENT, "p1", DAY)
        add(session, CHILD, "same_day", DAY)
        store.clear_across_dags(
            session, PARENT, "p1", ["first"], downstream=False, source="test", now=NOW
        )
        assert set(states(session, "child", "same_day").values()) == {"success"}


def test_the_marker_logical_date_template_is_rendered_for_the_cleared_run(db) -> None:
    yesterday = spec(
        "parent",
        TaskSpec(
            "mark",
            "ExternalTaskMarker",
            cross_dag=marker(
                "child", "c2", logical_date="{{ (logical_date - macros_day).isoformat() }}"
            ),
        ),
    )
    with transaction(db) as session:
        add(session, yesterday, "p1", DAY)
        with pytest.raises(BatonError, match="could not be rendered"):
            store.clear_across_dags(
                session, yesterday, "p1", ["mark"], downstream=False, source="test", now=NOW
            )
    ds_marker = spec(
        "parent",
        TaskSpec(
            "mark", "ExternalTaskMarker", cross_dag=marker("child", "c2", logical_date="{{ ds }}")
        ),
    )
    with transaction(db) as session:
        add(session, ds_marker, "p2", DAY)
        add(session, CHILD, "same_day", DAY)
        store.clear_across_dags(
            session, ds_marker, "p2", ["mark"], downstream=False, source="test", now=NOW
        )
        assert states(session, "child", "same_day")["c2"] == TaskState.NONE


def test_markers_are_followed_transitively_up_to_the_recursion_depth(db) -> None:
    def chain_dag(name: str, target: str, depth: int = 10) -> DagSpec:
        return spec(
            name,
            TaskSpec(
                "mark",
                "ExternalTaskMarker",
                cross_dag=marker(target, "mark", recursion_depth=depth),
            ),
        )

    with transaction(db) as session:
        for name, target in (("d1", "d2"), ("d2", "d3"), ("d3", "d1")):  # a cycle
            add(session, chain_dag(name, target), "r", DAY)
        cleared = store.clear_across_dags(
            session, chain_dag("d1", "d2"), "r", ["mark"], downstream=False, source="t", now=NOW
        )
        # The cycle stops where a marker was visited already.
        assert [c.dag_id for c in cleared] == ["d1", "d2", "d3"]

    with transaction(db) as session:
        add(session, chain_dag("e1", "e2", depth=1), "r", DAY)
        add(session, chain_dag("e2", "e3"), "r", DAY)
        add(session, chain_dag("e3", "e4"), "r", DAY)
        with pytest.raises(BatonError, match="maximum recursion depth 1 reached"):
            store.clear_across_dags(
                session,
                chain_dag("e1", "e2", depth=1),
                "r",
                ["mark"],
                downstream=False,
                source="t",
                now=NOW,
            )


def test_a_marker_pointing_at_an_unknown_dag_or_task_clears_only_its_own_dag(db) -> None:
    lost = spec(
        "parent",
        TaskSpec("a", "ExternalTaskMarker", cross_dag=marker("nowhere", "x")),
        TaskSpec("b", "ExternalTaskMarker", cross_dag=marker("child", "no_such_task")),
    )
    with transaction(db) as session:
        add(session, lost, "p1", DAY)
        add(session, CHILD, "same_day", DAY)
        cleared = store.clear_across_dags(
            session, lost, "p1", ["a", "b"], downstream=False, source="t", now=NOW
        )
        assert {c.dag_id for c in cleared} == {"parent"}


def test_a_group_counts_the_runs_where_every_task_of_it_and_its_subgroups_matches(db) -> None:
    grouped = DagSpec(
        "grouped",
        "/dags/grouped.py",
        {
            "outside": TaskSpec("outside", "PythonOperator"),
            "g.a": TaskSpec("g.a", "PythonOperator", task_group_id="g"),
            "g.inner.b": TaskSpec("g.inner.b", "PythonOperator", task_group_id="g.inner"),
        },
        task_groups={
            "g": TaskGroupSpec("g", children=("g.a", "g.inner")),
            "g.inner": TaskGroupSpec("g.inner", parent="g", children=("g.inner.b",)),
        },
    )
    assert store.group_task_ids(grouped, "g") == ["g.a", "g.inner.b"]
    assert store.group_task_ids(grouped, "g.inner") == ["g.inner.b"]
    with transaction(db) as session:
        add(session, grouped, "done", DAY)
        add(session, grouped, "half", DAY + timedelta(days=1))
        session.execute(
            update(task_instance_table)
            .where(task_instance_table.c.run_id == "half", task_instance_table.c.task_id == "g.a")
            .values(state="running")
        )
        both = [DAY, DAY + timedelta(days=1)]
        assert store.count_group_runs(session, grouped, "g", both, ["success"]) == 1
        assert store.count_group_runs(session, grouped, "g.inner", both, ["success"]) == 2
        assert store.count_group_runs(session, grouped, "nope", both, ["success"]) == 0
