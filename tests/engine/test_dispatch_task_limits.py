"""max_active_tis_per_dag / max_active_tis_per_dagrun in dispatch: pure, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scheduler.engine.dispatch import select_for_dispatch
from scheduler.engine.live import LiveRun, LiveState
from scheduler.planner import UNMAPPED, RunIndex, TaskView
from scheduler.spec import DagSpec, TaskSpec
from scheduler.states import RunState, TaskState

T0 = datetime(2026, 12, 2, tzinfo=UTC)
S = TaskState


def make_run(spec: DagSpec, day: int, instances: dict[str, int] | None = None) -> LiveRun:
    """A running run of ``spec``; ``instances`` expands mapped tasks into that many."""
    when = T0 + timedelta(days=day)
    run = LiveRun(
        day, spec.dag_id, f"r{day}", "scheduled", RunState.RUNNING, when, when, when, {}, spec
    )
    for task_id in spec.tasks:
        for map_index in range((instances or {}).get(task_id, 0)) or [UNMAPPED]:
            run.tasks[(task_id, map_index)] = TaskView(S.NONE)
    run.index = RunIndex.of(run.tasks, spec.tasks)
    return run


def spec_of(*tasks: TaskSpec, dag_id: str = "d") -> DagSpec:
    return DagSpec(dag_id=dag_id, fileloc="d.py", tasks={t.task_id: t for t in tasks})


def move(live: LiveState, run: LiveRun, state: TaskState, *keys: tuple[str, int]) -> None:
    for key in keys:
        live.set_task(run, key, TaskView(state, 1))


def pick(live: LiveState, free: int = 16) -> list[str]:
    picked = select_for_dispatch(
        live.runs.values(), live.active_tasks, free, None, live.active_by_task
    )
    return [f"{run.run_id}.{key[0]}[{key[1]}]" for run, key, _ in picked]


def test_max_active_tis_per_dag_holds_one_task_to_n_instances_across_runs() -> None:
    spec = spec_of(TaskSpec("load", "X", max_active_tis_per_dag=1), TaskSpec("other", "X"))
    first, second = make_run(spec, 1), make_run(spec, 2)
    live = LiveState()
    live.add(first)
    live.add(second)
    for run in (first, second):
        move(live, run, S.SCHEDULED, ("load", UNMAPPED), ("other", UNMAPPED))
    # One load in this dispatch (the older run's); other tasks are not limited.
    assert pick(live) == ["r1.load[-1]", "r1.other[-1]", "r2.other[-1]"]
    move(live, first, S.RUNNING, ("load", UNMAPPED))
    assert live.active_by_task[("d", "load")] == 1
    assert pick(live) == ["r1.other[-1]", "r2.other[-1]"]  # r2's load waits
    move(live, first, S.SUCCESS, ("load", UNMAPPED))
    assert pick(live) == ["r1.other[-1]", "r2.load[-1]", "r2.other[-1]"]


def test_max_active_tis_per_dag_counts_mapped_instances() -> None:
    spec = spec_of(TaskSpec("m", "X", max_active_tis_per_dag=2))
    run = make_run(spec, 1, {"m": 4})
    live = LiveState()
    live.add(run)
    move(live, run, S.SCHEDULED, *[("m", i) for i in range(4)])
    assert pick(live) == ["r1.m[0]", "r1.m[1]"]
    move(live, run, S.QUEUED, ("m", 0))
    assert pick(live) == ["r1.m[1]"]


def test_max_active_tis_per_dagrun_limits_within_each_run_only() -> None:
    spec = spec_of(TaskSpec("m", "X", max_active_tis_per_dagrun=2))
    first, second = make_run(spec, 1, {"m": 3}), make_run(spec, 2, {"m": 3})
    live = LiveState()
    for run in (first, second):
        live.add(run)
        move(live, run, S.SCHEDULED, *[("m", i) for i in range(3)])
    assert pick(live) == ["r1.m[0]", "r1.m[1]", "r2.m[0]", "r2.m[1]"]
    move(live, first, S.RUNNING, ("m", 0), ("m", 1))
    assert first.active_by_task["m"] == 2
    assert pick(live) == ["r2.m[0]", "r2.m[1]"]


def test_both_limits_together_and_the_counters_follow_runs_in_and_out() -> None:
    spec = spec_of(TaskSpec("m", "X", max_active_tis_per_dag=3, max_active_tis_per_dagrun=2))
    first, second = make_run(spec, 1, {"m": 3}), make_run(spec, 2, {"m": 3})
    live = LiveState()
    for run in (first, second):
        live.add(run)
        move(live, run, S.SCHEDULED, *[("m", i) for i in range(3)])
    assert pick(live) == ["r1.m[0]", "r1.m[1]", "r2.m[0]"]
    move(live, first, S.RUNNING, ("m", 0), ("m", 1))
    assert pick(live) == ["r2.m[0]"]
    live.remove(first)  # e.g. reloaded after a user action: its tries no longer count
    assert live.active_by_task[("d", "m")] == 0
    live.add(first)  # and count again once it is back
    assert live.active_by_task[("d", "m")] == 2 and first.active_by_task["m"] == 2
