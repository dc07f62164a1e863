"""Triggers in the database: created by the Engine, claimed and fired by triggerers.

Coordination is the database's, as for schedulers: each ``baton triggerer`` has a
``triggerer_job`` row it heartbeats; a trigger belongs to the triggerer named in its
``triggerer_id``. A triggerer claims unowned triggers and those of triggerers whose
heartbeat is stale (dead, or killed with -9) with ``SELECT ... FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so two triggerers never claim the same one; on SQLite a write transaction
holds the whole database, which serialises claims (run one triggerer there).

Firing is one transaction: the task instances waiting on the trigger go ``deferred →
scheduled`` with the event in ``next_kwargs['event']`` and the trigger row goes; the
scheduler, poked, adopts the resumed rows (``engine/deferral.adopt_resumed``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from scheduler.deferral import FAIL_METHOD, Deferral
from scheduler.states import TaskState
from scheduler.store import asset_watchers
from scheduler.store.models import task_instance_table
from scheduler.store.models_triggers import trigger_table, triggerer_job_table
from scheduler.store.sqlmodel_boundary import execute_write
from scheduler.store.transitions import TaskChange, change_task_states
from scheduler.triggers import serde

ti_t = task_instance_table
DEFERRAL_COLUMNS_CLEARED = {
    "trigger_id": None,
    "next_method": None,
    "next_kwargs": None,
    "trigger_timeout": None,
}


@dataclass(frozen=True)
class StoredTrigger:
    id: int
    classpath: str
    kwargs: dict[str, Any]
    # The URIs of the assets it watches (an AssetWatcher's trigger); empty for a task's.
    watches: tuple[str, ...] = ()


def create_trigger(session: Session, deferral: Deferral, now: datetime) -> int:
    """Insert the trigger a task defers to; return its id (the task instance keeps it)."""
    row = {"classpath": deferral.classpath, "kwargs": deferral.trigger_kwargs, "created_at": now}
    result = session.connection().execute(
        insert(trigger_table).values(row).returning(trigger_table.c.id)
    )
    return int(result.scalar_one())


# -- triggerers ------------------------------------------------------------------------------
def start_triggerer(session: Session, hostname: str, pid: int, capacity: int, now: datetime) -> int:
    values = {
        "hostname": hostname,
        "pid": pid,
        "state": "running",
        "started_at": now,
        "last_heartbeat": now,
        "capacity": capacity,
    }
    result = session.connection().execute(
        insert(triggerer_job_table).values(values).returning(triggerer_job_table.c.id)
    )
    return int(result.scalar_one())


def heartbeat(session: Session, triggerer_id: int, now: datetime) -> None:
    t = triggerer_job_table
    session.execute(update(t).where(t.c.id == triggerer_id).values(last_heartbeat=now))


def end_triggerer(session: Session, triggerer_id: int, now: datetime) -> None:
    """A clean stop: its triggers go back unowned, so another triggerer takes them at once."""
    t = triggerer_job_table
    session.execute(update(t).where(t.c.id == triggerer_id).values(state="stopped", ended_at=now))
    session.execute(
        update(trigger_table)
        .where(trigger_table.c.triggerer_id == triggerer_id)
        .values(triggerer_id=None)
    )


def alive_triggerers(session: Session, now: datetime, stale_after: timedelta) -> list[Any]:
    t = triggerer_job_table
    query = select(t).where(t.c.state == "running", t.c.last_heartbeat >= now - stale_after)
    return list(session.execute(query))


def claim_triggers(
    session: Session, triggerer_id: int, capacity: int, now: datetime, stale_after: timedelta
) -> list[int]:
    """Take unowned triggers and those of dead triggerers, up to ``capacity`` in all."""
    t, jobs = trigger_table, triggerer_job_table
    owned = session.execute(
        select(func.count()).select_from(t).where(t.c.triggerer_id == triggerer_id)
    ).scalar_one()
    room = capacity - int(owned)
    if room <= 0:
        return []
    alive = select(jobs.c.id).where(
        jobs.c.state == "running", jobs.c.last_heartbeat >= now - stale_after
    )
    query = (
        select(t.c.id)
        .where(or_(t.c.triggerer_id.is_(None), t.c.triggerer_id.not_in(alive)))
        .order_by(t.c.id)
        .limit(room)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=t)
    ids = list(session.execute(query).scalars())
    if ids:
        session.execute(update(t).where(t.c.id.in_(ids)).values(triggerer_id=triggerer_id))
    return ids


def triggers_of(session: Session, triggerer_id: int) -> list[StoredTrigger]:
    t = trigger_table
    rows = list(
        session.execute(
            select(t.c.id, t.c.classpath, t.c.kwargs).where(t.c.triggerer_id == triggerer_id)
        )
    )
    watched = asset_watchers.watched_assets(session, [r.id for r in rows])
    return [StoredTrigger(r.id, r.classpath, r.kwargs or {}, watched.get(r.id, ())) for r in rows]


# -- events ----------------------------------------------------------------------------------
def fire_trigger(
    session: Session, trigger_id: int, payload: Any, *, source: str, now: datetime
) -> int:
    """The trigger fired: resume its deferred task instances with ``payload`` as ``event``;
    returns how many were resumed (0: they were cleared or timed out meanwhile)."""
    event = serde.encode(payload, f"the event payload of trigger {trigger_id}")
    return _resume(session, [trigger_id], source, now, lambda kw: {**kw, "event": event}, None)


def fail_trigger(
    session: Session, trigger_id: int, error: str, *, source: str, now: datetime
) -> int:
    """The trigger itself failed (``run()`` raised): the task resumes in ``__fail__`` and
    fails with the reason, as Airflow does."""
    reason = {"error": f"Trigger failure: {error}"}
    return _resume(session, [trigger_id], source, now, lambda _kw: reason, FAIL_METHOD)


def time_out_deferrals(
    session: Session, triggerer_id: int | None, *, source: str, now: datetime
) -> int:
    """Deferred task instances past their ``trigger_timeout`` whose trigger this triggerer
    runs: resumed in ``__fail__`` so their try fails with TaskDeferralTimeout (retried if
    it has retries left)."""
    mine = select(trigger_table.c.id)
    if triggerer_id is not None:  # None: any trigger (``baton dags test`` runs them inline)
        mine = mine.where(trigger_table.c.triggerer_id == triggerer_id)
    ids = list(
        session.execute(
            select(ti_t.c.trigger_id).where(
                ti_t.c.state == TaskState.DEFERRED,
                ti_t.c.trigger_timeout <= now,
                ti_t.c.trigger_id.in_(mine),
            )
        ).scalars()
    )
    if not ids:
        return 0
    reason = {"error": "Trigger/execution timeout: the deferral timed out before its trigger fired"}
    return _resume(
        session, sorted(set(ids)), source, now, lambda _kw: reason, FAIL_METHOD, timed_out=True
    )


def _resume(
    session: Session,
    trigger_ids: Sequence[int],
    source: str,
    now: datetime,
    kwargs_of: Any,
    method: str | None,
    timed_out: bool = False,
) -> int:
    where = [ti_t.c.trigger_id.in_(trigger_ids), ti_t.c.state == TaskState.DEFERRED]
    if timed_out:
        where.append(ti_t.c.trigger_timeout <= now)
    tis = list(session.execute(select(ti_t).where(and_(*where))))
    changes = []
    for ti in tis:
        values = {
            "trigger_id": None,
            "trigger_timeout": None,
            "next_method": method or ti.next_method,
            "next_kwargs": kwargs_of(dict(ti.next_kwargs or {})),
        }
        detail = "its trigger fired" if method is None else values["next_kwargs"]["error"]
        changes.append(
            TaskChange(
                ti.dag_id,
                ti.run_id,
                ti.task_id,
                TaskState.DEFERRED,
                TaskState.SCHEDULED,
                ti.try_number,
                values=values,
                detail=detail,
                map_index=ti.map_index,
            )
        )
    # The scheduler, poked, adopts these rows into its mirror (engine/deferral.py).
    change_task_states(session, changes, source=source, now=now)
    if not timed_out:
        session.execute(delete(trigger_table).where(trigger_table.c.id.in_(trigger_ids)))
    return len(tis)


def clean_unused(session: Session) -> int:
    """Delete triggers no deferred task instance waits on (it was cleared, marked, timed
    out, or its run timed out) and no asset watcher runs; their triggerers stop them."""
    t = trigger_table
    waiting = select(ti_t.c.trigger_id).where(
        ti_t.c.state == TaskState.DEFERRED, ti_t.c.trigger_id.is_not(None)
    )
    watching = asset_watchers.watcher_trigger_ids()
    result = execute_write(
        session, delete(t).where(t.c.id.not_in(waiting), t.c.id.not_in(watching))
    )
    return int(result.rowcount or 0)


def triggers_waited_on(session: Session, run_ids: Sequence[str]) -> list[StoredTrigger]:
    """The triggers the deferred task instances of these runs wait on."""
    t = trigger_table
    waiting = select(ti_t.c.trigger_id).where(
        ti_t.c.state == TaskState.DEFERRED, ti_t.c.run_id.in_(run_ids)
    )
    rows = session.execute(select(t.c.id, t.c.classpath, t.c.kwargs).where(t.c.id.in_(waiting)))
    return [StoredTrigger(r.id, r.classpath, r.kwargs or {}) for r in rows]


def next_deferral_timeout(session: Session, run_ids: Sequence[str]) -> datetime | None:
    query = select(func.min(ti_t.c.trigger_timeout)).where(
        ti_t.c.state == TaskState.DEFERRED, ti_t.c.run_id.in_(run_ids)
    )
    return session.execute(query).scalar_one()
