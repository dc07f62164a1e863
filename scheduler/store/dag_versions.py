"""DAG versions: a new ``dag_version`` row when a DAG's structure or code changed, reads.

``record_versions`` is called by ``dags.sync_files`` with the specs it accepted: for each DAG
it compares the spec's hash and its file's hash with the DAG's latest version and writes
version N+1 only when either differs, so re-parsing an unchanged file writes nothing.
The file is read here, right after its parse; an edit landing between the two is recorded
with the next parse (the file's hash then differs again).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ScalarSelect, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from scheduler.errors import DagVersionNotFoundError
from scheduler.spec import DagSpec
from scheduler.store.models import dag_run_table
from scheduler.store.models_dag_versions import DagVersionRow
from scheduler.store.sqlmodel_boundary import table_of

log = logging.getLogger(__name__)

version_table = table_of(DagVersionRow)


def spec_hash(spec_dict: dict[str, Any]) -> str:
    """sha256 of a spec's canonical JSON (``DagSpec.to_dict()``, keys sorted), the
    "structure" of a version."""
    text = json.dumps(spec_dict, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _read_file(path: str) -> tuple[str, str]:
    """(sha256 of the bytes, the text) of a DAG file; ("", "") if it cannot be read."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return "", ""
    return hashlib.sha256(data).hexdigest(), data.decode("utf-8", errors="replace")


def record_versions(
    session: Session,
    specs: Sequence[DagSpec],
    now: datetime,
    *,
    new: Collection[str],
    dicts: Mapping[str, dict[str, Any]],
) -> int:
    """Write a new version for each DAG whose spec or file changed; return how many.
    ``new``: DAGs stored for the first time (version 1, nothing to look up); ``dicts``: the
    specs' ``to_dict()`` by dag_id, made once by the sync (they are large).

    Two schedulers parsing the same edit may both try to write version N+1: the unique
    (dag_id, version_number) makes the second one fail, and it looks again once, when it
    sees the other's row and has nothing left to write.
    """
    if not specs:
        return 0
    for attempt in (1, 2):
        try:
            with session.begin_nested():
                return _record(session, specs, now, new, dicts)
        except IntegrityError:
            if attempt == 2:
                log.warning("DAG versions of %s not recorded: written concurrently", specs)
    return 0


def _record(
    session: Session,
    specs: Sequence[DagSpec],
    now: datetime,
    new: Collection[str],
    dicts: Mapping[str, dict[str, Any]],
) -> int:
    stored = [s.dag_id for s in specs if s.dag_id not in new]
    latest = _latest_hashes(session, stored) if stored else {}
    files: dict[str, tuple[str, str]] = {}
    rows: list[dict[str, Any]] = []
    for spec in specs:
        if spec.fileloc not in files:
            files[spec.fileloc] = _read_file(spec.fileloc)
        file_hash, source = files[spec.fileloc]
        spec_dict = dicts[spec.dag_id]
        hashed = spec_hash(spec_dict)
        number, old_spec_hash, old_file_hash = latest.get(spec.dag_id, (0, None, None))
        if (hashed, file_hash) == (old_spec_hash, old_file_hash):
            continue
        rows.append(
            {
                "dag_id": spec.dag_id,
                "version_number": number + 1,
                "created_at": now,
                "fileloc": spec.fileloc,
                "file_hash": file_hash,
                "source_code": source,
                "spec_hash": hashed,
                "spec": spec_dict,
            }
        )
    if rows:
        session.execute(insert(version_table), rows)
    return len(rows)


def _latest_hashes(session: Session, dag_ids: list[str]) -> dict[str, tuple[int, str, str]]:
    """dag_id -> (version_number, spec_hash, file_hash) of each DAG's latest version."""
    newest = (
        select(version_table.c.dag_id, func.max(version_table.c.version_number).label("n"))
        .where(version_table.c.dag_id.in_(dag_ids))
        .group_by(version_table.c.dag_id)
        .subquery()
    )
    rows = session.execute(
        select(
            version_table.c.dag_id,
            version_table.c.version_number,
            version_table.c.spec_hash,
            version_table.c.file_hash,
        ).join(
            newest,
            (newest.c.dag_id == version_table.c.dag_id)
            & (newest.c.n == version_table.c.version_number),
        )
    )
    return {dag_id: (n, sh, fh) for dag_id, n, sh, fh in rows}


def latest_version_id(dag_id: str) -> ScalarSelect[Any]:
    """A scalar subquery: the id of the DAG's latest version (NULL if it has none)."""
    return (
        select(version_table.c.id)
        .where(version_table.c.dag_id == dag_id)
        .order_by(version_table.c.version_number.desc())
        .limit(1)
        .scalar_subquery()
    )


def list_versions(session: Session, dag_id: str) -> list[DagVersionRow]:
    """The DAG's versions, oldest first."""
    query = (
        select(DagVersionRow)
        .where(col(DagVersionRow.dag_id) == dag_id)
        .order_by(col(DagVersionRow.version_number))
    )
    return list(session.scalars(query))


def get_version(session: Session, dag_id: str, version_number: int) -> DagVersionRow:
    row = session.scalar(
        select(DagVersionRow).where(
            col(DagVersionRow.dag_id) == dag_id, col(DagVersionRow.version_number) == version_number
        )
    )
    if row is None:
        raise DagVersionNotFoundError(
            f"DAG '{dag_id}' has no version {version_number}; list its versions with "
            f"`baton dags versions {dag_id}`"
        )
    return row


def get_version_by_id(session: Session, version_id: int) -> DagVersionRow | None:
    return session.get(DagVersionRow, version_id)


def pinned_specs(session: Session, version_ids: Sequence[int]) -> dict[int, DagSpec]:
    """version id -> spec, for those of ``version_ids`` that are no longer their DAG's latest.

    A run created with the latest version needs nothing (the catalog holds that spec), so
    the common case costs one indexed query and parses no JSON.
    """
    if not version_ids:
        return {}
    newer = version_table.alias("newer")
    rows = session.execute(
        select(version_table.c.id, version_table.c.spec).where(
            version_table.c.id.in_(set(version_ids)),
            select(newer.c.id)
            .where(
                newer.c.dag_id == version_table.c.dag_id,
                newer.c.version_number > version_table.c.version_number,
            )
            .exists(),
        )
    )
    return {version_id: DagSpec.from_dict(spec) for version_id, spec in rows}


def version_of_run(session: Session, dag_id: str, run_id: str) -> DagVersionRow | None:
    """The version a run was created with (None for a run created before versions)."""
    return session.scalar(
        select(DagVersionRow)
        .join(dag_run_table, dag_run_table.c.dag_version_id == col(DagVersionRow.id))
        .where(dag_run_table.c.dag_id == dag_id, dag_run_table.c.run_id == run_id)
    )


def diff_lines(old: DagVersionRow, new: DagVersionRow) -> list[str]:
    """A unified diff of two versions' code (empty when the code is the same)."""
    return list(
        difflib.unified_diff(
            old.source_code.splitlines(),
            new.source_code.splitlines(),
            fromfile=f"{old.fileloc} (version {old.version_number})",
            tofile=f"{new.fileloc} (version {new.version_number})",
            lineterm="",
        )
    )
