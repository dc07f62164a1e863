"""Which finished runs call a DAG callback, and who runs it (the ``dag_callback`` claims)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scheduler.store.models import dag_table, event_table
from scheduler.store.models_notifications import dag_callback_table

CALLBACK_OF_STATE = {"success": "on_success_callback", "failed": "on_failure_callback"}


@dataclass(frozen=True)
class Due:
    """A run's change to ``success``/``failed`` whose DAG sets the matching callback."""

    event_id: int
    dag_id: str
    run_id: str
    state: str
    callback: str
    fileloc: str


def start_cursor(session: Session, since: datetime) -> int:
    """The id of the last event before ``since``: a scheduler that starts looks back to
    there, so runs that finished while no scheduler ran still get their callbacks (the
    claims keep those already run from running twice)."""
    query = select(func.max(event_table.c.id)).where(event_table.c.ts < since)
    return session.execute(query).scalar_one_or_none() or 0


def due_callbacks(
    session: Session, after: int, since: datetime, limit: int = 500
) -> tuple[list[Due], int]:
    """Run state changes that call a DAG callback: after event ``after``, and also any since
    ``since``, because on PostgreSQL an event can commit after one with a higher id was
    read (ids are taken at insert, not at commit); the claims keep a change seen twice
    from running twice. Returns them and the new cursor (the highest id read)."""
    ev, dag = event_table, dag_table
    rows = session.execute(
        select(ev.c.id, ev.c.dag_id, ev.c.run_id, ev.c.new_state, dag.c.spec, dag.c.fileloc)
        .join(dag, dag.c.dag_id == ev.c.dag_id, isouter=True)
        .where(
            or_(ev.c.id > after, ev.c.ts >= since),
            ev.c.event == "run_state",
            ev.c.new_state.in_(CALLBACK_OF_STATE),
        )
        .order_by(ev.c.id)
        .limit(limit)
    ).all()
    due = []
    for event_id, dag_id, run_id, state, spec, fileloc in rows:
        callback = CALLBACK_OF_STATE[state]
        if spec and callback in (spec.get("callbacks") or ()):
            due.append(Due(event_id, dag_id, run_id, state, callback, fileloc))
    return due, max([after, *(r[0] for r in rows)])


def is_claimed(session: Session, event_id: int) -> bool:
    query = select(dag_callback_table.c.event_id).where(dag_callback_table.c.event_id == event_id)
    return session.execute(query).first() is not None


def claim(session: Session, due: Due, source: str, now: datetime, log_path: str) -> bool:
    """Insert the claim of ``due``; False when another scheduler has it already."""
    row = {
        "event_id": due.event_id,
        "dag_id": due.dag_id,
        "run_id": due.run_id,
        "callback": due.callback,
        "state": "running",
        "source": source,
        "claimed_at": now,
        "log_path": log_path,
    }
    try:
        with session.begin_nested():
            session.execute(insert(dag_callback_table), [row])
    except IntegrityError:
        return False
    return True


def finish(session: Session, event_id: int, state: str, error: str | None, now: datetime) -> None:
    session.execute(
        update(dag_callback_table)
        .where(dag_callback_table.c.event_id == event_id)
        .values(state=state, error=error, finished_at=now)
    )


def list_callbacks(session: Session, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    query = (
        select(dag_callback_table)
        .where(dag_callback_table.c.dag_id == dag_id, dag_callback_table.c.run_id == run_id)
        .order_by(dag_callback_table.c.event_id)
    )
    return [dict(row._mapping) for row in session.execute(query)]
