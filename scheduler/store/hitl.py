"""Human-in-the-loop questions and answers in the database (the ``hitl_detail`` table).

A HITL task's try writes its question (``upsert_request``) before it defers; an answer is
recorded once (``record_response``: a second one is a conflict), with who gave it and when,
in the event log too, and in the same transaction fires the trigger the task waits on, so
the task resumes as soon as the scheduler is poked. An answer given before the task had
deferred is found by its trigger, which polls ``hitl_detail`` (``scheduler/api/hitl_trigger.py``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, and_, delete, func, insert, select, update
from sqlalchemy.orm import Session

from scheduler.errors import HITLConflictError, HITLDetailNotFoundError
from scheduler.states import TaskState
from scheduler.store.events import Event, append_events
from scheduler.store.models import task_instance_table
from scheduler.store.models_hitl import HitlDetailRow, hitl_detail_table
from scheduler.store.runs import get_task_instance
from scheduler.store.triggers import fire_trigger

h = hitl_detail_table
ti_t = task_instance_table
#: The task states in which a try waits for its answer (running: it has not deferred yet).
WAITING_STATES = (TaskState.RUNNING, TaskState.DEFERRED)


@dataclass(frozen=True)
class HitlKey:
    dag_id: str
    run_id: str
    task_id: str
    map_index: int = -1

    def where(self) -> Any:
        return and_(
            h.c.dag_id == self.dag_id,
            h.c.run_id == self.run_id,
            h.c.task_id == self.task_id,
            h.c.map_index == self.map_index,
        )

    def __str__(self) -> str:
        index = f"[{self.map_index}]" if self.map_index >= 0 else ""
        return f"{self.dag_id}/{self.run_id}/{self.task_id}{index}"


@dataclass(frozen=True)
class Responder:
    """Who answered (Airflow's HITLUser); None in a response: the timeout's defaults."""

    id: str
    name: str

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name}


def upsert_request(
    session: Session, key: HitlKey, request: dict[str, Any], *, try_number: int, now: datetime
) -> None:
    """Store the question of ``key``'s try ``try_number``, replacing an earlier try's
    question and answer (the answer stays in the event log)."""
    values = {
        **request,
        "try_number": try_number,
        "created_at": now,
        "responded_at": None,
        "responded_by_user_id": None,
        "responded_by_user_name": None,
        "chosen_options": None,
        "params_input": {},
    }
    session.execute(delete(h).where(key.where()))
    session.execute(insert(h).values(**key.__dict__, **values))


def get_detail(session: Session, key: HitlKey) -> tuple[HitlDetailRow, str]:
    """The question of ``key`` and its task instance's state; names what is missing."""
    ti = get_task_instance(session, key.dag_id, key.run_id, key.task_id, key.map_index)
    row = session.scalar(select(HitlDetailRow).where(key.where()))
    if row is None:
        raise HITLDetailNotFoundError(
            f"task instance {key} ({ti.state}) asks no human-in-the-loop question: it is not a "
            "HITL task or has not started waiting yet; `baton hitl list` shows the pending ones"
        )
    return row, ti.state


def list_details(
    session: Session,
    *,
    dag_id: str | None = None,
    run_id: str | None = None,
    response_received: bool | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[tuple[HitlDetailRow, str]], int]:
    """Questions with their task instance's state, newest first, and how many match."""
    joined = h.join(
        ti_t,
        and_(
            ti_t.c.dag_id == h.c.dag_id,
            ti_t.c.run_id == h.c.run_id,
            ti_t.c.task_id == h.c.task_id,
            ti_t.c.map_index == h.c.map_index,
        ),
    )
    where = []
    if dag_id is not None:
        where.append(h.c.dag_id == dag_id)
    if run_id is not None:
        where.append(h.c.run_id == run_id)
    if response_received is not None:
        where.append(
            h.c.responded_at.is_not(None) if response_received else h.c.responded_at.is_(None)
        )
    total = session.scalar(select(func.count()).select_from(joined).where(*where)) or 0
    query = (
        select(HitlDetailRow, ti_t.c.state)
        .select_from(joined)
        .where(*where)
        .order_by(h.c.created_at.desc())
        .limit(limit)
        .offset(offset)
    )
    return [(row, state) for row, state in session.execute(query)], int(total)


def check_unanswered(row: HitlDetailRow, state: str, key: HitlKey) -> None:
    """Raise HITLConflictError if ``key`` was answered already or no try waits any more."""
    if row.responded_at is not None:
        by = row.responded_by_user_name or "its timeout's defaults"
        raise HITLConflictError(
            f"task instance {key} was answered already, at {row.responded_at.isoformat()} by "
            f"{by} ({row.chosen_options}); an answer cannot be changed"
        )
    if state not in WAITING_STATES:
        raise HITLConflictError(
            f"task instance {key} is {state}: no try waits for this answer any more; clear "
            "the task to ask again"
        )


def record_response(
    session: Session,
    key: HitlKey,
    chosen_options: Sequence[str],
    params_input: dict[str, Any],
    *,
    responder: Responder | None,
    source: str,
    now: datetime,
) -> HitlDetailRow:
    """Record the one answer of ``key`` and resume its task if it waits deferred."""
    row, state = get_detail(session, key)
    check_unanswered(row, state, key)
    # An UPDATE's result is a CursorResult (it has rowcount); Session.execute says Result.
    answered = cast(
        CursorResult[Any],
        session.execute(
            update(h)
            .where(key.where(), h.c.responded_at.is_(None))
            .values(
                responded_at=now,
                responded_by_user_id=responder.id if responder else None,
                responded_by_user_name=responder.name if responder else None,
                chosen_options=list(chosen_options),
                params_input=params_input,
            ),
        ),
    )
    if answered.rowcount != 1:  # another answer won the race
        raise HITLConflictError(f"task instance {key} was answered meanwhile")
    who = responder.name if responder else "timeout (defaults)"
    detail = f"answered by {who}: chose {json.dumps(list(chosen_options))}"
    if params_input:
        detail += f", params_input {json.dumps(params_input, default=str)}"
    event = Event(
        "hitl_response",
        now,
        source,
        dag_id=key.dag_id,
        run_id=key.run_id,
        task_id=key.task_id,
        map_index=key.map_index if key.map_index >= 0 else None,
        try_number=row.try_number,
        detail=detail,
    )
    append_events(session, [event])
    session.expire(row)
    row, _ = get_detail(session, key)
    _resume_waiting(session, key, row, source, now)
    return row


def _resume_waiting(
    session: Session, key: HitlKey, row: HitlDetailRow, source: str, now: datetime
) -> None:
    trigger_id = session.scalar(
        select(ti_t.c.trigger_id).where(
            ti_t.c.dag_id == key.dag_id,
            ti_t.c.run_id == key.run_id,
            ti_t.c.task_id == key.task_id,
            ti_t.c.map_index == key.map_index,
            ti_t.c.state == TaskState.DEFERRED,
        )
    )
    if trigger_id is not None:
        fire_trigger(session, trigger_id, answer_payload(row), source=source, now=now)


def answer_payload(row: HitlDetailRow) -> dict[str, Any]:
    """What the task resumes with (Airflow's HITLTriggerEventSuccessPayload)."""
    responder = (
        {"id": row.responded_by_user_id, "name": row.responded_by_user_name}
        if row.responded_by_user_name is not None
        else None
    )
    return {
        "chosen_options": list(row.chosen_options or []),
        "params_input": dict(row.params_input or {}),
        "responded_at": row.responded_at.isoformat() if row.responded_at else None,
        "responded_by_user": responder,
        "timedout": row.responded_at is not None and responder is None,
    }
