"""Claims of Celery tries: the compare-and-set that runs a redelivered message once.

A broker delivers a message at least once (a worker that dies before acking, a connection
cut mid-ack); Baton must still run each try at most once at a time. The first worker to
start a try inserts its claim row; a later delivery of the same message finds the row and
is dropped. The scheduler uses the same row to cancel: inserted as ``cancelled`` before any
worker claimed it (the worker then drops the message), or moved from ``running`` to
``cancel_requested``, which the worker running it sees at its next heartbeat.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import col

from scheduler.executor import TryKey
from scheduler.store.models_celery import TryClaimRow, try_claim_table
from scheduler.store.sqlmodel_boundary import execute_write

RUNNING, FINISHED = "running", "finished"
CANCELLED, CANCEL_REQUESTED = "cancelled", "cancel_requested"
_PAUSED = ("deferred", "up_for_reschedule")  # outcomes after which the same try resumes


def _key_values(key: TryKey) -> dict[str, object]:
    return {
        "dag_id": key.dag_id,
        "run_id": key.run_id,
        "task_id": key.task_id,
        "map_index": key.map_index,
        "try_number": key.try_number,
        "compensation": key.compensation,
    }


def _where(key: TryKey) -> list[ColumnElement[bool]]:
    columns = try_claim_table.c
    return [columns[name] == value for name, value in _key_values(key).items()]


def _insert_if_absent(session: Session, values: dict[str, object]) -> bool:
    """INSERT unless the primary key exists, in one statement on every back end; True if
    this call inserted the row."""
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        # RETURNING, not rowcount: psycopg 3 reports -1 rows for this statement.
        statement = (
            insert(try_claim_table)
            .values(values)
            .on_conflict_do_nothing()
            .returning(try_claim_table.c.state)
        )
        return session.execute(statement).first() is not None
    ignoring = mysql.insert(try_claim_table).values(values).prefix_with("IGNORE")
    return execute_write(session, ignoring).rowcount == 1


def claim(
    session: Session, key: TryKey, worker: str, now: datetime, resumed: bool = False
) -> str | None:
    """Claim ``key`` for ``worker``: None if this call claimed it, else the state of the
    claim that was there first (the message is a redelivery, or the try was cancelled).
    ``resumed``: the message resumes the try after it deferred or was rescheduled (the
    same try number, Airflow's), so a finished claim whose outcome gave the slot back is
    claimed again, by a compare-and-set on its ``claimed_at``."""
    values = {
        **_key_values(key),
        "state": RUNNING,
        "worker": worker,
        "claimed_at": now,
        "heartbeat_at": now,
    }
    if _insert_if_absent(session, values):
        return None
    row = session.execute(
        select(col(TryClaimRow.state), col(TryClaimRow.outcome), col(TryClaimRow.claimed_at)).where(
            *_where(key)
        )
    ).first()
    if row is None:
        return RUNNING
    paused = row.state == FINISHED and (row.outcome or {}).get("state") in _PAUSED
    if resumed and paused:
        result = execute_write(
            session,
            update(TryClaimRow)
            .where(*_where(key), col(TryClaimRow.state) == FINISHED)
            .where(col(TryClaimRow.claimed_at) == row.claimed_at)
            .values(state=RUNNING, worker=worker, claimed_at=now, heartbeat_at=now, outcome=None),
        )
        if result.rowcount == 1:
            return None
    return row.state


def request_cancel(session: Session, key: TryKey, now: datetime) -> bool:
    """Cancel ``key``. False: no worker had claimed it, and none will (the caller reports
    it cancelled); True: a worker runs it and stops it at its next heartbeat."""
    values = {**_key_values(key), "state": CANCELLED, "claimed_at": now, "heartbeat_at": now}
    if _insert_if_absent(session, values):
        return False
    session.execute(
        update(TryClaimRow)
        .where(*_where(key), col(TryClaimRow.state) == RUNNING)
        .values(state=CANCEL_REQUESTED)
    )
    return True


def heartbeat(session: Session, key: TryKey, now: datetime) -> str | None:
    """Record that the try's worker is alive; return the claim's state (the worker stops
    the try on ``cancel_requested``)."""
    session.execute(update(TryClaimRow).where(*_where(key)).values(heartbeat_at=now))
    return session.scalar(select(col(TryClaimRow.state)).where(*_where(key)))


def finish(
    session: Session, key: TryKey, now: datetime, outcome: dict[str, Any] | None = None
) -> None:
    """Mark the try finished; ``outcome`` is its encoded ``TaskFinished``, kept so that a
    scheduler that took over the try's DAG learns it (the event went to the old one)."""
    session.execute(
        update(TryClaimRow)
        .where(*_where(key))
        .values(state=FINISHED, heartbeat_at=now, outcome=outcome)
    )


def get_claims(session: Session, keys: Collection[TryKey]) -> dict[TryKey, TryClaimRow]:
    """The claims of ``keys`` that exist, in one query (by run, then matched here)."""
    if not keys:
        return {}
    run_ids = sorted({key.run_id for key in keys})
    rows = session.scalars(select(TryClaimRow).where(col(TryClaimRow.run_id).in_(run_ids)))
    wanted = set(keys)
    found = {}
    for row in rows:
        key = TryKey(
            row.dag_id, row.run_id, row.task_id, row.try_number, row.compensation, row.map_index
        )
        if key in wanted:
            found[key] = row
    return found


def get_claim(session: Session, key: TryKey) -> TryClaimRow | None:
    return session.scalars(select(TryClaimRow).where(*_where(key))).first()
