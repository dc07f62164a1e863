"""Pools: list with their occupancy, get, set (create or change), update, delete.

Every change pokes the scheduler, which re-reads the pools at once and, when a pool appears
that an import error was waiting for, parses the DAG files again.
"""

from __future__ import annotations

import enum

from scheduler.api.databases import database, read_database
from scheduler.clock import utcnow
from scheduler.engine.wakeup import wake_schedulers
from scheduler.errors import PoolConflictError
from scheduler.settings import Settings
from scheduler.store import pools as pool_store
from scheduler.store.db import transaction
from scheduler.store.events import process_source
from scheduler.store.models_pools import PoolRow
from scheduler.store.pools import DEFAULT_POOL, PoolStats


class _Keep(enum.Enum):
    """update_pool's default: "leave this field as it is" (an enum, so that mypy narrows
    ``field is _KEEP`` to the field's own type)."""

    KEEP = enum.auto()


_KEEP = _Keep.KEEP


def list_pools(settings: Settings) -> list[PoolStats]:
    """Every pool, by name, with the slots its task instances take now."""
    with transaction(read_database(settings)) as session:
        rows = pool_store.list_pools(session)
        if any(row.name == DEFAULT_POOL for row in rows):
            return pool_store.pool_stats(session, rows)
    with transaction(database(settings)) as session:  # first use: default_pool appears
        pool_store.ensure_default_pool(session, utcnow())
        return pool_store.pool_stats(session, pool_store.list_pools(session))


def get_pool(settings: Settings, name: str) -> PoolStats:
    with transaction(database(settings)) as session:
        if name == DEFAULT_POOL:
            pool_store.ensure_default_pool(session, utcnow())
        return pool_store.pool_stats(session, [pool_store.get_pool(session, name)])[0]


def set_pool(
    settings: Settings,
    name: str,
    slots: int,
    description: str | None,
    *,
    include_deferred: bool = False,
    rate_limit: str | object | None = pool_store.KEEP,
    source: str | None = None,
) -> PoolStats:
    """Create pool ``name`` or replace its settings (``baton pools set``); ``rate_limit``
    ("10/s"; None: none) is kept as it is unless given."""
    with transaction(database(settings)) as session:
        row = pool_store.set_pool(
            session,
            name,
            slots,
            description,
            include_deferred=include_deferred,
            rate_limit=rate_limit,
            source=source or process_source("cli"),
            now=utcnow(),
        )
        stats = pool_store.pool_stats(session, [row])[0]
    wake_schedulers(settings)
    return stats


def create_pool(
    settings: Settings,
    name: str,
    slots: int,
    description: str | None = None,
    *,
    include_deferred: bool = False,
    rate_limit: str | None = None,
    source: str | None = None,
) -> PoolStats:
    """Create a new pool; an existing name is a conflict (REST ``POST /pools``)."""
    pool_store.check_pool_values(name, slots)
    pool_store.check_rate_limit(name, rate_limit)
    with transaction(database(settings)) as session:
        if session.get(PoolRow, name) is not None:
            raise PoolConflictError(
                f"pool '{name}' already exists; change it with PATCH /pools/{name} "
                f"or `baton pools set {name} SLOTS DESCRIPTION`"
            )
    return set_pool(
        settings,
        name,
        slots,
        description,
        include_deferred=include_deferred,
        rate_limit=rate_limit,
        source=source,
    )


def update_pool(
    settings: Settings,
    name: str,
    *,
    slots: int | _Keep = _KEEP,
    description: str | _Keep | None = _KEEP,
    include_deferred: bool | _Keep = _KEEP,
    rate_limit: str | _Keep | None = _KEEP,
    source: str | None = None,
) -> PoolStats:
    """Change some fields of an existing pool, keeping the others (REST ``PATCH``)."""
    with transaction(database(settings)) as session:
        if name == DEFAULT_POOL:
            pool_store.ensure_default_pool(session, utcnow())
        row = pool_store.get_pool(session, name)
    return set_pool(
        settings,
        name,
        row.slots if slots is _KEEP else slots,
        row.description if description is _KEEP else description,
        include_deferred=row.include_deferred
        if include_deferred is _KEEP
        else bool(include_deferred),
        rate_limit=pool_store.KEEP if rate_limit is _KEEP else rate_limit,
        source=source,
    )


def delete_pool(settings: Settings, name: str, *, source: str | None = None) -> None:
    with transaction(database(settings)) as session:
        pool_store.delete_pool(session, name, source=source or process_source("cli"), now=utcnow())
    wake_schedulers(settings)
