"""Which scheduled tries to start now: priority first, within every concurrency limit."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from scheduler.engine.live import LiveRun
from scheduler.states import RunState


def select_for_dispatch(
    runs: Iterable[LiveRun], active_tasks: Counter[str], free_slots: int
) -> list[tuple[LiveRun, str]]:
    """Pick up to ``free_slots`` scheduled tasks, highest ``priority_weight`` first, then
    the oldest run, then declaration order; no DAG goes past its ``max_active_tasks``."""
    if free_slots <= 0:
        return []
    candidates = []
    for run in runs:
        if run.state != RunState.RUNNING or not run.scheduled:
            continue
        order = run.spec.task_index
        for task_id in run.scheduled:
            task = run.spec.tasks[task_id]
            candidates.append(
                (-task.priority_weight, run.logical_date, order[task_id], run, task_id)
            )
    candidates.sort(key=lambda c: c[:3])
    picked: list[tuple[LiveRun, str]] = []
    in_flight = Counter(active_tasks)
    for *_, run, task_id in candidates:
        if in_flight[run.dag_id] >= run.spec.max_active_tasks:
            continue
        picked.append((run, task_id))
        in_flight[run.dag_id] += 1
        if len(picked) == free_slots:
            break
    return picked
