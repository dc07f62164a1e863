"""What users can do, as library functions: the CLI (and later the web UI) call these.

Each function takes the settings, opens its own short transaction and returns plain data or
ORM rows. Errors are ``BatonError``s whose message tells the user what to do.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from scheduler.engine.driver import utcnow
from scheduler.engine.scheduling import trigger_run
from scheduler.engine.wakeup import poke_scheduler
from scheduler.errors import BatonError, LoginThrottledError
from scheduler.loader import load_dag_specs
from scheduler.masking import redact
from scheduler.settings import Settings, mask_url_password
from scheduler.store import actions
from scheduler.store import compensations as compensation_store
from scheduler.store import dags as dag_store
from scheduler.store import jobs as job_store
from scheduler.store import pages as page_store
from scheduler.store import runs as run_store
from scheduler.store import users as user_store
from scheduler.store import xcom as xcom_store
from scheduler.store.db import make_engine, transaction
from scheduler.store.events import Event, append_events, process_source
from scheduler.store.models import (
    DagRow,
    DagRunRow,
    EventRow,
    ImportErrorRow,
    TaskInstanceRow,
    TaskTryRow,
    XComRow,
)
from scheduler.store.models_auth import ApiTokenRow
from scheduler.store.schema import check_schema

_engines: dict[str, Engine] = {}


def database(settings: Settings) -> Engine:
    """The (cached) engine of ``settings``, after checking the schema is current."""
    engine = _engines.get(settings.database_url)
    if engine is None:
        engine = make_engine(settings.database_url)
        check_schema(engine)
        _engines[settings.database_url] = engine
    return engine


_read_engines: dict[tuple[str, int], Engine] = {}
_MAX_READ_ENGINES = 8


def read_database(settings: Settings) -> Engine:
    """A (cached, per process) engine for pages that only read: on SQLite its transactions
    start deferred, so a page load never queues behind, or blocks, the scheduler's writes."""
    key = (settings.database_url, os.getpid())
    engine = _read_engines.get(key)
    if engine is None:
        database(settings)  # checks the schema once
        if len(_read_engines) >= _MAX_READ_ENGINES:  # e.g. tests, each on its own database
            _read_engines.pop(next(iter(_read_engines))).dispose()
        engine = _read_engines[key] = make_engine(settings.database_url, write=False)
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


def set_paused(
    settings: Settings, dag_ids: list[str], paused: bool, *, source: str | None = None
) -> list[str]:
    now = utcnow()
    source = source or process_source("cli")
    with transaction(database(settings)) as session:
        for dag_id in dag_ids:
            dag_store.set_paused(session, dag_id, paused, source=source, now=now)
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
    source: str | None = None,
) -> DagRunRow:
    with transaction(database(settings)) as session:
        run = trigger_run(
            session,
            dag_id,
            conf=conf,
            run_id=run_id,
            logical_date=logical_date,
            source=source or process_source("cli"),
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


def list_tries(
    settings: Settings, dag_id: str, run_id: str, task_id: str, kind: str = "task"
) -> list[TaskTryRow]:
    """A task's tries; ``kind="compensate"``: the tries of its compensation (sagas)."""
    with transaction(database(settings)) as session:
        run_store.get_task_instance(session, dag_id, run_id, task_id)
        return run_store.list_tries(session, dag_id, run_id, task_id, kind)


def task_log_path(
    settings: Settings,
    dag_id: str,
    run_id: str,
    task_id: str,
    try_number: int | None,
    kind: str = "task",
) -> Path:
    """The log file of a try; ``kind="compensate"``: of a compensation try (sagas)."""
    tries = list_tries(settings, dag_id, run_id, task_id, kind)
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


def compensate_run(
    settings: Settings, dag_id: str, run_id: str, *, source: str | None = None
) -> list[str]:
    """Retry the failed compensations of a compensation_failed run (sagas)."""
    with transaction(database(settings)) as session:
        retried = compensation_store.compensate_again(
            session, dag_id, run_id, source=source or process_source("cli"), now=utcnow()
        )
    poke_scheduler(settings.home)
    return retried


def import_errors(settings: Settings) -> list[ImportErrorRow]:
    with transaction(database(settings)) as session:
        return dag_store.list_import_errors(session)


# -- web UI users and API tokens (tables in store/models_auth.py) ----------------------------


def record_event(settings: Settings, event: str, source: str, **fields: Any) -> None:
    """Append one user action to the event log (e.g. a login, a token created)."""
    with transaction(database(settings)) as session:
        append_events(session, [Event(event, utcnow(), source, **fields)])


def create_user(
    settings: Settings, username: str, password: str, role: str, *, source: str | None = None
) -> user_store.User:
    with transaction(database(settings)) as session:
        user = user_store.create_user(session, username, password, role, now=utcnow())
        detail = f"user '{username}' created with role {role}"
        source = source or process_source("cli")
        append_events(session, [Event("user_create", utcnow(), source, detail=detail)])
    return user


def list_users(settings: Settings) -> list[user_store.User]:
    with transaction(read_database(settings)) as session:
        return user_store.list_users(session)


def find_user(settings: Settings, username: str) -> user_store.User | None:
    with transaction(read_database(settings)) as session:
        return user_store.find_user(session, username)


def get_user(settings: Settings, user_id: int) -> user_store.User | None:
    with transaction(read_database(settings)) as session:
        return user_store.get_user_by_id(session, user_id)


def delete_user(settings: Settings, username: str, *, source: str | None = None) -> None:
    with transaction(database(settings)) as session:
        user_store.delete_user(session, username)
        detail = f"user '{username}' deleted"
        source = source or process_source("cli")
        append_events(session, [Event("user_delete", utcnow(), source, detail=detail)])


LOGIN_MAX_FAILURES = 5
LOGIN_FAILURE_WINDOW = timedelta(minutes=5)


def login(settings: Settings, username: str, password: str) -> user_store.User | None:
    """The user if the password is right; every attempt is recorded in the event log.

    After LOGIN_MAX_FAILURES wrong passwords within LOGIN_FAILURE_WINDOW, the user's logins
    are refused (``LoginThrottledError``) until the window has passed: guessing is slow.
    An unknown user name is logged as ``webui:anonymous``, not echoed: people type their
    password into the user name field by mistake."""
    now = utcnow()
    with transaction(database(settings)) as session:
        known = user_store.find_user(session, username) is not None
        source = f"webui:{username}" if known else "webui:anonymous"
        if (
            known
            and user_store.recent_failed_logins(session, source, now - LOGIN_FAILURE_WINDOW)
            >= LOGIN_MAX_FAILURES
        ):
            minutes = int(LOGIN_FAILURE_WINDOW.total_seconds() // 60)
            raise LoginThrottledError(
                f"too many failed logins; wait {minutes} minutes and try again"
            )
        user = user_store.check_password(session, username, password, now=now)
        detail = None if user or known else "unknown user name"
        event = Event("login" if user else "login_failed", now, source, detail=detail)
        append_events(session, [event])
    return user


def logout(settings: Settings, user_id: int, *, source: str) -> None:
    """End every session of the user, including copies of its session cookie."""
    now = utcnow()
    with transaction(database(settings)) as session:
        user_store.end_sessions(session, user_id, now)
        append_events(session, [Event("logout", now, source)])


def create_token(settings: Settings, user_id: int, name: str, *, source: str) -> tuple[int, str]:
    """A new API token ``(id, value)``: the value is shown once, only its hash is kept."""
    with transaction(database(settings)) as session:
        token_id, value = user_store.create_token(session, user_id, name, now=utcnow())
        detail = f"API token {token_id} '{name}' created"
        append_events(session, [Event("token_create", utcnow(), source, detail=detail)])
    return token_id, value


def list_tokens(settings: Settings, user_id: int) -> list[ApiTokenRow]:
    with transaction(read_database(settings)) as session:
        return user_store.list_tokens(session, user_id)


def revoke_token(settings: Settings, user_id: int, token_id: int, *, source: str) -> bool:
    with transaction(database(settings)) as session:
        revoked = user_store.revoke_token(session, user_id, token_id)
        if revoked:
            detail = f"API token {token_id} revoked"
            append_events(session, [Event("token_revoke", utcnow(), source, detail=detail)])
    return revoked


def user_for_token(settings: Settings, token: str) -> user_store.User | None:
    """The owner of a valid API token, or None; its last use is recorded (once a minute)."""
    now = utcnow()
    with transaction(read_database(settings)) as session:
        token_row = user_store.find_token(session, token)
        user = user_store.get_user_by_id(session, token_row.user_id) if token_row else None
    if token_row is not None and user_store.needs_touch(token_row, now):
        with transaction(database(settings)) as session:
            user_store.touch_token(session, token_row.id, now)
    return user


# -- paginated listings and single rows for the REST API ------------------------------------


def dags_page(settings: Settings, *, limit: int, offset: int) -> tuple[list[DagRow], int]:
    with transaction(read_database(settings)) as session:
        return page_store.dags_page(session, limit=limit, offset=offset)


def runs_page(
    settings: Settings, dag_id: str, *, state: str | None, limit: int, offset: int
) -> tuple[list[DagRunRow], int]:
    with transaction(read_database(settings)) as session:
        dag_store.get_dag(session, dag_id)  # an unknown DAG is an error, not an empty page
        return page_store.runs_page(session, dag_id, state=state, limit=limit, offset=offset)


def events_page(
    settings: Settings, *, filters: dict[str, str | None], limit: int, offset: int
) -> tuple[list[EventRow], int]:
    with transaction(read_database(settings)) as session:
        return page_store.events_page(session, filters=filters, limit=limit, offset=offset)


def import_errors_page(
    settings: Settings, *, limit: int, offset: int
) -> tuple[list[ImportErrorRow], int]:
    with transaction(read_database(settings)) as session:
        return page_store.import_errors_page(session, limit=limit, offset=offset)


def get_task_instance(
    settings: Settings, dag_id: str, run_id: str, task_id: str
) -> TaskInstanceRow:
    with transaction(read_database(settings)) as session:
        return run_store.get_task_instance(session, dag_id, run_id, task_id)


def list_xcoms(settings: Settings, dag_id: str, run_id: str, task_id: str) -> list[XComRow]:
    with transaction(read_database(settings)) as session:
        run_store.get_task_instance(session, dag_id, run_id, task_id)
        return xcom_store.list_xcoms(session, dag_id, run_id, task_id)


def read_task_log(
    settings: Settings,
    dag_id: str,
    run_id: str,
    task_id: str,
    try_number: int | None,
    *,
    max_bytes: int,
) -> tuple[int, str, bool]:
    """``(try_number, text, truncated)``: the log's last ``max_bytes`` bytes, secrets masked."""
    path = task_log_path(settings, dag_id, run_id, task_id, try_number)
    number = (
        try_number
        if try_number is not None
        else list_tries(settings, dag_id, run_id, task_id)[-1].try_number
    )
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(0, size - max_bytes))
        data = handle.read(max_bytes)
    return number, redact(data.decode("utf-8", errors="replace")), size > max_bytes


def scheduler_health(settings: Settings) -> dict[str, Any]:
    """The scheduler's liveness (latest heartbeat) and whether the database answers."""
    now = utcnow()
    try:
        with transaction(read_database(settings)) as session:
            session.execute(text("SELECT 1"))
            job = job_store.latest_heartbeat(session)
    except Exception as exc:  # any failure here *is* the answer: the database is unhealthy
        reason = f"{type(exc).__name__}: {mask_url_password(str(exc))}"[:300]
        return {
            "scheduler": {"status": "unknown", "latest_heartbeat": None, "heartbeat_age_s": None},
            "database": {"status": "unhealthy", "error": reason},
        }
    threshold = timedelta(seconds=settings.scheduler_health_threshold)
    alive = job_store.is_alive(job, now, threshold)
    return {
        "scheduler": {
            "status": "healthy" if alive else "unhealthy",
            "latest_heartbeat": job.last_heartbeat.isoformat() if job else None,
            "heartbeat_age_s": round((now - job.last_heartbeat).total_seconds(), 3)
            if job
            else None,
        },
        "database": {"status": "healthy"},
    }
