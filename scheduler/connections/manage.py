"""What users do with connections and variables: the CLI (and the web UI) call these.

Each function takes the settings and opens its own short transaction. Listings include the
``BATON_CONN_*`` / ``BATON_VAR_*`` ones of this process's environment, marked as such,
because those win over the database at lookup time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken

from scheduler.connections import store
from scheduler.connections.connection import Connection
from scheduler.connections.crypto import get_fernet, key_file, load_keys, write_key_file
from scheduler.connections.lookup import (
    CONN_ENV_PREFIX,
    VAR_ENV_PREFIX,
    connection_from_env,
    mask_variable,
    reading,
    writing,
)
from scheduler.errors import BatonError, ConnectionNotFoundError, FernetKeyError
from scheduler.masking import secrets_generation
from scheduler.settings import Settings
from scheduler.throttle import ThrottlePolicy


@dataclass(frozen=True)
class Listed:
    """A connection or variable and where it is defined: ``database`` or ``env``."""

    source: str
    connection: Connection | None = None
    variable: store.StoredVariable | None = None


def add_connection(settings: Settings, conn: Connection) -> None:
    """Store a new connection; an existing conn_id is an error (delete it first), and so are
    ``adaptive*`` extras the throttle could not use (said now, not at the first call)."""
    ThrottlePolicy.from_extra(conn.extra, conn.conn_id)
    with writing(settings) as (session, cipher):
        if store.read_connection(session, cipher, conn.conn_id) is not None:
            raise BatonError(
                f"connection '{conn.conn_id}' already exists; delete it first with "
                f"`baton connections delete {conn.conn_id}`"
            )
        store.put_connection(session, cipher, conn)


def delete_connection(settings: Settings, conn_id: str) -> None:
    with writing(settings) as (session, _):
        if not store.delete_connection(session, conn_id):
            raise ConnectionNotFoundError(
                f"connection '{conn_id}' is not in the database; `baton connections list` "
                "shows the ones that are"
            )


def list_connections(settings: Settings) -> list[Listed]:
    with reading(settings) as (session, cipher):
        stored = store.list_connections(session, cipher)
    listed = [Listed("database", connection=c) for c in stored]
    for name in sorted(os.environ):
        if name.startswith(CONN_ENV_PREFIX) and os.environ[name].strip():
            conn_id = name[len(CONN_ENV_PREFIX) :].lower()
            conn = connection_from_env(conn_id, {name: os.environ[name]})
            if conn is not None:
                listed.append(Listed("env", connection=conn))
    return listed


def set_variable(settings: Settings, key: str, value: str, description: str | None = None) -> None:
    with writing(settings) as (session, cipher):
        store.put_variable(session, cipher, key, value, description)


def delete_variable(settings: Settings, key: str) -> None:
    with writing(settings) as (session, _):
        if not store.delete_variable(session, key):
            raise BatonError(
                f"variable '{key}' is not in the database; `baton variables list` shows "
                "the ones that are"
            )


def list_variables(settings: Settings) -> list[Listed]:
    with reading(settings) as (session, cipher):
        stored = store.list_variables(session, cipher)
    listed = [Listed("database", variable=v) for v in stored]
    for name in sorted(os.environ):
        if name.startswith(VAR_ENV_PREFIX):
            key = name[len(VAR_ENV_PREFIX) :].lower()
            variable = store.StoredVariable(key, os.environ[name], None)
            listed.append(Listed("env", variable=variable))
    return listed


def mask_stored_secrets(settings: Settings) -> None:
    """Register every connection's and sensitive variable's secrets with this process's
    masker: for processes that show task data without reading connections themselves (the
    web UI, the API), so that their ``redact`` knows what to hide."""
    for item in list_connections(settings):
        if item.connection is not None:
            item.connection.mask_secrets()
    for item in list_variables(settings):
        if item.variable is not None:
            mask_variable(item.variable.key, item.variable.value)


_registered: dict[str, object] = {}
"""Database URL -> what was stored (and in the environment) when this process last
registered the secrets of that database."""


def mask_changed_secrets(settings: Settings) -> None:
    """``mask_stored_secrets`` unless nothing it would read changed since this process last
    ran it: a reader that polls (the live tail, every second) pays one small query per
    table instead of decrypting every stored secret (~10 ms for 20 connections and 20
    variables). Added, changed or deleted rows, different ``BATON_CONN_*``/``BATON_VAR_*``
    variables or a cleared masker all register again."""
    with reading(settings) as (session, _cipher):
        stamp = (store.stored_stamp(session), _environment_secrets(), secrets_generation())
    if _registered.get(settings.database_url) != stamp:
        mask_stored_secrets(settings)
        _registered[settings.database_url] = stamp


def _environment_secrets() -> tuple[tuple[str, str], ...]:
    return tuple(
        sorted(
            (name, value)
            for name, value in os.environ.items()
            if name.startswith((CONN_ENV_PREFIX, VAR_ENV_PREFIX))
        )
    )


@dataclass(frozen=True)
class Rotation:
    values: int
    """How many stored values were re-encrypted."""
    key_file_rotated: bool
    """True when a new key was generated into the key file (no BATON_FERNET_KEY)."""


def rotate_fernet_key(settings: Settings) -> Rotation:
    """Re-encrypt every stored secret with the newest key.

    With ``BATON_FERNET_KEY="new,old"``: everything moves to ``new``; drop ``old`` after.
    With the generated key file: a new key is generated and put first in the file, the
    secrets are re-encrypted, then the old key is removed. A crash in between leaves both
    keys in the file, so nothing becomes unreadable; running the command again finishes.
    """
    if settings.fernet_key.strip():
        return Rotation(_reencrypt(settings), key_file_rotated=False)
    old = load_keys(settings)
    new = Fernet.generate_key().decode()
    write_key_file(settings, [new, *old])
    count = _reencrypt(settings)
    write_key_file(settings, [new])
    return Rotation(count, key_file_rotated=True)


def _reencrypt(settings: Settings) -> int:
    fernet = get_fernet(settings)
    try:
        with writing(settings) as (session, _):
            return store.reencrypt_all(session, fernet)
    except InvalidToken:
        where = "BATON_FERNET_KEY" if settings.fernet_key.strip() else key_file(settings)
        raise FernetKeyError(
            f"a stored value cannot be decrypted with any key in {where}; nothing was "
            "changed. Add the key it was encrypted with after the new one (new,old) and retry"
        ) from None
