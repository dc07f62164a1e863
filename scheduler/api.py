"""What users can do, as library functions: the CLI (and later the web UI) call these.

Each function takes the settings, opens its own short transaction and returns plain data or
ORM rows. Errors are ``BatonError``s whose message tells the user what to do.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from scheduler.engine.driver import utcnow
from scheduler.engine.scheduling import trigger_run
from scheduler.engine.wakeup import poke_scheduler
from scheduler.errors import BatonError
from scheduler.loader import load_dag_specs
from scheduler.settings import Settings
from scheduler.store import actions
from scheduler.store import dags as dag_store
from scheduler.store import runs as run_store
from scheduler.store.db import make_engine, transaction
from scheduler.store.events import process_source
from scheduler.store.migrate import check_schema
from scheduler.store.models import DagRow, DagRunRow, ImportErrorRow, TaskInstanceRow, TaskTryRow

_engines: dict[str, Engine] = {}


def database(settings: Settings) -> Engine:
    """The (cached) engine of ``settings``, after checking the schema is current."""
    engine = _engines.get(settings.database_url)
    if engine is None:
        engine = make_engine(settings.database_url)
        check_schema(engine)
        _engines[settings.database_url] = engine
    return engine


def sync_dags(settings: Settings) -> tuple[list[str], list[dag_store.ImportProblem]]:
    """Parse the DAG folder once (isolated, like the scheduler) and record what it holds."""
    specs, errors = load_dag_specs(
        settings.dags_folder,
        timeout=settings.dag_file_import_timeout,
        parallelism=settings.parallelism,
    )
    by_file: dict[str, list] = {}
    for spec in specs.values():
        by_file.setdefault(spec.fileloc, []).append(spec)
    problems_by_file: dict[str, list[dag_store.ImportProblem]] = {}
    for e in errors:
        problems_by_file.setdefault(e.filename, []).append(
            dag_store.ImportProblem(e.filename, e.lineno, e.message)
        )
    now = utcnow()
    accepted: list[str] = []
    with transaction(database(settings)) as session:
        for path in sorted(set(by_file) | set(problems_by_file)):
            specs_of_file = by_file.get(path, [])
            ok = dag_store.sync_file(
                session,
                path,
                specs_of_file,
                problems_by_file.get(path, []),
                now=now,
                paused_at_creation=settings.dags_are_paused_at_creation,
            )
            accepted += [s.dag_id for s in ok]
        present = [str(p) for p in set(by_file) | set(problems_by_file)]
        dag_store.deactivate_missing(session, present)
    poke_scheduler(settings.home)
    return sorted(accepted), [p for ps in problems_by_file.values() for p in ps]


def list_dags(settings: Settings, include_inactive: bool = False) -> list[DagRow]:
    with transaction(database(settings)) as session:
        return dag_store.list_dags(session, include_inactive=include_inactive)


def get_dag(settings: Settings, dag_id: str) -> DagRow:
    with transaction(database(settings)) as session:
        return dag_store.get_dag(session, dag_id)


def set_paused(settings: Settings, dag_ids: list[str], paused: bool) -> list[str]:
    now = utcnow()
    with transaction(database(settings)) as session:
        for dag_id in dag_ids:
            dag_store.set_paused(session, dag_id, paused, source=process_source("cli"), now=now)
    poke_scheduler(settings.home)
    return dag_ids


def dag_ids_with_tag(settings: Settings, tag: str) -> list[str]:
    return [row.dag_id for row in list_dags(settings) if tag in (row.tags or [])]


def parse_conf(text: str | None) -> dict[str, Any]:
    """Parse a ``--conf`` value: a JSON object, or a clear error."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BatonError(
            f"--conf is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            'pass an object such as \'{"key": "value"}\''
        ) from None
    if not isinstance(value, dict):
        raise BatonError(
            f"--conf must be a JSON object, got {type(value).__name__}; "
            'pass e.g. \'{"key": "value"}\''
        )
    return value


def parse_logical_date(text: str | None) -> datetime | None:
    """ISO 8601 date or datetime; naive values are taken as UTC."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BatonError(
            f"logical date {text!r} is not an ISO 8601 date; use e.g. 2026-01-31 or "
            "2026-01-31T06:00:00+00:00"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)


def trigger_dag(
    settings: Settings,
    dag_id: str,
    *,
    conf: dict[str, Any] | None = None,
    run_id: str | None = None,
    logical_date: datetime | None = None,
) -> DagRunRow:
    with transaction(database(settings)) as session:
        run = trigger_run(
            session,
            dag_id,
            conf=conf,
            run_id=run_id,
            logical_date=logical_date,
            source=process_source("cli"),
            now=utcnow(),
        )
    poke_scheduler(settings.home)
    return run


def list_runs(
    settings: Settings, dag_id: str | None = None, state: str | None = None, limit: int = 50
) -> list[DagRunRow]:
    with transaction(database(settings)) as session:
        if dag_id is not None:
            dag_store.get_dag(session, dag_id)
        return run_store.list_runs(session, dag_id, state=state, limit=limit)


def get_run(settings: Settings, dag_id: str, run_id: str) -> DagRunRow:
    with transaction(database(settings)) as session:
        return run_store.get_run(session, dag_id, run_id)


def list_task_instances(settings: Settings, dag_id: str, run_id: str) -> list[TaskInstanceRow]:
    with transaction(database(settings)) as session:
        return run_store.list_task_instances(session, dag_id, run_id)


def list_tries(settings: Settings, dag_id: str, run_id: str, task_id: str) -> list[TaskTryRow]:
    with transaction(database(settings)) as session:
        run_store.get_task_instance(session, dag_id, run_id, task_id)
        return run_store.list_tries(session, dag_id, run_id, task_id)


def task_log_path(
    settings: Settings, dag_id: str, run_id: str, task_id: str, try_number: int | None
) -> Path:
    tries = list_tries(settings, dag_id, run_id, task_id)
    if not tries:
        raise BatonError(
            f"task '{task_id}' of run '{run_id}' has not started yet, so it has no log"
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
    if not chosen.log_path or not Path(chosen.log_path).exists():
        raise BatonError(
            f"try {chosen.try_number} of '{task_id}' has no log file yet "
            f"(expected at {chosen.log_path}); it may still be queued"
        )
    return Path(chosen.log_path)


def clear_tasks(
    settings: Settings,
    dag_id: str,
    run_id: str,
    task_ids: list[str],
    *,
    downstream: bool = False,
    source: str | None = None,
) -> list[str]:
    """Run tasks of a run again (their history is kept); the scheduler picks them up."""
    with transaction(database(settings)) as session:
        spec = dag_store.get_spec(session, dag_id)
        cleared = actions.clear_tasks(
            session,
            spec,
            run_id,
            task_ids,
            downstream=downstream,
            source=source or process_source("cli"),
            now=utcnow(),
        )
    poke_scheduler(settings.home)
    return cleared


def mark_tasks(
    settings: Settings,
    dag_id: str,
    run_id: str,
    task_ids: list[str],
    state: str,
    *,
    source: str | None = None,
) -> list[str]:
    """Set tasks to success or failed by hand (a running try is stopped)."""
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
        )
    poke_scheduler(settings.home)
    return marked


def import_errors(settings: Settings) -> list[ImportErrorRow]:
    with transaction(database(settings)) as session:
        return dag_store.list_import_errors(session)
