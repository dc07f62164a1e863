"""Actions on a whole run (Airflow's run actions): clear, mark success/failed, delete.

Each writes in one transaction (with its events) and pokes the scheduler, which reloads the
run because its version moved (see ``scheduler/store/run_actions.py``).
"""

from __future__ import annotations

from scheduler.api.databases import database
from scheduler.api.tasks import clear_tasks
from scheduler.clock import utcnow
from scheduler.engine.wakeup import wake_schedulers
from scheduler.errors import BatonError
from scheduler.settings import Settings
from scheduler.states import TaskState
from scheduler.store import dags as dag_store
from scheduler.store import run_actions
from scheduler.store import runs as run_store
from scheduler.store.db import transaction
from scheduler.store.events import process_source

_FAILED = {TaskState.FAILED, TaskState.UPSTREAM_FAILED}


def clear_run(
    settings: Settings,
    dag_id: str,
    run_id: str,
    *,
    only_failed: bool = False,
    source: str | None = None,
) -> list[str]:
    """Run every task of the run again (``only_failed``: the failed and upstream_failed
    ones, with what they need); returns the task ids cleared."""
    with transaction(database(settings)) as session:
        spec = dag_store.get_spec(session, dag_id)
        instances = run_store.list_task_instances(session, dag_id, run_id)
    if only_failed:
        task_ids = list(dict.fromkeys(ti.task_id for ti in instances if ti.state in _FAILED))
        if not task_ids:
            raise BatonError(f"run '{run_id}' has no failed task to clear")
    else:
        task_ids = [task_id for task_id in spec.tasks]
    return clear_tasks(settings, dag_id, run_id, task_ids, source=source)


def mark_run(
    settings: Settings, dag_id: str, run_id: str, state: str, *, source: str | None = None
) -> list[str]:
    """Mark the run ``success`` or ``failed`` through its task instances; returns the
    instances changed (``task`` or ``task[map_index]``)."""
    with transaction(database(settings)) as session:
        spec = dag_store.get_spec(session, dag_id)
        changed = run_actions.mark_run(
            session, spec, run_id, state, source=source or process_source("cli"), now=utcnow()
        )
    wake_schedulers(settings)
    return changed


def delete_run(settings: Settings, dag_id: str, run_id: str, *, source: str | None = None) -> None:
    """Delete a finished run and what belongs to it (its events stay in the event log)."""
    with transaction(database(settings)) as session:
        run_actions.delete_run(
            session, dag_id, run_id, source=source or process_source("cli"), now=utcnow()
        )
