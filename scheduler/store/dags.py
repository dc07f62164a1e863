"""DAG rows: kept in step with what the Loader found, paused and unpaused by users."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from scheduler.errors import DagNotFoundError
from scheduler.spec import DagSpec
from scheduler.store.events import Event, append_events
from scheduler.store.models import DagRow, ImportErrorRow, dag_table, import_error_table


@dataclass(frozen=True)
class ImportProblem:
    filename: str
    lineno: int | None
    message: str


def sync_file(
    session: Session,
    path: str,
    specs: Sequence[DagSpec],
    errors: Sequence[ImportProblem],
    *,
    now: datetime,
    paused_at_creation: bool,
) -> list[DagSpec]:
    """Record what one parse of ``path`` found; return the specs that were accepted.

    A dag_id already owned by another active file is refused (reported as an import error
    of this file) so that two files cannot silently fight over one DAG.
    """
    owners = _owners(session, [s.dag_id for s in specs])
    accepted, problems = [], list(errors)
    for spec in specs:
        owner = owners.get(spec.dag_id)
        if owner is not None and owner != path:
            problems.append(
                ImportProblem(
                    path,
                    None,
                    f"DAG '{spec.dag_id}' is already declared in {owner}; "
                    "rename one of them (dag_id must be unique across files)",
                )
            )
            continue
        accepted.append(spec)
    _upsert(session, accepted, now, paused_at_creation)
    declared = {s.dag_id for s in accepted}
    session.execute(
        update(dag_table)
        .where(dag_table.c.fileloc == path, dag_table.c.dag_id.not_in(declared))
        .values(is_active=False)
    )
    replace_import_errors(session, path, problems, now)
    return accepted


def _owners(session: Session, dag_ids: list[str]) -> dict[str, str]:
    rows = session.execute(
        select(dag_table.c.dag_id, dag_table.c.fileloc).where(
            dag_table.c.dag_id.in_(dag_ids), dag_table.c.is_active.is_(True)
        )
    )
    return {dag_id: fileloc for dag_id, fileloc in rows}


def _upsert(session: Session, specs: list[DagSpec], now: datetime, paused: bool) -> None:
    existing = set(
        session.scalars(
            select(dag_table.c.dag_id).where(dag_table.c.dag_id.in_([s.dag_id for s in specs]))
        )
    )
    new_rows = [
        _row(spec, now) | {"is_paused": _paused(spec, paused), "created_at": now}
        for spec in specs
        if spec.dag_id not in existing
    ]
    if new_rows:
        session.execute(insert(dag_table), new_rows)
    for spec in specs:
        if spec.dag_id in existing:
            session.execute(
                update(dag_table).where(dag_table.c.dag_id == spec.dag_id).values(_row(spec, now))
            )


def _paused(spec: DagSpec, default: bool) -> bool:
    return default if spec.is_paused_upon_creation is None else spec.is_paused_upon_creation


def _row(spec: DagSpec, now: datetime) -> dict:
    return {
        "dag_id": spec.dag_id,
        "fileloc": spec.fileloc,
        "is_active": True,
        "schedule": spec.schedule,
        "description": spec.description,
        "tags": list(spec.tags),
        "spec": spec.to_dict(),
        "last_parsed_at": now,
    }


def deactivate_files(session: Session, paths: Iterable[str]) -> int:
    """Mark the DAGs of deleted files inactive; their history stays."""
    paths = list(paths)
    if not paths:
        return 0
    result = session.execute(
        update(dag_table)
        .where(dag_table.c.fileloc.in_(paths), dag_table.c.is_active.is_(True))
        .values(is_active=False)
    )
    session.execute(delete(import_error_table).where(import_error_table.c.filename.in_(paths)))
    return result.rowcount


def deactivate_missing(session: Session, present_files: Iterable[str]) -> int:
    """Deactivate DAGs whose file is not among ``present_files`` (after a full scan)."""
    present = set(present_files)
    rows = session.execute(
        select(dag_table.c.fileloc).where(dag_table.c.is_active.is_(True)).distinct()
    )
    gone = [fileloc for (fileloc,) in rows if fileloc not in present]
    stale_errors = session.execute(select(import_error_table.c.filename).distinct())
    gone_errors = [f for (f,) in stale_errors if f not in present]
    if gone_errors:
        session.execute(
            delete(import_error_table).where(import_error_table.c.filename.in_(gone_errors))
        )
    return deactivate_files(session, gone)


def replace_import_errors(
    session: Session, path: str, problems: Sequence[ImportProblem], now: datetime
) -> None:
    session.execute(delete(import_error_table).where(import_error_table.c.filename == path))
    if problems:
        session.execute(
            insert(import_error_table),
            [
                {"filename": p.filename, "lineno": p.lineno, "message": p.message, "timestamp": now}
                for p in problems
            ],
        )


def get_dag(session: Session, dag_id: str) -> DagRow:
    row = session.get(DagRow, dag_id)
    if row is None:
        raise DagNotFoundError(
            f"no DAG '{dag_id}' is known; check `baton dags list` and `baton dags errors` "
            "(its file may have an import error or the scheduler has not parsed it yet)"
        )
    return row


def get_spec(session: Session, dag_id: str) -> DagSpec:
    return DagSpec.from_dict(get_dag(session, dag_id).spec)


def list_dags(session: Session, *, include_inactive: bool = False) -> list[DagRow]:
    query = select(DagRow).order_by(DagRow.dag_id)
    if not include_inactive:
        query = query.where(DagRow.is_active.is_(True))
    return list(session.scalars(query))


def set_paused(session: Session, dag_id: str, paused: bool, *, source: str, now: datetime) -> None:
    row = get_dag(session, dag_id)
    if row.is_paused == paused:
        return
    row.is_paused = paused
    append_events(
        session,
        [Event("pause" if paused else "unpause", now, source, dag_id=dag_id)],
    )


def list_import_errors(session: Session) -> list[ImportErrorRow]:
    query = select(ImportErrorRow).order_by(ImportErrorRow.filename, ImportErrorRow.lineno)
    return list(session.scalars(query))
