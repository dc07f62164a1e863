"""Runs: trigger, list, inspect, compensate."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scheduler.api.databases import database, read_database
from scheduler.clock import utcnow
from scheduler.engine.scheduling import trigger_run
from scheduler.engine.wakeup import wake_schedulers
from scheduler.json_limits import JsonLimits
from scheduler.paging import Page
from scheduler.settings import Settings
from scheduler.store import compensations as compensation_store
from scheduler.store import dags as dag_store
from scheduler.store import pages as page_store
from scheduler.store import runs as run_store
from scheduler.store.db import transaction
from scheduler.store.events import process_source
from scheduler.store.models import (
    DagRunRow,
)


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
            conf_limits=JsonLimits.from_settings(settings),
        )
    wake_schedulers(settings)
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


def runs_page(
    settings: Settings, dag_id: str, *, state: str | None, limit: int, offset: int
) -> Page[DagRunRow]:
    with transaction(read_database(settings)) as session:
        dag_store.get_dag(session, dag_id)  # an unknown DAG is an error, not an empty page
        return page_store.runs_page(session, dag_id, state=state, limit=limit, offset=offset)


def compensate_run(
    settings: Settings, dag_id: str, run_id: str, *, source: str | None = None
) -> list[str]:
    """Retry the failed compensations of a compensation_failed run (sagas)."""
    with transaction(database(settings)) as session:
        retried = compensation_store.compensate_again(
            session, dag_id, run_id, source=source or process_source("cli"), now=utcnow()
        )
    wake_schedulers(settings)
    return retried
