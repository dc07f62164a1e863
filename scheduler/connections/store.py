"""Connections and variables in the database: functions that take a session and a Fernet.

Secrets are encrypted here, on the way in, and decrypted on the way out; nothing else in
Baton sees a Fernet token. ``reencrypt_all`` is the heart of ``baton rotate-fernet-key``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.fernet import MultiFernet
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from scheduler.connections.connection import Connection
from scheduler.connections.crypto import decrypt, encrypt
from scheduler.settings import Settings
from scheduler.store.models_connections import ConnectionRow, VariableRow
from scheduler.store.sqlmodel_boundary import execute_write


@dataclass(frozen=True)
class Cipher:
    """The Fernet and the settings it came from (named in decryption errors)."""

    fernet: MultiFernet
    settings: Settings

    def encrypt(self, text: str | None) -> str | None:
        return encrypt(self.fernet, text)

    def decrypt(self, token: str | None, what: str) -> str | None:
        return decrypt(self.fernet, token, what, self.settings)


@dataclass(frozen=True)
class StoredVariable:
    key: str
    value: str
    description: str | None


def stored_stamp(session: Session) -> tuple[tuple[object, ...], ...]:
    """What changes whenever a connection or a variable is added, changed or deleted: each
    table's row count, highest id and latest update (one small query per table)."""
    return tuple(
        tuple(
            session.execute(
                select(func.count(), func.max(col(table.id)), func.max(col(table.updated_at)))
            ).one()
        )
        for table in (ConnectionRow, VariableRow)
    )


def _now() -> datetime:
    return datetime.now(UTC)


def read_connection(session: Session, cipher: Cipher, conn_id: str) -> Connection | None:
    row = session.scalars(
        select(ConnectionRow).where(col(ConnectionRow.conn_id) == conn_id)
    ).first()
    return None if row is None else _connection(row, cipher)


def list_connections(session: Session, cipher: Cipher) -> list[Connection]:
    rows = session.scalars(select(ConnectionRow).order_by(col(ConnectionRow.conn_id)))
    return [_connection(row, cipher) for row in rows]


def put_connection(session: Session, cipher: Cipher, conn: Connection) -> bool:
    """Insert or replace ``conn``; True when it replaced an existing one."""
    row = session.scalars(
        select(ConnectionRow).where(col(ConnectionRow.conn_id) == conn.conn_id)
    ).first()
    existed = row is not None
    row = row or ConnectionRow(conn_id=conn.conn_id, conn_type="", updated_at=_now())
    row.conn_type = conn.conn_type
    row.description = conn.description
    row.host, row.schema_, row.login, row.port = conn.host, conn.schema, conn.login, conn.port
    row.password = cipher.encrypt(conn.password)
    row.extra = cipher.encrypt(json.dumps(conn.extra)) if conn.extra else None
    row.updated_at = _now()
    session.add(row)
    return existed


def delete_connection(session: Session, conn_id: str) -> bool:
    result = execute_write(
        session, delete(ConnectionRow).where(col(ConnectionRow.conn_id) == conn_id)
    )
    return bool(result.rowcount)


def read_variable(session: Session, cipher: Cipher, key: str) -> StoredVariable | None:
    row = session.scalars(select(VariableRow).where(col(VariableRow.key) == key)).first()
    return None if row is None else _variable(row, cipher)


def list_variables(session: Session, cipher: Cipher) -> list[StoredVariable]:
    rows = session.scalars(select(VariableRow).order_by(col(VariableRow.key)))
    return [_variable(row, cipher) for row in rows]


def put_variable(
    session: Session, cipher: Cipher, key: str, value: str, description: str | None = None
) -> None:
    row = session.scalars(select(VariableRow).where(col(VariableRow.key) == key)).first()
    row = row or VariableRow(key=key, val="", updated_at=_now())
    row.val = cipher.encrypt(value) or ""
    if description is not None:
        row.description = description
    row.updated_at = _now()
    session.add(row)


def delete_variable(session: Session, key: str) -> bool:
    result = execute_write(session, delete(VariableRow).where(col(VariableRow.key) == key))
    return bool(result.rowcount)


def reencrypt_all(session: Session, fernet: MultiFernet) -> int:
    """Encrypt every stored secret with ``fernet``'s first key; returns how many values.

    ``MultiFernet.rotate`` decrypts with any of its keys, so the old key must still be in
    the list (``new,old``) while this runs.
    """
    count = 0
    for conn in session.scalars(select(ConnectionRow)):
        for column in ("password", "extra"):
            token = getattr(conn, column)
            if token is not None:
                setattr(conn, column, fernet.rotate(token.encode()).decode())
                count += 1
    for var in session.scalars(select(VariableRow)):
        var.val = fernet.rotate(var.val.encode()).decode()
        count += 1
    return count


def _connection(row: ConnectionRow, cipher: Cipher) -> Connection:
    extra = cipher.decrypt(row.extra, f"the extra of connection '{row.conn_id}'")
    return Connection(
        conn_id=row.conn_id,
        conn_type=row.conn_type,
        host=row.host,
        port=row.port,
        login=row.login,
        password=cipher.decrypt(row.password, f"the password of connection '{row.conn_id}'"),
        schema=row.schema_,
        extra=json.loads(extra) if extra else {},
        description=row.description,
    )


def _variable(row: VariableRow, cipher: Cipher) -> StoredVariable:
    value = cipher.decrypt(row.val, f"variable '{row.key}'") or ""
    return StoredVariable(row.key, value, row.description)
