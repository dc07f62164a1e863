"""What the Celery side of a cluster looks like right now: its workers and its queues.

Workers answer Celery's ``inspect active`` broadcast (each live worker replies with the
messages it is running); the broadcast waits ``timeout`` seconds for replies, so callers keep
it short. Queue depths come from the broker itself (a passive queue declare, which Redis and
RabbitMQ both answer with the number of messages waiting), not from the database: a message
published but not yet taken by a worker is only known there.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from kombu.exceptions import OperationalError as KombuOperationalError
from sqlalchemy import select
from sqlmodel import col

from scheduler.api.databases import read_database
from scheduler.executors.celery_app import DEFAULT_QUEUE, make_celery_app
from scheduler.settings import Settings, mask_url_password
from scheduler.store.db import transaction
from scheduler.store.models import DagRow

INSPECT_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class CeleryWorker:
    """One Celery worker node (``celery@host``, or its ``--hostname``) and its tries."""

    hostname: str
    active_tries: list[str] = field(default_factory=list)  # dag/run/task[map]#try labels


@dataclass(frozen=True)
class CeleryView:
    """The answer of one look at the broker: workers, or why there is no answer."""

    broker: str  # the broker URL, password masked
    workers: list[CeleryWorker]
    error: str | None = None


def inspect_workers(settings: Settings, timeout: float = INSPECT_TIMEOUT_S) -> CeleryView:
    """The live workers and the tries each runs, as they answer within ``timeout``."""
    broker = mask_url_password(settings.celery_broker_url)
    app = _probe_app(settings, timeout)
    try:
        replies = app.control.inspect(timeout=timeout).active() or {}
    except (KombuOperationalError, OSError) as exc:
        return CeleryView(broker, [], f"the broker does not answer: {_describe(exc)}")
    finally:
        app.close()
    workers = [
        CeleryWorker(hostname, [_label(message) for message in messages or []])
        for hostname, messages in sorted(replies.items())
    ]
    return CeleryView(broker, workers)


def task_queues(settings: Settings) -> set[str]:
    """Every ``queue=`` the active DAGs' tasks name, from their serialised specs."""
    with transaction(read_database(settings)) as session:
        specs = session.scalars(select(DagRow.spec).where(col(DagRow.is_active).is_(True)))
        return {
            str(task.get("queue") or DEFAULT_QUEUE)
            for spec in specs
            for task in (spec or {}).get("tasks", [])
        }


def queue_depths(settings: Settings, queues: set[str]) -> dict[str, int]:
    """Messages waiting in each of ``queues`` (and the default queue), read on the broker.

    A queue the broker does not know yet (no try was ever routed to it) holds 0 messages.
    """
    app = _probe_app(settings, INSPECT_TIMEOUT_S)
    depths: dict[str, int] = {}
    try:
        with app.connection_for_read() as connection:
            for name in sorted(queues | {DEFAULT_QUEUE}):
                depths[name] = _depth(connection, name)
    finally:
        app.close()
    return depths


def _probe_app(settings: Settings, timeout: float) -> Any:
    """The Celery app of ``settings`` for a quick look: a broker that is down is reported
    after one short attempt (a health check must answer), not waited for like a worker does."""
    app = make_celery_app(settings)
    app.conf.update(broker_connection_timeout=timeout, broker_connection_max_retries=0)
    return app


def _depth(connection: Any, name: str) -> int:
    channel = connection.channel()
    try:
        _queue, count, _consumers = channel.queue_declare(queue=name, passive=True)
        return int(count)
    except Exception as exc:  # AMQP answers an unknown queue with 404 NOT_FOUND
        if getattr(exc, "code", None) == 404 or "NOT_FOUND" in str(exc):
            return 0
        raise
    finally:
        # A channel the 404 closed already has nothing left to close.
        with contextlib.suppress(Exception):
            channel.close()


def _label(message: dict[str, Any]) -> str:
    """``dag/run/task[map]#try`` of an active Celery message carrying a Baton try."""
    args = message.get("args") or []
    body = args[0] if args and isinstance(args[0], dict) else {}
    if not body.get("dag_id"):
        return str(message.get("name") or message.get("id") or "?")
    map_index = body.get("map_index", -1)
    suffix = f"[{map_index}]" if map_index not in (-1, None) else ""
    kind = " (compensation)" if body.get("compensation") else ""
    return (
        f"{body['dag_id']}/{body.get('run_id')}/{body.get('task_id')}{suffix}"
        f"#{body.get('try_number')}{kind}"
    )


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {mask_url_password(str(exc))}"[:300]
