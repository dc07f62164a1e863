"""Archive tables of ``db clean``: ``_baton_deleted__<table>__<YYYYMMDDHHMMSS>`` (Airflow's
``_airflow_deleted__`` tables), made by ``CREATE TABLE ... AS SELECT`` with the source's
columns on first use, and the deletes that copy rows there first; plus the log files."""

from __future__ import annotations

import contextlib
from pathlib import Path

from sqlalchemy import (
    ColumnElement,
    Engine,
    Table,
    column,
    delete,
    insert,
    inspect,
    literal,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from scheduler.store.db import transaction
from scheduler.store.sqlmodel_boundary import execute_write

ARCHIVE_PREFIX = "_baton_deleted__"


def archive_name(name: str, stamp: str) -> str:
    return f"{ARCHIVE_PREFIX}{name}__{stamp}"


def move(session: Session, tbl: Table, where: ColumnElement[bool], archive: str | None) -> int:
    """Copy the rows to table ``archive`` (made on first use; None: no copy), then delete
    them; return how many went."""
    if archive is not None:
        if (
            session.execute(select(literal(1)).select_from(tbl).where(where).limit(1)).first()
            is None
        ):
            return 0  # nothing to move: no empty archive table either
        _ensure_archive(session, tbl, archive)
        target = table(archive, *(column(c.name) for c in tbl.columns))
        names = [c.name for c in tbl.columns]
        session.execute(insert(target).from_select(names, select(*tbl.columns).where(where)))
    return execute_write(session, delete(tbl).where(where)).rowcount or 0


def _ensure_archive(session: Session, tbl: Table, name: str) -> None:
    connection = session.connection()
    if inspect(connection).has_table(name):
        return
    quote = connection.dialect.identifier_preparer.quote
    source = quote(tbl.name)
    connection.execute(text(f"CREATE TABLE {quote(name)} AS SELECT * FROM {source} WHERE 1=0"))


def list_archives(engine: Engine) -> list[str]:
    """The archive tables ``clean`` made, oldest first."""
    return sorted(n for n in inspect(engine).get_table_names() if n.startswith(ARCHIVE_PREFIX))


def drop_archives(engine: Engine, tables: frozenset[str] | None = None) -> list[str]:
    """Drop the archive tables (of ``tables`` only, if given); return their names."""
    dropped = []
    for name in list_archives(engine):
        source = name[len(ARCHIVE_PREFIX) :].rsplit("__", 1)[0]
        if tables is None or source in tables:
            with transaction(engine) as session:
                connection = session.connection()
                quote = connection.dialect.identifier_preparer.quote
                connection.execute(text(f"DROP TABLE {quote(name)}"))
            dropped.append(name)
    return dropped


def remove_log_files(paths: list[Path], logs_folder: Path) -> int:
    """Delete the tries' log files, then the folders left empty, up to ``logs_folder``:
    each folder tried once, deepest first (an ``rmdir`` costs about a millisecond). Returns
    how many files went."""
    root = logs_folder.resolve()
    folders: set[Path] = set()
    removed = 0
    for path in paths:
        try:
            path.unlink()
        except OSError:
            continue  # gone already, or not ours to remove: the rows are gone either way
        removed += 1
        folder = path.parent.resolve()
        while folder != root and root in folder.parents and folder not in folders:
            folders.add(folder)
            folder = folder.parent
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):  # not empty: another try's log is still there
            folder.rmdir()
    return removed
