"""depends_on_past and wait_for_downstream in the planner: Airflow's PrevDagrunDep rule."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from scheduler.planner import TaskView, plan_run
from scheduler.planner.past import past_blocks
from scheduler.spec import DagSpec, TaskSpec
from scheduler.states import TaskState

T = TaskState
NOW = datetime(2024, 1, 2, tzinfo=UTC)


def make_dag(**flags: dict) -> DagSpec:
    """extract >> load >> report; ``flags`` set TaskSpec fields per task."""
    edges = {"extract": (), "load": ("extract",), "report": ("load",)}
    tasks = {
        task_id: TaskSpec(task_id, "EmptyOperator", upstream=up, **flags.get(task_id, {}))
        for task_id, up in edges.items()
    }
    return DagSpec(dag_id="d", fileloc="d.py", tasks=tasks)


def scheduled(dag: DagSpec, past, **states: str) -> list[str]:
    views = {t: TaskView(T(states.get(t, "none"))) for t in dag.tasks}
    plan = plan_run(dag, views, NOW, past=past)
    return [t.task_id for t in plan.transitions if t.new_state == T.SCHEDULED]


def counts(**states: str) -> dict[str, Counter[TaskState]]:
    return {task_id: Counter({T(state): 1}) for task_id, state in states.items()}


DEPENDS = {"extract": {"depends_on_past": True}}


def test_the_first_run_has_no_previous_run_and_runs():
    assert scheduled(make_dag(**DEPENDS), past=None) == ["extract"]


def test_it_waits_until_the_same_task_succeeded_or_was_skipped_in_the_previous_run():
    dag = make_dag(**DEPENDS)
    for state in ("failed", "upstream_failed", "running", "none", "up_for_retry", "queued"):
        assert scheduled(dag, counts(extract=state)) == [], state
    assert scheduled(dag, counts(extract="success")) == ["extract"]
    assert scheduled(dag, counts(extract="skipped")) == ["extract"]


def test_without_depends_on_past_the_previous_run_does_not_matter():
    assert scheduled(make_dag(), counts(extract="failed")) == ["extract"]


def test_a_task_new_since_the_previous_run_runs_as_its_first_instance():
    # Airflow's default ignore_first_depends_on_past=True.
    assert scheduled(make_dag(**DEPENDS), past={}) == ["extract"]


def test_every_mapped_instance_of_the_previous_run_must_be_done():
    dag = make_dag(**DEPENDS)
    mixed = {"extract": Counter({T.SUCCESS: 3, T.FAILED: 1})}
    assert scheduled(dag, mixed) == []
    assert scheduled(dag, {"extract": Counter({T.SUCCESS: 3, T.SKIPPED: 2})}) == ["extract"]


def test_depends_on_past_only_gates_running_a_task_not_skipping_it():
    # Airflow: wait_for_past_depends_before_skipping defaults to False.
    dag = make_dag(load={"depends_on_past": True})
    views = {"extract": TaskView(T.FAILED), "load": TaskView(T.NONE), "report": TaskView(T.NONE)}
    plan = plan_run(dag, views, NOW, past=counts(load="failed"))
    assert [(t.task_id, t.new_state) for t in plan.transitions] == [
        ("load", T.UPSTREAM_FAILED),
        ("report", T.UPSTREAM_FAILED),
    ]
    assert plan.run_state is not None  # the run can end: nothing waits


def test_a_waiting_task_keeps_the_run_running():
    dag = make_dag(**DEPENDS)
    views = {t: TaskView(T.NONE) for t in dag.tasks}
    plan = plan_run(dag, views, NOW, past=counts(extract="failed"))
    assert plan.transitions == [] and plan.run_state is None and plan.next_wakeup is None


def test_wait_for_downstream_also_needs_the_direct_downstream_done():
    dag = make_dag(extract={"depends_on_past": True, "wait_for_downstream": True})
    assert scheduled(dag, counts(extract="success", load="running")) == []
    assert scheduled(dag, counts(extract="success", load="failed")) == []
    # Only the direct downstream counts: report's state does not matter.
    assert scheduled(dag, counts(extract="success", load="success", report="failed")) == ["extract"]
    assert scheduled(dag, counts(extract="success", load="skipped")) == ["extract"]


def test_wait_for_downstream_still_needs_the_task_itself_done():
    dag = make_dag(extract={"depends_on_past": True, "wait_for_downstream": True})
    assert scheduled(dag, counts(extract="failed", load="success")) == []


def test_a_downstream_task_without_an_instance_there_does_not_hold_it_back():
    dag = make_dag(extract={"depends_on_past": True, "wait_for_downstream": True})
    assert scheduled(dag, counts(extract="success")) == ["extract"]


def test_the_reason_names_what_the_task_waits_for():
    dag = make_dag(extract={"depends_on_past": True, "wait_for_downstream": True})
    task = dag.tasks["extract"]
    assert "1 instance(s) of extract" in past_blocks(dag, task, counts(extract="failed"))
    reason = past_blocks(dag, task, counts(extract="success", load="running"))
    assert reason.startswith("wait_for_downstream: load")


def test_past_dependents_say_which_next_run_tasks_a_change_concerns():
    dag = make_dag(
        extract={"depends_on_past": True, "wait_for_downstream": True},
        report={"depends_on_past": True},
    )
    assert dag.past_dependents == {
        "extract": ("extract",),
        "load": ("extract",),
        "report": ("report",),
    }
    assert make_dag().past_dependents == {}
