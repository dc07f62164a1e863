"""What ``baton breakers list``, the breakers page and the REST API show of the throttles."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from scheduler.breakers import engine_for
from scheduler.settings import Settings
from scheduler.store.db import transaction
from scheduler.throttle import store
from scheduler.throttle.aimd import PAUSED, ThrottleView


def throttle_row(view: ThrottleView, now: datetime) -> dict[str, Any]:
    """One connection's throttle as a plain dict (rates in calls per second)."""
    return {
        "conn_id": view.conn_id,
        "state": view.state(now),
        "rate": round(view.rate, 3),
        "max_rate": round(view.max_rate, 3),
        "ceiling": round(view.ceiling, 3) if view.ceiling is not None else None,
        "paused_until": view.paused_until if view.state(now) == PAUSED else None,
        "calls": view.calls,
        "overloads": view.overloads,
        "latency_s": round(view.latency_ewma_s, 4) if view.latency_ewma_s is not None else None,
        "last_signal": view.last_signal,
        "last_signal_at": view.last_signal_at,
    }


def throttle_rows_in(session: Session) -> list[dict[str, Any]]:
    """Every connection's throttle, by conn_id, read in the caller's transaction."""
    now = datetime.now(UTC)
    return [throttle_row(view, now) for view in store.list_throttles(session)]


def throttle_rows(settings: Settings) -> list[dict[str, Any]]:
    """Every connection's throttle, by conn_id (a connection gets one at its first call)."""
    with transaction(engine_for(settings.database_url, write=False)) as session:
        return throttle_rows_in(session)


def beside_breakers(
    breakers: list[dict[str, Any]], throttles: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``baton breakers list``'s rows: each breaker row with its connection's throttle
    (``throttle``: its state, ``throttle_rate``/``throttle_max_rate`` in calls/s, ``None``
    when the connection is not adaptive); a throttle without a breaker gets a row too."""
    by_conn = {row["conn_id"]: row for row in throttles}
    merged = [{**row, **_throttle_columns(by_conn.pop(row["conn_id"], None))} for row in breakers]
    merged += [{"conn_id": conn_id, **_throttle_columns(row)} for conn_id, row in by_conn.items()]
    return sorted(merged, key=lambda row: row["conn_id"])


def _throttle_columns(row: dict[str, Any] | None) -> dict[str, Any]:
    row = row or {}
    return {
        "throttle": row.get("state"),
        "throttle_rate": row.get("rate"),
        "throttle_max_rate": row.get("max_rate"),
        "throttle_paused_until": row.get("paused_until"),
        "throttle_last_signal": row.get("last_signal"),
    }
