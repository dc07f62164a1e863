"""Task instances: list, tries, logs, XCom, clear and mark."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from scheduler.api.databases import database, read_database
from scheduler.api.task_logs import read_try_log
from scheduler.clock import utcnow
from scheduler.engine.wakeup import wake_schedulers
from scheduler.errors import BatonError
from scheduler.settings import Settings
from scheduler.spec import DagSpec
from scheduler.store import actions
from scheduler.store import cross_dag as cross_dag_store
from scheduler.store import dags as dag_store
from scheduler.store import runs as run_store
from scheduler.store import xcom as xcom_store
from scheduler.store.db import transaction
from scheduler.store.events import process_source
from scheduler.store.models import (
    TaskInstanceRow,
    TaskTryRow,
    XComRow,
)


def list_task_instances(settings: Settings, dag_id: str, run_id: str) -> list[TaskInstanceRow]:
    with transaction(database(settings)) as session:
        return run_store.list_task_instances(session, dag_id, run_id)


def list_tries(
    settings: Settings,
    dag_id: str,
    run_id: str,
    task_id: str,
    kind: str = "task",
    map_index: int = -1,
) -> list[TaskTryRow]:
    """A task instance's tries; ``kind="compensate"``: the tries of its compensation
    (sagas). ``map_index`` names an instance of a mapped task."""
    with transaction(database(settings)) as session:
        run_store.get_task_instance(session, dag_id, run_id, task_id, map_index)
        return run_store.list_tries(session, dag_id, run_id, task_id, kind, map_index)


def _no_log_yet(chosen: TaskTryRow, task_id: str) -> BatonError:
    return BatonError(
        f"try {chosen.try_number} of '{task_id}' has no log file yet "
        f"(expected at {chosen.log_path}); it may still be queued"
    )


def _chosen_try(
    settings: Settings,
    dag_id: str,
    run_id: str,
    task_id: str,
    try_number: int | None,
    kind: str,
    map_index: int,
) -> TaskTryRow:
    tries = list_tries(settings, dag_id, run_id, task_id, kind, map_index)
    if not tries:
        what = "its compensation has" if kind != "task" else "it has"
        raise BatonError(
            f"task '{task_id}' of run '{run_id}': {what} not started yet, so there is no log"
        )
    chosen = (
        tries[-1]
        if try_number is None
        else next((t for t in tries if t.try_number == try_number), None)
    )
    if chosen is None:
        raise BatonError(
            f"task '{task_id}' has tries 1 to {tries[-1].try_number}, not {try_number}; "
            "pick one of those with --try"
        )
    return chosen


def clear_tasks(
    settings: Settings,
    dag_id: str,
    run_id: str,
    task_ids: list[str],
    *,
    downstream: bool = False,
    source: str | None = None,
    map_indexes: list[int] | None = None,
    upstream: bool = False,
    recursive: bool = True,
) -> list[str]:
    """Run tasks of a run again (their history is kept); the scheduler picks them up.

    ``upstream`` / ``downstream``: everything above / below them too (Airflow's clear
    options). ``recursive`` (the default): ExternalTaskMarkers among them clear their
    external tasks too (in other DAGs' runs); the ids returned are this DAG's.
    ``map_indexes``: only those instances of the named mapped tasks (default: every one)."""
    with transaction(database(settings)) as session:
        spec = dag_store.get_spec(session, dag_id)
        if upstream:
            import networkx as nx

            above = set().union(*(nx.ancestors(spec.graph, t) for t in task_ids if t in spec.tasks))
            task_ids = [*task_ids, *(t for t in spec.tasks if t in above)]
        clear = cross_dag_store.clear_across_dags if recursive else _clear_here
        cleared = clear(
            session,
            spec,
            run_id,
            task_ids,
            downstream=downstream,
            source=source or process_source("cli"),
            now=utcnow(),
            map_indexes=map_indexes,
        )
    wake_schedulers(settings)
    return [c.task_id for c in cleared if (c.dag_id, c.run_id) == (dag_id, run_id)]


def _clear_here(
    session: Session, spec: DagSpec, run_id: str, task_ids: list[str], **how: Any
) -> list[cross_dag_store.ClearedTask]:
    """Clear in this DAG only: ExternalTaskMarkers are not followed (``recursive=False``)."""
    cleared = actions.clear_tasks(session, spec, run_id, task_ids, **how)
    return [cross_dag_store.ClearedTask(spec.dag_id, run_id, t) for t in cleared]


def mark_tasks(
    settings: Settings,
    dag_id: str,
    run_id: str,
    task_ids: list[str],
    state: str,
    *,
    source: str | None = None,
    map_indexes: list[int] | None = None,
) -> list[str]:
    """Set tasks to success or failed by hand (a running try is stopped); ``map_indexes``:
    only those instances of the named mapped tasks."""
    with transaction(database(settings)) as session:
        spec = dag_store.get_spec(session, dag_id)
        marked = actions.mark_tasks(
            session,
            spec,
            run_id,
            task_ids,
            state,
            source=source or process_source("cli"),
            now=utcnow(),
            map_indexes=map_indexes,
        )
    wake_schedulers(settings)
    return marked


def get_task_instance(
    settings: Settings, dag_id: str, run_id: str, task_id: str, map_index: int = -1
) -> TaskInstanceRow:
    with transaction(read_database(settings)) as session:
        return run_store.get_task_instance(session, dag_id, run_id, task_id, map_index)


def list_mapped_instances(
    settings: Settings, dag_id: str, run_id: str, task_id: str
) -> list[TaskInstanceRow]:
    """The instances of a task in a run, in map_index order (one, -1, if not mapped)."""
    rows = [ti for ti in list_task_instances(settings, dag_id, run_id) if ti.task_id == task_id]
    if not rows:
        get_task_instance(settings, dag_id, run_id, task_id)  # raises, naming what is missing
    return rows


def list_xcoms(
    settings: Settings, dag_id: str, run_id: str, task_id: str, map_index: int | None = None
) -> list[XComRow]:
    """A task's XComs: of every instance (``map_index=None``) or of one."""
    with transaction(read_database(settings)) as session:
        if map_index is not None:
            run_store.get_task_instance(session, dag_id, run_id, task_id, map_index)
        elif not run_store.has_task(session, dag_id, run_id, task_id):
            run_store.get_task_instance(session, dag_id, run_id, task_id)  # raises, naming it
        rows = xcom_store.list_xcoms(session, dag_id, run_id, task_id)
    return [r for r in rows if map_index is None or r.map_index == map_index]


def read_task_log(
    settings: Settings,
    dag_id: str,
    run_id: str,
    task_id: str,
    try_number: int | None,
    *,
    max_bytes: int | None,
    kind: str = "task",
    map_index: int = -1,
) -> tuple[int, str, bool]:
    """``(try_number, text, truncated)``: the log's last ``max_bytes`` bytes (None: all of
    it), secrets masked (``task_logs.read_try_log``); ``kind="compensate"`` reads a compensation
    try's log. From the file on this machine, else from what the worker that ran the try
    shipped to the database (a Celery worker on another machine)."""
    chosen = _chosen_try(settings, dag_id, run_id, task_id, try_number, kind, map_index)
    chunk = read_try_log(settings, chosen.log_path, limit=None, tail=max_bytes)
    if not chunk.exists:
        raise _no_log_yet(chosen, task_id)
    return chosen.try_number, chunk.text, chunk.start > 0
