"""``BaseHook``: the base class of hooks, the clients of outside systems (Airflow's name).

A hook wraps one connection: it reads it with ``get_connection(conn_id)`` and builds the
client in ``get_conn()``. Operators own no client code; they make a hook and call it. A hook
may define ``test_connection() -> (ok, message)``: ``baton connections test`` calls it for
connections of the hook's ``conn_type`` when a plugin registers the hook for that type.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, ClassVar

from scheduler.connections.connection import Connection
from scheduler.connections.lookup import get_connection


class BaseHook:
    """Subclass it and set the class attributes below, as in Airflow."""

    conn_name_attr: ClassVar[str] = "conn_id"
    """Name of the constructor argument that takes the connection id."""
    default_conn_name: ClassVar[str] = "default_conn_id"
    """The connection used when none is given, e.g. ``"http_default"``."""
    conn_type: ClassVar[str] = ""
    """The ``conn_type`` of the connections this hook reads, e.g. ``"http"``."""
    hook_name: ClassVar[str] = ""
    """A human name for the connection type, e.g. ``"HTTP"``."""

    def __init__(self, logger_name: str | None = None) -> None:
        self._log = logging.getLogger(logger_name or f"baton.hooks.{type(self).__name__}")

    @property
    def log(self) -> logging.Logger:
        """A logger whose lines land in the try's log when the hook runs in a task."""
        return self._log

    @classmethod
    def get_connection(cls, conn_id: str) -> Connection:
        """The connection ``conn_id`` (environment, then database); its secrets are masked."""
        return get_connection(conn_id)

    def wait_for_rate_limit(self, conn: Connection) -> float:
        """Wait for a token of ``conn``'s ``rate_limit`` extra (shared by every worker and
        scheduler through the database) before one call; a no-op without one. Returns the
        seconds waited; ``RateLimitTimeoutError`` past ``rate_limit_timeout_s``. On an
        ``adaptive`` connection it waits for a turn at the adaptive rate instead, but
        judges nothing: ``throttled_call`` also tells the throttle how the call went."""
        from scheduler.throttle import wait_for_turn  # late: hooks stay light

        return wait_for_turn(conn)

    def throttled_call(
        self,
        conn: Connection,
        is_overload: Callable[[BaseException], bool] | None = None,
        *,
        judge_latency: bool = True,
    ) -> AbstractContextManager[Any]:
        """A context manager around one call: it waits for the call's turn (the adaptive
        rate of ``{"adaptive": true}``, else the fixed ``rate_limit``) and counts the outcome;
        inside, ``call.overloaded(reason, retry_after_s)`` reports a push-back. An exception
        counts as one when ``is_overload(exc)`` is true, and a lasting rise in latency does
        too unless ``judge_latency=False``. See ``scheduler.throttle``."""
        from scheduler.throttle import throttled  # late: hooks stay light

        return throttled(conn, is_overload=is_overload, judge_latency=judge_latency)

    def get_conn(self) -> Any:
        """The client of the outside system; every hook implements it."""
        raise NotImplementedError(
            f"{type(self).__name__} does not implement get_conn(); hooks return their client there"
        )
