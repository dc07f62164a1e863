"""Retention: delete (and archive) history older than a timestamp, in short transactions.

What goes (Airflow's ``db clean``, with Baton's tables):

- ``dag_run``: finished runs that ended before the timestamp, with everything that belongs
  to them: their task instances, tries, XComs, Celery claims, shipped log chunks, the try
  log files, and the rows of any other table with a foreign key to ``dag_run.id`` or
  ``task_instance.id`` (found in the metadata, so a table added later is not forgotten).
- ``task_instance``, ``task_try``, ``xcom``, ``celery_try_claim``, ``task_log_chunk``: only
  those rows of such runs, the runs themselves kept (``--tables xcom`` drops old XComs).
  Deleting tries deletes their log chunks and log files too: the paths are in the tries.
- ``event_log``: events before the timestamp, except those of a run still active.

A run that is not finished (queued, running, compensating) is never touched, however old:
each batch re-reads its runs' states in its own transaction (locking them on PostgreSQL,
skipping those another writer holds), so a run cleared back to ``queued`` after it was
picked is left alone.

Why batches: the scheduler writes on every wake-up. SQLite has one writer at a time and
PostgreSQL locks the rows a transaction deletes, so one big ``DELETE`` over 100,000 task
instances would stall the scheduler for its whole length. Each batch takes about
``batch_size`` task instances (whole runs, so a run never goes half-deleted), commits, and
sleeps ``pause`` seconds so that a writer waiting for the lock gets it first.

Archive: unless ``archive=False``, the rows are first copied into
``_baton_deleted__<table>__<YYYYMMDDHHMMSS>`` (Airflow's ``_airflow_deleted__`` tables),
made by ``CREATE TABLE ... AS SELECT`` with the source's columns. Log files are deleted
either way: they are files, not rows (the archived ``task_log_chunk`` rows keep shipped
logs).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from scheduler.errors import BatonError
from scheduler.states import FINISHED_RUN_STATES
from scheduler.store.db import transaction
from scheduler.store.events import Event, append_events
from scheduler.store.models import (
    dag_run_table,
    event_table,
    task_instance_table,
    task_try_table,
    xcom_table,
)
from scheduler.store.models_celery import task_log_chunk_table, try_claim_table
from scheduler.store.models_hitl import hitl_detail_table
from scheduler.store.models_notifications import dag_callback_table
from scheduler.store.models_timing import deadline_table, long_try_table
from scheduler.store.races import is_expected_race
from scheduler.store.retention_archive import (
    ARCHIVE_PREFIX,
    archive_name,
    drop_archives,
    list_archives,
    move,
    remove_log_files,
)

__all__ = [
    "ARCHIVE_PREFIX",
    "CleanPolicy",
    "CleanReport",
    "clean",
    "count_old",
    "cleanable_tables",
    "drop_archives",
    "list_archives",
    "parse_tables",
    "record",
]

DEFAULT_BATCH_SIZE = 250  # ~30-70 ms per batch on SQLite here; 1000: p50 100, p95 230 ms
DEFAULT_PAUSE = 0.02
_FINISHED = sorted(str(s) for s in FINISHED_RUN_STATES)
_RACE_RETRIES = 3
# Tables whose rows name their run by (dag_id, run_id).
_BY_RUN_KEY = (
    task_try_table, xcom_table, try_claim_table, dag_callback_table, hitl_detail_table,
    deadline_table, long_try_table,
)  # fmt: skip


@dataclass(frozen=True)
class CleanPolicy:
    """What one clean removes: ``tables`` (names from ``cleanable_tables()``), everything
    that ended or happened before ``before``."""

    before: datetime
    tables: frozenset[str]
    archive: bool = True
    batch_size: int = DEFAULT_BATCH_SIZE
    pause: float = DEFAULT_PAUSE
    stamp: str = "00000000000000"
    """``YYYYMMDDHHMMSS`` of this clean: names its archive tables."""


@dataclass
class CleanReport:
    """Rows per table (deleted, or that would be on a dry run), log files, archive tables
    made, and timings: ``longest_transaction`` is the longest any batch held the write
    lock, the figure that bounds how long a scheduler beside it waited."""

    before: datetime
    dry_run: bool
    rows: dict[str, int] = field(default_factory=dict)
    log_files: int = 0
    archives: dict[str, str] = field(default_factory=dict)
    batches: int = 0
    skipped_runs: int = 0
    seconds: float = 0.0
    files_seconds: float = 0.0  # of ``seconds``, deleting log files (outside transactions)
    longest_transaction: float = 0.0
    transactions: list[float] = field(default_factory=list)  # each batch's lock hold, s


@dataclass(frozen=True)
class _Child:
    """A table of rows that belong to a run, and how a batch's rows are found."""

    table: Table
    kind: str  # run_key | run_fk | ti_fk | log_path
    column: str = ""


@dataclass(frozen=True)
class _Batch:
    ids: list[int]
    keys: list[tuple[str, str]]
    instances: int


def run_children() -> list[_Child]:
    """The run-scoped tables, in the order a batch deletes them (referencing rows first)."""
    children = [_Child(task_log_chunk_table, "log_path")]
    for tbl in dag_run_table.metadata.sorted_tables:
        for fk in tbl.foreign_keys:
            target = fk.column.table
            if target is task_instance_table and tbl is not task_instance_table:
                children.append(_Child(tbl, "ti_fk", fk.parent.name))
    children += [_Child(t, "run_key") for t in _BY_RUN_KEY]
    children.append(_Child(task_instance_table, "run_fk", "dag_run_id"))
    for tbl in dag_run_table.metadata.sorted_tables:
        for fk in tbl.foreign_keys:
            if fk.column.table is dag_run_table and tbl is not task_instance_table:
                children.append(_Child(tbl, "run_fk", fk.parent.name))
    return children


def cleanable_tables() -> list[str]:
    return ["dag_run", *(c.table.name for c in run_children()), "event_log"]


def parse_tables(names: Sequence[str] | None) -> frozenset[str]:
    """``--tables`` as a set (all tables if none); ``BatonError`` naming an unknown one."""
    known = cleanable_tables()
    wanted = [n.strip() for n in names or [] if n.strip()]
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise BatonError(
            f"db clean cannot clean table(s) {', '.join(unknown)}; choose among "
            f"{', '.join(known)} (comma-separated), or leave --tables out for all of them"
        )
    return frozenset(wanted or known)


def _chosen(policy: CleanPolicy) -> list[_Child]:
    """The run-scoped tables this policy cleans: all of them when runs go (no orphans);
    deleting tries takes their log chunks along (found by the tries' paths)."""
    if "dag_run" in policy.tables:
        return run_children()
    names = set(policy.tables)
    if "task_try" in names:
        names.add(task_log_chunk_table.name)
    return [c for c in run_children() if c.table.name in names]


# -- finding what is old ----------------------------------------------------------------------
def _old_runs(before: datetime) -> ColumnElement[bool]:
    ended = func.coalesce(dag_run_table.c.end_date, dag_run_table.c.queued_at)
    return (dag_run_table.c.state.in_(_FINISHED)) & (ended < before)


def _active_run_event() -> ColumnElement[bool]:
    run = dag_run_table
    return exists().where(
        run.c.dag_id == event_table.c.dag_id,
        run.c.run_id == event_table.c.run_id,
        run.c.state.not_in(_FINISHED),
    )


def _old_events(before: datetime) -> ColumnElement[bool]:
    return (event_table.c.ts < before) & ~_active_run_event()


def _batches(engine: Engine, policy: CleanPolicy) -> Iterator[_Batch]:
    """Old finished runs in id order, packed into batches of about ``batch_size`` task
    instances. Read in pages outside any write transaction (readers block no one)."""
    after, page = 0, max(policy.batch_size, 200)
    ti_count = (
        select(func.count())
        .where(task_instance_table.c.dag_run_id == dag_run_table.c.id)
        .scalar_subquery()
    )
    ids: list[int] = []
    keys: list[tuple[str, str]] = []
    size = 0
    while True:
        query = (
            select(dag_run_table.c.id, dag_run_table.c.dag_id, dag_run_table.c.run_id, ti_count)
            .where(_old_runs(policy.before), dag_run_table.c.id > after)
            .order_by(dag_run_table.c.id)
            .limit(page)
        )
        with engine.connect() as connection:
            rows = connection.execute(query).all()
        for run_pk, dag_id, run_id, instances in rows:
            if ids and size + instances > policy.batch_size:
                yield _Batch(ids, keys, size)
                ids, keys, size = [], [], 0
            ids.append(run_pk)
            keys.append((dag_id, run_id))
            size += instances + 1
        if len(rows) < page:
            break
        after = rows[-1][0]
    if ids:
        yield _Batch(ids, keys, size)


def _of_runs(tbl: Table, keys: list[tuple[str, str]]) -> ColumnElement[bool]:
    """Rows of these runs, as ``dag_id = d AND run_id IN (...)`` per DAG: the form both
    back ends answer from the (dag_id, run_id, ...) index (SQLite scans the whole table for
    a row-value ``(dag_id, run_id) IN (VALUES ...)``)."""
    by_dag: dict[str, list[str]] = {}
    for dag_id, run_id in keys:
        by_dag.setdefault(dag_id, []).append(run_id)
    return or_(*((tbl.c.dag_id == d) & tbl.c.run_id.in_(runs) for d, runs in by_dag.items()))


def _where(child: _Child, ids: list[int], keys: list[tuple[str, str]]) -> ColumnElement[bool]:
    tbl = child.table
    if child.kind == "run_key":
        return _of_runs(tbl, keys)
    if child.kind == "run_fk":
        return tbl.c[child.column].in_(ids)
    if child.kind == "ti_fk":
        instances = select(task_instance_table.c.id).where(
            task_instance_table.c.dag_run_id.in_(ids)
        )
        return tbl.c[child.column].in_(instances)
    paths = select(task_try_table.c.log_path).where(
        _of_runs(task_try_table, keys),
        task_try_table.c.log_path.is_not(None),
    )
    return tbl.c.log_path.in_(paths)


# -- dry run ----------------------------------------------------------------------------------
def count_old(engine: Engine, policy: CleanPolicy) -> CleanReport:
    """What ``clean`` would remove, counted without writing anything."""
    report = CleanReport(policy.before, dry_run=True)
    started = time.monotonic()
    chosen = _chosen(policy)
    for batch in _batches(engine, policy):
        with engine.connect() as connection:
            if "dag_run" in policy.tables:
                _add(report, "dag_run", len(batch.ids))
            for child in chosen:
                n = connection.execute(
                    select(func.count()).select_from(child.table).where(_where(child, *_ids(batch)))
                ).scalar_one()
                _add(report, child.table.name, n)
            if any(c.table is task_try_table for c in chosen):
                report.log_files += sum(1 for p in _log_paths(connection, batch) if p.exists())
    if "event_log" in policy.tables:
        with engine.connect() as connection:
            query = select(func.count()).select_from(event_table).where(_old_events(policy.before))
            report.rows["event_log"] = connection.execute(query).scalar_one()
    report.seconds = time.monotonic() - started
    return report


def _ids(batch: _Batch) -> tuple[list[int], list[tuple[str, str]]]:
    return batch.ids, batch.keys


def _add(report: CleanReport, name: str, n: int) -> None:
    report.rows[name] = report.rows.get(name, 0) + n


def _log_paths(connection: Connection, batch: _Batch) -> list[Path]:
    query = select(task_try_table.c.log_path).where(
        _of_runs(task_try_table, batch.keys),
        task_try_table.c.log_path.is_not(None),
    )
    return [Path(p) for p in connection.execute(query).scalars()]


# -- cleaning ---------------------------------------------------------------------------------
def clean(engine: Engine, policy: CleanPolicy, *, logs_folder: Path) -> CleanReport:
    """Delete (and archive, per ``policy``) what is older than ``policy.before``, batch by
    batch; return what went and how long the longest batch held the write lock."""
    report = CleanReport(policy.before, dry_run=False)
    started = time.monotonic()
    chosen = _chosen(policy)
    if chosen or "dag_run" in policy.tables:
        for batch in _batches(engine, policy):
            paths = _with_retries(partial(_clean_runs, engine, policy, chosen, batch, report))
            if paths is None:
                report.skipped_runs += len(batch.ids)
                continue
            removing = time.monotonic()
            report.log_files += remove_log_files(paths, logs_folder)
            report.files_seconds += time.monotonic() - removing
            time.sleep(policy.pause)
    if "event_log" in policy.tables:
        for ids in _event_pages(engine, policy):
            _with_retries(partial(_clean_events, engine, policy, ids, report))
            time.sleep(policy.pause)
    report.seconds = time.monotonic() - started
    return report


_Result = TypeVar("_Result")


def _with_retries(step: Callable[[], _Result]) -> _Result | None:
    """Run one batch; a batch that lost a race with another writer (a deadlock, a lock it
    could not get) is tried again, then given up (None): the next clean takes it."""
    for attempt in range(_RACE_RETRIES):
        try:
            return step()
        except Exception as exc:
            if not is_expected_race(exc) or attempt == _RACE_RETRIES - 1:
                if is_expected_race(exc):
                    return None
                raise
            time.sleep(0.05 * (attempt + 1))
    return None


def _clean_runs(
    engine: Engine, policy: CleanPolicy, chosen: list[_Child], batch: _Batch, report: CleanReport
) -> list[Path]:
    """One transaction: re-check the runs are still finished, archive and delete their rows."""
    with transaction(engine) as session:
        connection = session.connection()  # SQLite: BEGIN IMMEDIATE, the write lock, here
        held_from = time.monotonic()
        still = select(dag_run_table.c.id, dag_run_table.c.dag_id, dag_run_table.c.run_id).where(
            dag_run_table.c.id.in_(batch.ids), dag_run_table.c.state.in_(_FINISHED)
        )
        if engine.dialect.name != "sqlite":  # a run another writer holds is left for later
            still = still.with_for_update(skip_locked=True)
        rows = connection.execute(still).all()
        report.skipped_runs += len(batch.ids) - len(rows)
        if not rows:
            return []
        ids = [r[0] for r in rows]
        keys = [(r[1], r[2]) for r in rows]
        current = _Batch(ids, keys, batch.instances)
        paths = _log_paths(connection, current) if _has(chosen, task_try_table) else []
        counts: dict[str, int] = {}
        for child in chosen:
            counts[child.table.name] = _move(session, policy, child.table, _where(child, ids, keys))
        if "dag_run" in policy.tables:
            counts["dag_run"] = _move(session, policy, dag_run_table, dag_run_table.c.id.in_(ids))
        session.commit()
        _held(report, time.monotonic() - held_from)
    for name, n in counts.items():
        _add(report, name, n)
        if n and policy.archive:
            report.archives[name] = archive_name(name, policy.stamp)
    return paths


def _has(chosen: list[_Child], tbl: Table) -> bool:
    return any(c.table is tbl for c in chosen)


def _event_pages(engine: Engine, policy: CleanPolicy) -> Iterator[list[int]]:
    """Ids of old events in id order, ``batch_size`` at a time, read outside any write
    transaction and from a cursor, so no batch rescans what the previous ones kept."""
    after = 0
    while True:
        query = (
            select(event_table.c.id)
            .where(event_table.c.id > after, _old_events(policy.before))
            .order_by(event_table.c.id)
            .limit(policy.batch_size)
        )
        with engine.connect() as connection:
            ids = list(connection.execute(query).scalars())
        if not ids:
            return
        yield ids
        after = ids[-1]


def _clean_events(engine: Engine, policy: CleanPolicy, ids: list[int], report: CleanReport) -> int:
    """One batch of old events, deleted by primary key; the filter is applied again, in
    case a run was cleared (made active) since the ids were read."""
    with transaction(engine) as session:
        session.connection()
        held_from = time.monotonic()
        where = event_table.c.id.in_(ids) & _old_events(policy.before)
        n = _move(session, policy, event_table, where)
        session.commit()
        _held(report, time.monotonic() - held_from)
    if n:
        _add(report, "event_log", n)
        if policy.archive:
            report.archives["event_log"] = archive_name("event_log", policy.stamp)
    return n


def _held(report: CleanReport, seconds: float) -> None:
    report.batches += 1
    report.transactions.append(seconds)
    report.longest_transaction = max(report.longest_transaction, seconds)


def record(session: Session, report: CleanReport, event: str, source: str, now: datetime) -> None:
    """An event log row saying what a clean removed (``db_clean``, or ``retention`` for the
    scheduler's daily pass, which also tells the next pass when this one ran)."""
    rows = ", ".join(f"{name} {n}" for name, n in sorted(report.rows.items()) if n) or "nothing"
    detail = (
        f"before {report.before.isoformat()}: {rows}; {report.log_files} log files; "
        f"{report.batches} batches, longest {report.longest_transaction * 1000:.0f} ms"
    )
    append_events(session, [Event(event, now, source, detail=detail)])


def last_event_time(session: Session, event: str) -> datetime | None:
    query = select(func.max(event_table.c.ts)).where(event_table.c.event == event)
    return session.execute(query).scalar_one_or_none()


def _move(session: Session, policy: CleanPolicy, tbl: Table, where: ColumnElement[bool]) -> int:
    name = archive_name(tbl.name, policy.stamp) if policy.archive else None
    return move(session, tbl, where, name)
