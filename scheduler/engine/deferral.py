"""The Engine's side of deferral and reschedule: a try that gave its slot back.

``RunDriver`` calls these where a ``TaskFinished`` is applied: a deferred try moves the task
instance to ``deferred`` (no retry is used, the slot is free) and stores its trigger in the
same transaction; a rescheduled sensor goes ``up_for_reschedule`` until its next poke. The
next try of such an instance keeps its try number (Airflow's), and its request says how to
resume (``TaskRequest.resume``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.deferral import Deferral, Reschedule, Resume
from scheduler.executor import TaskFinished
from scheduler.planner import TaskView
from scheduler.states import TaskState
from scheduler.store.models import task_instance_table
from scheduler.store.triggers import DEFERRAL_COLUMNS_CLEARED, create_trigger
from scheduler.triggers import serde

if TYPE_CHECKING:  # live.py imports this module
    from scheduler.engine.live import LiveState

FIRST_POKE_KEY = "__baton_first_poke_at"  # in next_kwargs of a rescheduled sensor


def outcome(event: TaskFinished) -> tuple[TaskState, datetime | None] | None:
    """The state a try that gave its slot back goes to, and when it is due again."""
    if isinstance(event.deferral, Deferral):
        return TaskState.DEFERRED, None
    if isinstance(event.deferral, Reschedule):
        return TaskState.UP_FOR_RESCHEDULE, event.deferral.reschedule_at
    return None


def finished_values(
    session: Session, event: TaskFinished, now: datetime
) -> tuple[dict[str, Any], Resume | None]:
    """The task instance columns for ``event``, and the resume its next try starts with
    (a rescheduled sensor's, kept in the mirror; a deferred task's comes back with the
    run's reload once its trigger fires). A try that ended otherwise clears the columns:
    a retry starts again from ``execute`` (Airflow's)."""
    deferral = event.deferral
    if isinstance(deferral, Deferral):
        values = {
            "trigger_id": create_trigger(session, deferral, now),
            "next_method": deferral.method_name,
            "next_kwargs": deferral.method_kwargs,
            "trigger_timeout": deferral.timeout_at,
        }
        return values, None
    if isinstance(deferral, Reschedule):
        first = deferral.first_poke_at
        kwargs = {FIRST_POKE_KEY: serde.encode(first)}
        return {**DEFERRAL_COLUMNS_CLEARED, "next_kwargs": kwargs}, Resume(first_poke_at=first)
    return dict(DEFERRAL_COLUMNS_CLEARED), None


def resume_of(ti: Any) -> Resume | None:
    """How the next try of a task instance row resumes, from its columns (after a reload)."""
    if ti.state not in (TaskState.SCHEDULED, TaskState.UP_FOR_RESCHEDULE, TaskState.DEFERRED):
        return None
    kwargs = dict(ti.next_kwargs or {})
    first = kwargs.pop(FIRST_POKE_KEY, None)
    if ti.next_method:
        return Resume(ti.next_method, kwargs)
    if first is not None:
        return Resume(first_poke_at=serde.decode(first))
    return None


def adopt_resumed(session: Session, live: LiveState) -> int:
    """Mirror the deferred task instances a triggerer resumed (``deferred → scheduled`` in
    the database): each becomes scheduled in its run's mirror, with how it resumes, so the
    dispatch of this same transaction can start it. One indexed query on the scheduled
    rows; cheaper than reloading the run. Returns how many were adopted."""
    t = task_instance_table
    query = select(
        t.c.dag_id,
        t.c.run_id,
        t.c.task_id,
        t.c.map_index,
        t.c.state,
        t.c.next_method,
        t.c.next_kwargs,
    ).where(t.c.state == TaskState.SCHEDULED, t.c.next_method.is_not(None))
    adopted = 0
    for row in session.execute(query):
        run = live.get(row.dag_id, row.run_id)
        if run is None:
            continue  # another scheduler's run
        key = (row.task_id, row.map_index)
        view = run.tasks.get(key)
        if view is None or view.state != TaskState.DEFERRED:
            continue  # already mirrored
        live.set_task(run, key, TaskView(TaskState.SCHEDULED, view.try_number))
        resume = resume_of(row)
        if resume is not None:
            run.resuming[key] = resume
        run.mark_dirty((row.task_id,))
        adopted += 1
    return adopted
