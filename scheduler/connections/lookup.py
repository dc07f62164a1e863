"""Finding a connection or a variable: the environment first, then the database.

This is what a task calls, in a worker, in the middle of a try: the settings (and so the
database URL and the Fernet key) come from ``Settings.from_env()``, which the worker
inherited from the scheduler. Every secret found is registered with the masker before it is
returned, so a task cannot print it into its log.

* ``BATON_CONN_<CONN_ID>``: a connection URI or a JSON object (Airflow's ``AIRFLOW_CONN_*``).
* ``BATON_VAR_<KEY>``: a variable's value (Airflow's ``AIRFLOW_VAR_*``).

The name is the id upper-cased; ``-``, ``.`` and spaces may be written as ``_``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from scheduler.connections import store
from scheduler.connections.connection import Connection
from scheduler.connections.crypto import get_fernet
from scheduler.errors import ConnectionNotFoundError, DatabaseNotReadyError
from scheduler.masking import is_sensitive_key, mask_secret, mask_sensitive_fields
from scheduler.settings import Settings, mask_url_password
from scheduler.store.db import make_engine, transaction

CONN_ENV_PREFIX = "BATON_CONN_"
VAR_ENV_PREFIX = "BATON_VAR_"

# Per process (a forked worker must not reuse its parent's SQLite connections) and per URL.
_engines: dict[tuple[int, str, bool], Engine] = {}


def env_names(prefix: str, ident: str) -> list[str]:
    """The variable names that may hold ``ident``: exact upper case, then with ``_``."""
    exact = f"{prefix}{ident.upper()}"
    loose = f"{prefix}{re.sub(r'[^A-Za-z0-9_]', '_', ident).upper()}"
    return [exact] if loose == exact else [exact, loose]


def connection_from_env(conn_id: str, env: Mapping[str, str] | None = None) -> Connection | None:
    """The connection ``BATON_CONN_<ID>`` describes, or None when it is not set."""
    env = os.environ if env is None else env
    for name in env_names(CONN_ENV_PREFIX, conn_id):
        text = env.get(name)
        if text is not None and text.strip():
            text = text.strip()
            if text.startswith("{"):
                return Connection.from_json(conn_id, text)
            return Connection.from_uri(conn_id, text)
    return None


def variable_from_env(key: str, env: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    for name in env_names(VAR_ENV_PREFIX, key):
        if name in env:
            return env[name]
    return None


def get_connection(conn_id: str, settings: Settings | None = None) -> Connection:
    """The connection ``conn_id``; ``ConnectionNotFoundError`` says how to define it."""
    conn = connection_from_env(conn_id)
    if conn is None:
        settings = settings or Settings.from_env()
        with reading(settings) as (session, cipher):
            conn = store.read_connection(session, cipher, conn_id)
    if conn is None:
        raise ConnectionNotFoundError(not_found_message(conn_id))
    conn.mask_secrets()
    return conn


def get_variable(key: str, settings: Settings | None = None) -> str | None:
    """The variable's text (environment, then database), or None when it is not set."""
    value = variable_from_env(key)
    if value is None:
        settings = settings or Settings.from_env()
        with reading(settings) as (session, cipher):
            stored = store.read_variable(session, cipher, key)
        value = None if stored is None else stored.value
    if value is not None:
        mask_variable(key, value)
    return value


def mask_variable(key: str, value: str) -> None:
    """A sensitive key hides the whole value; a JSON value hides its sensitive fields."""
    if is_sensitive_key(key):
        mask_secret(value)
    if value.lstrip().startswith(("{", "[")):
        with suppress(ValueError):  # not JSON after all: nothing nested to mask
            mask_sensitive_fields(json.loads(value))


def not_found_message(conn_id: str) -> str:
    return (
        f"connection '{conn_id}' is not defined; add it with `baton connections add {conn_id} "
        f"--conn-uri TYPE://LOGIN:PASSWORD@HOST:PORT/SCHEMA` or set the environment variable "
        f"{env_names(CONN_ENV_PREFIX, conn_id)[-1]} to its URI"
    )


def engine(settings: Settings, write: bool = False) -> Engine:
    """This process's engine for ``settings`` (one per process, URL and access mode)."""
    ident = (os.getpid(), settings.database_url, write)
    found = _engines.get(ident)
    if found is None:
        found = _engines[ident] = make_engine(settings.database_url, write=write)
    return found


@contextmanager
def reading(settings: Settings) -> Iterator[tuple[Session, store.Cipher]]:
    with _schema_errors(settings), transaction(engine(settings)) as session:
        yield session, store.Cipher(get_fernet(settings), settings)


@contextmanager
def writing(settings: Settings) -> Iterator[tuple[Session, store.Cipher]]:
    with _schema_errors(settings), transaction(engine(settings, write=True)) as session:
        yield session, store.Cipher(get_fernet(settings), settings)


@contextmanager
def _schema_errors(settings: Settings) -> Iterator[None]:
    # Not alembic's check_schema: this module is imported by every DAG file (through
    # BaseHook), which should not pay for importing alembic. A missing table says enough.
    try:
        yield
    except (OperationalError, ProgrammingError) as exc:
        if "connection" not in str(exc) and "variable" not in str(exc):
            raise
        raise DatabaseNotReadyError(
            f"the database {mask_url_password(settings.database_url)} has no connection/"
            f"variable tables ({exc.orig}); run `baton db migrate`"
        ) from None
