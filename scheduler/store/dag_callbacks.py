"""Which finished runs call a DAG callback, and who runs it (the ``dag_callback`` claims)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update
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


def due_callbacks(session: Session, after: int, limit: int = 200) -> tuple[list[Due], int]:
    """Run state changes after event ``after`` that call a DAG callback, and the new cursor."""
    ev, dag = event_table, dag_table
    rows = session.execute(
        select(ev.c.id, ev.c.dag_id, ev.c.run_id, ev.c.new_state, dag.c.spec, dag.c.fileloc)
        .join(dag, dag.c.dag_id == ev.c.dag_id, isouter=True)
        .where(ev.c.id > after, ev.c.event == "run_state", ev.c.new_state.in_(CALLBACK_OF_STATE))
        .order_by(ev.c.id)
        .limit(limit)
    ).all()
    due = []
    for event_id, dag_id, run_id, state, spec, fileloc in rows:
        callback = CALLBACK_OF_STATE[state]
        if spec and callback in (spec.get("callbacks") or ()):
            due.append(Due(event_id, dag_id, run_id, state, callback, fileloc))
    cursor = rows[-1][0] if len(rows) == limit else _last_id(session, after)
    return due, cursor


def _last_id(session: Session, after: int) -> int:
    return session.execute(select(func.max(event_table.c.id))).scalar_one_or_none() or after


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


def list_callbacks(session: Session, dag_id: str, run_id: str) -> list[dict]:
    query = (
        select(dag_callback_table)
        .where(dag_callback_table.c.dag_id == dag_id, dag_callback_table.c.run_id == run_id)
        .order_by(dag_callback_table.c.event_id)
    )
    return [dict(row._mapping) for row in session.execute(query)]
