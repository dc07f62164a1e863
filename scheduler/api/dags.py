"""DAGs: sync the folder, list, pause, import errors."""

from __future__ import annotations

from scheduler.api.databases import database, read_database
from scheduler.clock import utcnow
from scheduler.engine.wakeup import wake_schedulers
from scheduler.loader import load_dag_specs
from scheduler.paging import Page
from scheduler.plugins.import_path import put_plugins_on_path
from scheduler.settings import Settings
from scheduler.spec import DagSpec
from scheduler.store import dags as dag_store
from scheduler.store import pages as page_store
from scheduler.store.db import transaction
from scheduler.store.events import process_source
from scheduler.store.models import (
    DagRow,
    ImportErrorRow,
)


def sync_dags(settings: Settings) -> tuple[list[str], list[dag_store.ImportProblem]]:
    """Parse the DAG folder once (isolated, like the scheduler) and record what it holds."""
    put_plugins_on_path(settings)  # inherited by the parsing children
    specs, errors = load_dag_specs(
        settings.dags_folder,
        timeout=settings.dag_file_import_timeout,
        parallelism=settings.parallelism,
    )
    by_file: dict[str, list[DagSpec]] = {}
    for spec in specs.values():
        by_file.setdefault(spec.fileloc, []).append(spec)
    problems_by_file: dict[str, list[dag_store.ImportProblem]] = {}
    for e in errors:
        problems_by_file.setdefault(e.filename, []).append(
            dag_store.ImportProblem(e.filename, e.lineno, e.message)
        )
    paths = sorted(set(by_file) | set(problems_by_file))
    parsed = [
        dag_store.ParsedFile(p, by_file.get(p, []), problems_by_file.get(p, [])) for p in paths
    ]
    with transaction(database(settings)) as session:
        ok = dag_store.sync_files(
            session, parsed, now=utcnow(), paused_at_creation=settings.dags_are_paused_at_creation
        )
        dag_store.deactivate_missing(session, paths)
    accepted = [s.dag_id for s in ok]
    wake_schedulers(settings)
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
    wake_schedulers(settings)
    return dag_ids


def dag_ids_with_tag(settings: Settings, tag: str) -> list[str]:
    return [row.dag_id for row in list_dags(settings) if tag in (row.tags or [])]


def import_errors(settings: Settings) -> list[ImportErrorRow]:
    with transaction(database(settings)) as session:
        return dag_store.list_import_errors(session)


def dags_page(settings: Settings, *, limit: int, offset: int) -> Page[DagRow]:
    with transaction(read_database(settings)) as session:
        return page_store.dags_page(session, limit=limit, offset=offset)


def import_errors_page(settings: Settings, *, limit: int, offset: int) -> Page[ImportErrorRow]:
    with transaction(read_database(settings)) as session:
        return page_store.import_errors_page(session, limit=limit, offset=offset)
