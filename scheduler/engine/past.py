"""What the previous run of a DAG says to its ``depends_on_past`` tasks, kept up to date
without polling.

Each mirrored run of a DAG with such tasks is linked to its previous run once (two indexed
queries, when the run is adopted). While that previous run is in the mirror its states are
read from there; once it leaves the mirror its final states are kept as a snapshot
(``LiveState._unlink_past``). When a task of the previous run changes, ``LiveState.set_task``
marks the waiting tasks of the next run dirty, so they are planned again at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping

from sqlalchemy.orm import Session

from scheduler.engine.live import LiveRun, LiveState
from scheduler.planner.past import PastStates
from scheduler.states import TaskState
from scheduler.store.past_runs import previous_run, task_state_counts


def link_previous_run(session: Session, live: LiveState, run: LiveRun) -> None:
    """Find ``run``'s previous run (Airflow: by logical date; with catchup, the previous
    non-manual run) and, when it is not mirrored, read its states from the database."""
    if run.run_type == "test" or not run.spec.past_dependents:
        return
    found = previous_run(session, run.dag_id, run.logical_date, scheduled_only=run.spec.catchup)
    live.link_past(run, found[1] if found else None)
    run.past_snapshot = None
    if found is not None and live.get(run.dag_id, found[1]) is None:
        run.past_snapshot = task_state_counts(session, found[0], run.spec.past_dependents)
    waiting = {t for tasks in run.spec.past_dependents.values() for t in tasks}
    run.mark_dirty(waiting)


def past_states(live: LiveState, run: LiveRun) -> PastStates | None:
    """The previous run's states for the planner; None when there is no previous run (or
    the DAG has no depends_on_past task)."""
    if not run.past_resolved or run.prev_run_id is None:
        return None
    previous = live.get(run.dag_id, run.prev_run_id)
    if previous is not None:
        return _MirroredPast(previous)
    return run.past_snapshot or {}


class _MirroredPast(Mapping[str, Counter[TaskState]]):
    """The states of a mirrored previous run, counted only for the tasks the planner asks
    about (a plan usually asks about one task, not all of them)."""

    def __init__(self, run: LiveRun) -> None:
        self.run = run

    def __getitem__(self, task_id: str) -> Counter[TaskState]:
        counts = self.run.state_counts((task_id,))
        if task_id not in counts:
            raise KeyError(task_id)
        return counts[task_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self.run.state_counts(self.run.spec.past_dependents))

    def __len__(self) -> int:
        return len(self.run.state_counts(self.run.spec.past_dependents))
