"""User actions on a whole run: mark it success or failed, delete it.

Marking works on the run's task instances, like Airflow's "Mark run as success/failed":
success sets every instance that is not ``success`` to success; failed sets every unfinished
instance (none, scheduled, queued, running, up_for_retry, deferred) to failed. The run is
then queued again with its version bumped (as ``actions.py`` does for a clear) so that the
scheduler, which owns the states of active runs, stops what was running and settles the run. Only a
finished run with nothing left to change gets its state set here directly: the scheduler
does not mirror finished runs, so nothing can race with the write.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from scheduler.errors import BatonError
from scheduler.spec import DagSpec
from scheduler.states import (
    ACTIVE_TASK_STATES,
    FINISHED_RUN_STATES,
    FINISHED_TASK_STATES,
    TASK_TRANSITIONS,
    RunState,
    TaskState,
)

# actions.py owns how a user action reopens a run; marking a whole run reopens it the same way.
from scheduler.store.actions import _reopen_run as reopen_run
from scheduler.store.events import Event, append_events
from scheduler.store.models import (
    dag_run_table,
    task_instance_table,
    task_try_table,
    xcom_table,
)
from scheduler.store.models_celery import try_claim_table
from scheduler.store.models_hitl import hitl_detail_table
from scheduler.store.runs import get_run, list_task_instances
from scheduler.store.transitions import TaskChange, change_run_state, change_task_states

MARKABLE_RUN_STATES = (RunState.SUCCESS, RunState.FAILED)


def mark_run(
    session: Session, spec: DagSpec, run_id: str, state: str, *, source: str, now: datetime
) -> list[str]:
    """Mark run ``run_id`` ``success`` or ``failed``; return the labels of the instances
    changed (``task`` or ``task[3]``)."""
    if state not in MARKABLE_RUN_STATES:
        raise BatonError(f"a run can be marked success or failed, not {state!r}")
    new = TaskState(state)
    run = get_run(session, spec.dag_id, run_id)
    changes = [
        TaskChange(
            spec.dag_id,
            run_id,
            ti.task_id,
            TaskState(ti.state),
            new,
            ti.try_number,
            values={"end_date": now, "next_retry_at": None},
            # A try that is queued or running ends here (the scheduler stops its worker);
            # its row says so at once instead of staying "running".
            try_values=_ended_try(ti.state, state, now),
            detail=f"run marked {state} by a user",
            map_index=ti.map_index,
        )
        for ti in list_task_instances(session, spec.dag_id, run_id)
        if _takes_mark(TaskState(ti.state), new)
    ]
    detail = f"run marked {state}"
    if changes:
        change_task_states(session, changes, source=source, now=now)
        reopen_run(session, spec.dag_id, run_id, source, now, detail)
    elif run.state in FINISHED_RUN_STATES and run.state != state:
        change_run_state(
            session,
            spec.dag_id,
            run_id,
            RunState(run.state),
            RunState(state),
            source=source,
            now=now,
            detail=detail,
        )
        _user_action(session, spec.dag_id, run_id, source, now, detail)
    return [_label(c.task_id, c.map_index) for c in changes]


def _takes_mark(old: TaskState, new: TaskState) -> bool:
    """Whether an instance in ``old`` is changed by marking its run ``new``."""
    if old == new or new not in TASK_TRANSITIONS[old]:
        return False
    return new == TaskState.SUCCESS or old not in FINISHED_TASK_STATES


def _ended_try(old: str, new: str, now: datetime) -> dict[str, object]:
    if old not in ACTIVE_TASK_STATES:
        return {}
    return {"state": new, "end_date": now, "error": f"stopped: its run was marked {new}"}


def delete_run(session: Session, dag_id: str, run_id: str, *, source: str, now: datetime) -> None:
    """Delete a finished run with its task instances, tries, XComs and Celery claims. The
    event log keeps its history (and this deletion); log files stay on disk."""
    run = get_run(session, dag_id, run_id)
    if run.state not in FINISHED_RUN_STATES:
        raise BatonError(
            f"run '{run_id}' of DAG '{dag_id}' is {run.state}; mark it failed (or wait for it "
            "to finish) before deleting it, so that the scheduler lets go of it first"
        )
    for table in (xcom_table, task_try_table, try_claim_table, hitl_detail_table):
        session.execute(delete(table).where(table.c.dag_id == dag_id, table.c.run_id == run_id))
    session.execute(delete(task_instance_table).where(task_instance_table.c.dag_run_id == run.id))
    session.execute(delete(dag_run_table).where(dag_run_table.c.id == run.id))
    _user_action(session, dag_id, run_id, source, now, f"run deleted (it was {run.state})")


def _user_action(
    session: Session, dag_id: str, run_id: str, source: str, now: datetime, detail: str
) -> None:
    event = Event("user_action", now, source, dag_id=dag_id, run_id=run_id, detail=detail)
    append_events(session, [event])


def _label(task_id: str, map_index: int) -> str:
    return task_id if map_index < 0 else f"{task_id}[{map_index}]"
