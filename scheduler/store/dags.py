"""DAG rows: kept in step with what the Loader found, paused and unpaused by users."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from scheduler.asset_condition import schedule_summary
from scheduler.errors import DagNotFoundError
from scheduler.spec import DagSpec
from scheduler.store import assets as asset_store
from scheduler.store import dag_versions
from scheduler.store.events import Event, append_events
from scheduler.store.models import DagRow, ImportErrorRow, dag_table, import_error_table
from scheduler.store.pools import unknown_pool_problems
from scheduler.store.sqlmodel_boundary import execute_write

_ROW_COLUMNS = (
    "fileloc",
    "is_active",
    "schedule",
    "description",
    "tags",
    "spec",
    "last_parsed_at",
)


@dataclass(frozen=True)
class ImportProblem:
    filename: str
    lineno: int | None
    message: str


@dataclass(frozen=True)
class ParsedFile:
    """What one parse of one DAG file found."""

    path: str
    specs: Sequence[DagSpec]
    problems: Sequence[ImportProblem]


def sync_file(
    session: Session,
    path: str,
    specs: Sequence[DagSpec],
    errors: Sequence[ImportProblem],
    *,
    now: datetime,
    paused_at_creation: bool,
) -> list[DagSpec]:
    """Record what one parse of ``path`` found; return the specs that were accepted."""
    parsed = [ParsedFile(path, specs, errors)]
    return sync_files(session, parsed, now=now, paused_at_creation=paused_at_creation)


def sync_files(
    session: Session, parsed: Sequence[ParsedFile], *, now: datetime, paused_at_creation: bool
) -> list[DagSpec]:
    """Record several parsed files in a handful of statements; return the accepted specs.

    A dag_id already owned by another active file is refused (reported as an import error
    of this file) so that two files cannot silently fight over one DAG. So is a DAG whose
    tasks name a pool that does not exist (the loader has no database to check it).
    """
    if not parsed:
        return []
    known = _known(session, [s.dag_id for f in parsed for s in f.specs])
    owners = {dag_id: fileloc for dag_id, (fileloc, active) in known.items() if active}
    accepted: list[DagSpec] = []
    problems: dict[str, list[ImportProblem]] = {f.path: list(f.problems) for f in parsed}
    for file in parsed:
        for spec in file.specs:
            owner = owners.setdefault(spec.dag_id, file.path)
            if owner != file.path:
                problems[file.path].append(_duplicate(file.path, spec.dag_id, owner))
            else:
                accepted.append(spec)
    accepted = _refuse_unknown_pools(session, parsed, accepted, problems)
    # Each spec as stored, made once for the DAG row, the version row and its hash, and not
    # kept afterwards (a 10,000-task DAG's is tens of MB).
    dicts = {spec.dag_id: spec.to_dict() for spec in accepted}
    _upsert(session, accepted, set(known), now, paused_at_creation, dicts)
    # A DAG that had no row has no versions, asset references or watchers to look up (DAG
    # rows are never deleted): on a first parse of many files that halves the statements.
    new = {spec.dag_id for spec in accepted if spec.dag_id not in known}
    dag_versions.record_versions(session, accepted, now, new=new, dicts=dicts)
    asset_store.sync_references(session, accepted, now, new=new)  # schedules, outlets
    _deactivate_undeclared(session, parsed, {s.dag_id for s in accepted})
    _replace_import_errors(session, problems, now)
    return accepted


def _refuse_unknown_pools(
    session: Session,
    parsed: Sequence[ParsedFile],
    accepted: list[DagSpec],
    problems: dict[str, list[ImportProblem]],
) -> list[DagSpec]:
    refused = unknown_pool_problems(session, accepted)
    if not refused:
        return accepted
    path_of = {spec.dag_id: file.path for file in parsed for spec in file.specs}
    for dag_id, messages in refused.items():
        path = path_of[dag_id]
        problems[path] += [ImportProblem(path, None, message) for message in messages]
    return [spec for spec in accepted if spec.dag_id not in refused]


def _duplicate(path: str, dag_id: str, owner: str) -> ImportProblem:
    return ImportProblem(
        path,
        None,
        f"DAG '{dag_id}' is already declared in {owner}; "
        "rename one of them (dag_id must be unique across files)",
    )


def _known(session: Session, dag_ids: list[str]) -> dict[str, tuple[str, bool]]:
    """dag_id -> (fileloc, is_active) of the DAGs already stored."""
    rows = session.execute(
        select(dag_table.c.dag_id, dag_table.c.fileloc, dag_table.c.is_active).where(
            dag_table.c.dag_id.in_(dag_ids)
        )
    )
    return {dag_id: (fileloc, active) for dag_id, fileloc, active in rows}


_UPDATE_DAG = (
    update(dag_table)
    .where(dag_table.c.dag_id == bindparam("k_dag_id"))
    .values({c: bindparam(c) for c in _ROW_COLUMNS})
)


def _upsert(
    session: Session,
    specs: list[DagSpec],
    existing: set[str],
    now: datetime,
    paused: bool,
    dicts: dict[str, dict[str, Any]],
) -> None:
    if not specs:
        return
    new_rows = [
        _row(spec, now, dicts[spec.dag_id])
        | {"is_paused": _paused(spec, paused), "created_at": now}
        for spec in specs
        if spec.dag_id not in existing
    ]
    if new_rows:
        session.execute(insert(dag_table), new_rows)
    updates = [
        {c: row[c] for c in _ROW_COLUMNS} | {"k_dag_id": s.dag_id}
        for s in specs
        if s.dag_id in existing and (row := _row(s, now, dicts[s.dag_id]))
    ]
    if updates:
        session.connection().execute(_UPDATE_DAG, updates)


def _deactivate_undeclared(
    session: Session, parsed: Sequence[ParsedFile], declared: set[str]
) -> None:
    """DAGs a file used to declare and no longer does become inactive."""
    rows = session.execute(
        select(dag_table.c.dag_id).where(
            dag_table.c.fileloc.in_([f.path for f in parsed]),
            dag_table.c.is_active.is_(True),
        )
    )
    gone = [dag_id for (dag_id,) in rows if dag_id not in declared]
    if gone:
        session.execute(
            update(dag_table).where(dag_table.c.dag_id.in_(gone)).values(is_active=False)
        )


def _paused(spec: DagSpec, default: bool) -> bool:
    return default if spec.is_paused_upon_creation is None else spec.is_paused_upon_creation


def _row(spec: DagSpec, now: datetime, spec_dict: dict[str, Any]) -> dict[str, Any]:
    return {
        "dag_id": spec.dag_id,
        "fileloc": spec.fileloc,
        "is_active": True,
        # Shown by the CLI, the UI and the REST API; an asset condition as its text.
        "schedule": schedule_summary(spec.schedule, spec.asset_condition),
        "description": spec.description,
        "tags": list(spec.tags),
        "spec": spec_dict,
        "last_parsed_at": now,
    }


def deactivate_files(session: Session, paths: Iterable[str]) -> int:
    """Mark the DAGs of deleted files inactive; their history stays."""
    paths = list(paths)
    if not paths:
        return 0
    result = execute_write(
        session,
        update(dag_table)
        .where(dag_table.c.fileloc.in_(paths), dag_table.c.is_active.is_(True))
        .values(is_active=False),
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
    _replace_import_errors(session, {path: list(problems)}, now)


def _replace_import_errors(
    session: Session, problems: dict[str, list[ImportProblem]], now: datetime
) -> None:
    """The import errors of these files become exactly ``problems`` (none if empty)."""
    session.execute(
        delete(import_error_table).where(import_error_table.c.filename.in_(list(problems)))
    )
    rows = [
        {"filename": p.filename, "lineno": p.lineno, "message": p.message, "timestamp": now}
        for found in problems.values()
        for p in found
    ]
    if rows:
        session.execute(insert(import_error_table), rows)


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
    query = select(DagRow).order_by(col(DagRow.dag_id))
    if not include_inactive:
        query = query.where(col(DagRow.is_active).is_(True))
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
    query = select(ImportErrorRow).order_by(
        col(ImportErrorRow.filename), col(ImportErrorRow.lineno)
    )
    return list(session.scalars(query))
