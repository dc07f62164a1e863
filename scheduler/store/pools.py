"""Pools in the database: functions that take a session (the caller owns the transaction).

Airflow's meaning: a try takes its task's ``pool_slots`` slots of the task's ``pool`` while it
is queued or running, and while deferred if the pool has ``include_deferred``; a pool of
``slots = -1`` is unlimited. ``default_pool`` (128 slots) always exists: ``baton db migrate``
creates it, and so does the first use of pools by anything else.

Task instances do not store their pool: the pool of a task is read from its DAG's spec, so a
pool named in a DAG file is checked when the file is recorded (``unknown_pool_problems``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from scheduler.errors import (
    InvalidPoolError,
    PoolConflictError,
    PoolNotFoundError,
    RateLimitConfigError,
)
from scheduler.rate_limit_spec import parse_rate_limit
from scheduler.spec import DagSpec, TaskSpec
from scheduler.states import TaskState
from scheduler.store.events import Event, append_events
from scheduler.store.models import dag_table, import_error_table, task_instance_table
from scheduler.store.models_pools import PoolRow, pool_table

DEFAULT_POOL = "default_pool"
DEFAULT_POOL_SLOTS = 128  # Airflow's default_pool_task_slot_count
UNLIMITED = -1
MAX_NAME_LENGTH = 256
MAX_SLOTS = 2**31 - 1  # a 32-bit INTEGER column on every database
KEEP: Any = object()  # set_pool: "leave the pool's rate_limit as it is"
#: Part of every unknown-pool import error: how the scheduler finds the files to re-parse
#: once pools change.
UNKNOWN_POOL_MARK = "does not exist; create it with `baton pools set"


@dataclass(frozen=True)
class PoolLimit:
    """What dispatch needs to know about a pool."""

    slots: int
    include_deferred: bool = False
    rate_limit: str | None = None  # "10/s": tries dispatched at most at that rate

    def open_slots(self, active: int, deferred: int = 0) -> float:
        """Slots left given ``active`` (queued + running) and ``deferred`` slots in use."""
        if self.slots == UNLIMITED:
            return float("inf")
        return self.slots - active - (deferred if self.include_deferred else 0)


DEFAULT_LIMIT = PoolLimit(DEFAULT_POOL_SLOTS)


@dataclass
class PoolUsage:
    """Slots of one pool taken by task instances in each state (Airflow's pool stats)."""

    running: int = 0
    queued: int = 0
    deferred: int = 0
    scheduled: int = 0


@dataclass(frozen=True)
class PoolStats:
    """A pool with its occupancy: the fields of Airflow's pool API."""

    name: str
    slots: int
    description: str | None
    include_deferred: bool
    running_slots: int
    queued_slots: int
    deferred_slots: int
    scheduled_slots: int
    rate_limit: str | None = None

    @property
    def occupied_slots(self) -> int:
        deferred = self.deferred_slots if self.include_deferred else 0
        return self.running_slots + self.queued_slots + deferred

    @property
    def open_slots(self) -> int:
        """-1 for an unlimited pool (as Airflow's API reports it)."""
        if self.slots == UNLIMITED:
            return UNLIMITED
        return self.slots - self.occupied_slots

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "slots": self.slots,
            "occupied_slots": self.occupied_slots,
            "running_slots": self.running_slots,
            "queued_slots": self.queued_slots,
            "scheduled_slots": self.scheduled_slots,
            "deferred_slots": self.deferred_slots,
            "open_slots": self.open_slots,
            "description": self.description,
            "include_deferred": self.include_deferred,
            "rate_limit": self.rate_limit,
        }


# -- rows ------------------------------------------------------------------------------------
def ensure_default_pool(session: Session, now: datetime) -> None:
    """Create ``default_pool`` if it is missing (never changes an existing one)."""
    if session.get(PoolRow, DEFAULT_POOL) is None:
        session.execute(
            insert(pool_table).values(
                name=DEFAULT_POOL,
                slots=DEFAULT_POOL_SLOTS,
                description="Default pool",
                include_deferred=False,
                updated_at=now,
            )
        )


def list_pools(session: Session) -> list[PoolRow]:
    return list(session.scalars(select(PoolRow).order_by(PoolRow.name)))


def get_pool(session: Session, name: str) -> PoolRow:
    row = session.get(PoolRow, name)
    if row is None:
        raise PoolNotFoundError(
            f"pool '{name}' does not exist; `baton pools list` shows the pools, "
            f"`baton pools set {name} SLOTS DESCRIPTION` creates it"
        )
    return row


def check_pool_values(name: Any, slots: Any) -> None:
    """Refuse a pool name or slot count Airflow would refuse, saying what to write."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidPoolError(f"pool name {name!r} must be a non-empty string")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidPoolError(
            f"pool name '{name[:40]}...' is {len(name)} characters long; "
            f"use at most {MAX_NAME_LENGTH}"
        )
    if isinstance(slots, bool) or not isinstance(slots, int) or slots < UNLIMITED:
        raise InvalidPoolError(
            f"pool '{name}': slots={slots!r} must be an integer >= 0, or -1 for unlimited"
        )
    if slots > MAX_SLOTS:
        raise InvalidPoolError(
            f"pool '{name}': slots={slots} is more than {MAX_SLOTS}; use -1 for unlimited"
        )


def check_rate_limit(name: str, rate_limit: Any) -> str | None:
    """The pool's ``rate_limit`` as stored ("10/s"; None or "" for none), or InvalidPoolError."""
    if rate_limit is None or (isinstance(rate_limit, str) and not rate_limit.strip()):
        return None
    try:
        parse_rate_limit(rate_limit, where=f"pool '{name}': rate_limit")
    except RateLimitConfigError as exc:
        raise InvalidPoolError(str(exc)) from None
    return str(rate_limit).strip()


def set_pool(
    session: Session,
    name: str,
    slots: int,
    description: str | None,
    *,
    include_deferred: bool = False,
    rate_limit: str | object | None = KEEP,
    source: str,
    now: datetime,
) -> PoolRow:
    """Create pool ``name`` or change its slots, description, ``include_deferred`` and
    (unless ``KEEP``) ``rate_limit``."""
    check_pool_values(name, slots)
    values = {"slots": slots, "description": description, "include_deferred": include_deferred}
    if rate_limit is not KEEP:
        values["rate_limit"] = check_rate_limit(name, rate_limit)
    existing = session.get(PoolRow, name)
    if existing is None:
        session.execute(insert(pool_table).values(name=name, updated_at=now, **values))
    else:
        session.execute(
            update(pool_table).where(pool_table.c.name == name).values(updated_at=now, **values)
        )
        session.expire(existing)
    detail = f"slots={slots} include_deferred={include_deferred}"
    if values.get("rate_limit"):
        detail += f" rate_limit={values['rate_limit']}"
    append_events(session, [Event("pool_set", now, source, detail=f"pool '{name}': {detail}")])
    return get_pool(session, name)


def delete_pool(session: Session, name: str, *, source: str, now: datetime) -> None:
    """Delete pool ``name``; refused for ``default_pool`` and for a pool tasks still use."""
    if name == DEFAULT_POOL:
        raise PoolConflictError(
            f"{DEFAULT_POOL} cannot be deleted; change its size with "
            f"`baton pools set {DEFAULT_POOL} SLOTS DESCRIPTION`"
        )
    get_pool(session, name)
    users = pool_users(session, name)
    if users:
        shown = ", ".join(f"{dag_id}.{task_id}" for dag_id, task_id in users[:5])
        more = f" and {len(users) - 5} more" if len(users) > 5 else ""
        raise PoolConflictError(
            f"pool '{name}' is used by tasks of active DAGs ({shown}{more}); "
            "give them another pool= first, or resize the pool instead of deleting it"
        )
    session.execute(delete(pool_table).where(pool_table.c.name == name))
    append_events(session, [Event("pool_delete", now, source, detail=f"pool '{name}'")])


def pool_limits(session: Session) -> dict[str, PoolLimit]:
    """Every pool's limit, read in one small query (the scheduler does it every few
    seconds); ``default_pool`` is there even before anything created its row."""
    rows = session.execute(
        select(
            pool_table.c.name,
            pool_table.c.slots,
            pool_table.c.include_deferred,
            pool_table.c.rate_limit,
        )
    )
    limits = {name: PoolLimit(slots, bool(deferred), rate) for name, slots, deferred, rate in rows}
    limits.setdefault(DEFAULT_POOL, DEFAULT_LIMIT)
    return limits


# -- which tasks use which pool --------------------------------------------------------------
def task_pools(task: TaskSpec) -> list[tuple[str, int]]:
    """The (pool, slots) a task's tries take: the task's own, and its compensation's."""
    found = [(task.pool, task.pool_slots)]
    if task.compensation is not None:
        found.append((task.compensation.pool, task.compensation.pool_slots))
    return found


def unknown_pool_problems(session: Session, specs: Iterable[DagSpec]) -> dict[str, list[str]]:
    """Per dag_id, why its tasks could never run: a pool that does not exist, or more
    ``pool_slots`` than the pool has. The scheduler refuses such DAGs as import errors."""
    limits = pool_limits(session)
    problems: dict[str, list[str]] = {}
    for spec in specs:
        for task in spec.tasks.values():
            for pool, slots in dict.fromkeys(task_pools(task)):
                message = _pool_problem(spec.dag_id, task.task_id, pool, slots, limits.get(pool))
                if message:
                    problems.setdefault(spec.dag_id, []).append(message)
    return problems


def _pool_problem(
    dag_id: str, task_id: str, pool: str, slots: int, limit: PoolLimit | None
) -> str | None:
    where = f"DAG '{dag_id}': task '{task_id}'"
    if limit is None:
        return (
            f"{where}: pool '{pool}' {UNKNOWN_POOL_MARK} {pool} SLOTS DESCRIPTION` "
            "(the DAG is loaded once the pool exists), or change pool="
        )
    if limit.slots != UNLIMITED and slots > limit.slots:
        return (
            f"{where}: pool_slots={slots} is more than pool '{pool}' has ({limit.slots}), so "
            f"it could never run; lower pool_slots or enlarge the pool with "
            f"`baton pools set {pool} {slots} DESCRIPTION`"
        )
    return None


def pool_users(session: Session, name: str) -> list[tuple[str, str]]:
    """(dag_id, task_id) of the tasks of active DAGs that use pool ``name``."""
    rows = session.execute(
        select(dag_table.c.dag_id, dag_table.c.spec).where(dag_table.c.is_active.is_(True))
    )
    users = []
    for dag_id, spec in rows:
        for task in spec.get("tasks", []):
            pools = {task.get("pool")}
            if task.get("compensation"):
                pools.add(task["compensation"].get("pool"))
            if name in pools:
                users.append((dag_id, task["task_id"]))
    return sorted(users)


# -- occupancy -------------------------------------------------------------------------------
_COUNTED = {
    TaskState.QUEUED: "queued",
    TaskState.RUNNING: "running",
    TaskState.DEFERRED: "deferred",
    TaskState.SCHEDULED: "scheduled",
}


def pool_usage(session: Session) -> dict[str, PoolUsage]:
    """Slots taken per pool now, from the task instances that hold (or wait for) one;
    a compensating task counts with its compensation's pool while that is queued/running."""
    ti = task_instance_table
    active = (*_COUNTED, TaskState.COMPENSATING)
    rows = session.execute(
        select(ti.c.dag_id, ti.c.task_id, ti.c.state, ti.c.compensation_state).where(
            ti.c.state.in_(active)
        )
    ).all()
    specs = _task_specs(session, {row.dag_id for row in rows})
    usage: dict[str, PoolUsage] = {}
    for dag_id, task_id, state, compensation_state in rows:
        task = specs.get(dag_id, {}).get(task_id)
        if task is None:
            continue
        if state == TaskState.COMPENSATING:
            if compensation_state not in (TaskState.QUEUED, TaskState.RUNNING):
                continue
            task, state = task.compensation or task, compensation_state
        entry = usage.setdefault(task.pool, PoolUsage())
        kind = _COUNTED[TaskState(state)]
        setattr(entry, kind, getattr(entry, kind) + task.pool_slots)
    return usage


def pool_stats(session: Session, rows: Sequence[PoolRow]) -> list[PoolStats]:
    usage = pool_usage(session) if rows else {}
    return [_stats(row, usage.get(row.name, PoolUsage())) for row in rows]


def _stats(row: PoolRow, used: PoolUsage) -> PoolStats:
    return PoolStats(
        name=row.name,
        slots=row.slots,
        description=row.description,
        include_deferred=row.include_deferred,
        running_slots=used.running,
        queued_slots=used.queued,
        deferred_slots=used.deferred,
        scheduled_slots=used.scheduled,
        rate_limit=row.rate_limit,
    )


def _task_specs(session: Session, dag_ids: set[str]) -> dict[str, dict[str, TaskSpec]]:
    if not dag_ids:
        return {}
    rows = session.execute(
        select(dag_table.c.dag_id, dag_table.c.spec).where(dag_table.c.dag_id.in_(dag_ids))
    )
    return {
        dag_id: {t["task_id"]: TaskSpec.from_dict(t) for t in spec.get("tasks", [])}
        for dag_id, spec in rows
    }


def has_unknown_pool_errors(session: Session) -> bool:
    """Whether some DAG file is refused for naming a pool that did not exist."""
    query = (
        select(import_error_table.c.id)
        .where(import_error_table.c.message.contains(UNKNOWN_POOL_MARK, autoescape=True))
        .limit(1)
    )
    return session.execute(query).first() is not None


def lock_and_count_other_schedulers(
    session: Session, job_id: int, specs: Mapping[str, DagSpec]
) -> tuple[Counter[str], Counter[str]]:
    """With several schedulers: lock every pool row until this transaction ends (so no
    two schedulers fill the same pool at once), then return the pool slots the other
    schedulers' tries take now: (queued + running, deferred).

    Grouped in SQL by task and state, so it costs a few rows however many tries run; the
    slots come from ``specs`` (every scheduler knows every DAG)."""
    session.execute(select(pool_table.c.name).order_by(pool_table.c.name).with_for_update())
    ti = task_instance_table
    active = (TaskState.QUEUED, TaskState.RUNNING, TaskState.DEFERRED, TaskState.COMPENSATING)
    rows = session.execute(
        select(ti.c.dag_id, ti.c.task_id, ti.c.state, ti.c.compensation_state, func.count())
        .where(
            ti.c.state.in_(active),
            ti.c.scheduler_job_id.is_not(None),
            ti.c.scheduler_job_id != job_id,
        )
        .group_by(ti.c.dag_id, ti.c.task_id, ti.c.state, ti.c.compensation_state)
    ).all()
    used: Counter[str] = Counter()
    deferred: Counter[str] = Counter()
    for dag_id, task_id, state, compensation_state, count in rows:
        spec = specs.get(dag_id)
        task = spec.tasks.get(task_id) if spec else None
        if task is None:
            continue
        if state == TaskState.COMPENSATING:
            if compensation_state not in (TaskState.QUEUED, TaskState.RUNNING):
                continue
            task = task.compensation or task
        target = deferred if state == TaskState.DEFERRED else used
        target[task.pool] += task.pool_slots * count
    return used, deferred
