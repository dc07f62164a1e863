"""Which scheduled tries to start now: priority first, within every concurrency limit."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from scheduler.engine.live import LiveRun
from scheduler.planner import UNMAPPED, TIKey
from scheduler.states import RunState, TaskState


def select_for_dispatch(
    runs: Iterable[LiveRun], active_tasks: Counter[str], free_slots: int
) -> list[tuple[LiveRun, TIKey, bool]]:
    """Pick up to ``free_slots`` scheduled tries, highest ``priority_weight`` first, then
    the oldest run, then declaration order; no DAG goes past its ``max_active_tasks``.

    Returns ``(run, (task_id, map_index), compensation)``: compensations of compensating
    runs (sagas) compete for the same slots and limits as tasks.
    """
    if free_slots <= 0:
        return []
    candidates = []
    for run in runs:
        if run.state == RunState.COMPENSATING:
            candidates += _compensations(run)
            continue
        if run.state != RunState.RUNNING or not run.scheduled:
            continue
        order = run.spec.task_index
        for key in run.scheduled:
            task = run.spec.tasks[key[0]]
            candidates.append(
                (-task.priority_weight, run.logical_date, order[key[0]], key[1], run, key, False)
            )
    candidates.sort(key=lambda c: c[:4])
    picked: list[tuple[LiveRun, TIKey, bool]] = []
    in_flight = Counter(active_tasks)
    for *_, run, key, compensation in candidates:
        if in_flight[run.dag_id] >= run.spec.max_active_tasks:
            continue
        picked.append((run, key, compensation))
        in_flight[run.dag_id] += 1
        if len(picked) == free_slots:
            break
    return picked


def _compensations(run: LiveRun) -> list[tuple]:
    order = run.spec.task_index
    return [
        (
            -run.spec.tasks[task_id].priority_weight,
            run.logical_date,
            order[task_id],
            UNMAPPED,
            run,
            (task_id, UNMAPPED),
            True,
        )
        for task_id, phase in run.compensations.items()
        if phase.state == TaskState.SCHEDULED
    ]
