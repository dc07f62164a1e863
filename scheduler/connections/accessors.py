"""``conn`` and ``var`` in templates, as in Airflow: read lazily, only what a template names.

``{{ conn.my_api.host }}``, ``{{ conn.get("my-api").login }}``, ``{{ var.value.region }}``,
``{{ var.value.get("region", "eu") }}``, ``{{ var.json.settings.retries }}``. A template
that names nothing pays nothing: no environment or database lookup happens until then.
"""

from __future__ import annotations

import json
from typing import Any

from scheduler.connections.connection import Connection
from scheduler.connections.lookup import get_connection
from scheduler.connections.variable import Variable
from scheduler.errors import ConnectionNotFoundError


class ConnectionAccessor:
    """``context["conn"]``: ``conn.<conn_id>`` or ``conn.get(conn_id, default)``."""

    def __getattr__(self, conn_id: str) -> Connection:
        if conn_id.startswith("__"):  # copy/pickle probing, not a template
            raise AttributeError(conn_id)
        return get_connection(conn_id)

    def get(self, conn_id: str, default_conn: Any = None) -> Any:
        try:
            return get_connection(conn_id)
        except ConnectionNotFoundError:
            return default_conn

    def __repr__(self) -> str:
        return "<connections accessor: conn.<conn_id>>"


class _VariableValues:
    """``var.value``: variables as text."""

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        return Variable.get(key)

    def get(self, key: str, default_var: Any = None) -> Any:
        return Variable.get(key, default_var)

    def __repr__(self) -> str:
        return "<variables accessor: var.value.<key>>"


class _VariableJson:
    """``var.json``: variables parsed as JSON, so ``var.json.key.sub`` walks into them."""

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        return Variable.get(key, deserialize_json=True)

    def get(self, key: str, default_var: Any = None) -> Any:
        value = Variable.get(key, None)
        return default_var if value is None else json.loads(value)

    def __repr__(self) -> str:
        return "<variables accessor: var.json.<key>>"


class VariableAccessor:
    """``context["var"]``: ``var.value.<key>`` and ``var.json.<key>``."""

    def __init__(self) -> None:
        self.value = _VariableValues()
        self.json = _VariableJson()

    def __repr__(self) -> str:
        return "<variables accessor: var.value / var.json>"
