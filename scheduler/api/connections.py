"""Connections as the web UI (and the CLI) manage them: every change is audited in the
event log, and nothing here returns a secret to a caller that shows it.

Secrets are the password and every value of the extra (``Connection.redacted`` hides them
all: tokens hide under names no list of words foresees). An edit sends them back only if
the user typed new ones: a blank password and extra values left as ``***`` keep what is
stored, as Airflow's connection form does.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from scheduler.api.monitoring import record_event
from scheduler.connections import Connection, manage
from scheduler.connections import store as connection_store
from scheduler.connections.lookup import reading, writing
from scheduler.errors import BatonError, ConnectionNotFoundError
from scheduler.masking import REDACTED
from scheduler.plugins import check_connection, process_plugins
from scheduler.plugins.connection_check import ConnectionCheck
from scheduler.settings import Settings
from scheduler.store.events import process_source
from scheduler.throttle import ThrottlePolicy

CONN_ID_MAX = 250


def list_connections(settings: Settings) -> list[manage.Listed]:
    """The stored connections and the ``BATON_CONN_*`` ones (secrets inside: show
    ``connection.redacted()`` only)."""
    return manage.list_connections(settings)


def get_stored_connection(settings: Settings, conn_id: str) -> Connection:
    """The stored connection ``conn_id`` (not an environment one), or ConnectionNotFoundError."""
    with reading(settings) as (session, cipher):
        conn = connection_store.read_connection(session, cipher, conn_id)
    if conn is None:
        raise ConnectionNotFoundError(
            f"connection '{conn_id}' is not in the database; the connections page lists "
            "the ones that are"
        )
    return conn


def create_connection(settings: Settings, conn: Connection, *, source: str | None = None) -> None:
    """Store a new connection; its id must be new."""
    check_conn_id(conn.conn_id)
    manage.add_connection(settings, conn)
    _audit(settings, "connection_create", conn, source)


def update_connection(
    settings: Settings,
    conn: Connection,
    *,
    keep_password: bool,
    source: str | None = None,
) -> Connection:
    """Replace stored connection ``conn.conn_id`` with ``conn``. With ``keep_password`` the
    stored password stays; extra values given as ``***`` keep their stored values."""
    with writing(settings) as (session, cipher):
        stored = connection_store.read_connection(session, cipher, conn.conn_id)
        if stored is None:
            raise ConnectionNotFoundError(
                f"connection '{conn.conn_id}' is not in the database (deleted meanwhile?); "
                "create it again"
            )
        merged = replace(
            conn,
            password=stored.password if keep_password else conn.password,
            extra=merge_extra(stored.extra, conn.extra),
        )
        ThrottlePolicy.from_extra(merged.extra, merged.conn_id)  # bad adaptive* extras: now
        connection_store.put_connection(session, cipher, merged)
    _audit(settings, "connection_update", merged, source)
    return merged


def merge_extra(stored: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """The extra a form sent, where a value still ``***`` means "the stored value"."""
    merged = {}
    for key, value in sent.items():
        if value == REDACTED:
            if key not in stored:
                raise BatonError(
                    f"extra field '{key}' is '***', the mask of a stored value, but no value "
                    "is stored under that key; type the value itself"
                )
            merged[key] = stored[key]
        else:
            merged[key] = value
    return merged


def delete_connection(settings: Settings, conn_id: str, *, source: str | None = None) -> None:
    manage.delete_connection(settings, conn_id)
    record_event(
        settings,
        "connection_delete",
        source or process_source("cli"),
        detail=f"connection '{conn_id}' deleted",
    )


def test_connection(
    settings: Settings, conn_id: str, *, source: str | None = None
) -> ConnectionCheck:
    """Test ``conn_id`` with its type's hook (as ``baton connections test``); the outcome is
    in the event log too. ``BatonError`` when no plugin's hook can test its type."""
    result = check_connection(settings, process_plugins(settings), conn_id)
    verdict = "OK" if result.ok else "FAILED"
    record_event(
        settings,
        "connection_test",
        source or process_source("cli"),
        detail=f"connection '{conn_id}' tested: {verdict}: {result.message}"[:2000],
    )
    return result


def check_conn_id(conn_id: str) -> str:
    bad = not conn_id or len(conn_id) > CONN_ID_MAX or not conn_id.isprintable()
    if bad or any(c in conn_id for c in " /?#"):
        raise BatonError(
            f"connection id {conn_id!r} is not valid; use 1 to {CONN_ID_MAX} printable "
            "characters without spaces, '/', '?' or '#', e.g. 'my_api'"
        )
    return conn_id


def _audit(settings: Settings, event: str, conn: Connection, source: str | None) -> None:
    # What changed, never a value of the password or the extra: only which extra keys exist.
    keys = ", ".join(sorted(conn.extra)) or "none"
    detail = (
        f"connection '{conn.conn_id}' (type {conn.conn_type or '-'}, host {conn.host or '-'}, "
        f"password {'set' if conn.password else 'none'}, extra keys: {keys})"
    )
    record_event(settings, event, source or process_source("cli"), detail=detail)
