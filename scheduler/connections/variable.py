"""``Variable``: a named value shared by DAGs, as in Airflow (``Variable.get("key")``).

Read from ``BATON_VAR_<KEY>`` first, then the database (encrypted at rest). A variable whose
key looks sensitive (``api_key``, ``db_password``...) is masked in logs once it is read.
"""

from __future__ import annotations

import json
from typing import Any

from scheduler.connections import store
from scheduler.connections.lookup import get_variable, mask_variable, writing
from scheduler.errors import VariableNotFoundError
from scheduler.settings import Settings

_NOTSET: Any = object()


class Variable:
    """Class methods only: ``Variable.get``, ``Variable.set``, ``Variable.delete``."""

    @classmethod
    def get(
        cls,
        key: str,
        default: Any = _NOTSET,
        deserialize_json: bool = False,
        *,
        default_var: Any = _NOTSET,
    ) -> Any:
        """The value of ``key`` (parsed as JSON with ``deserialize_json``).

        Without a default, a missing key raises ``VariableNotFoundError`` (a ``KeyError``).
        ``default_var`` is Airflow 2's name for ``default``.
        """
        default = default if default is not _NOTSET else default_var
        value = get_variable(key)
        if value is None:
            if default is _NOTSET:
                raise VariableNotFoundError(
                    f"variable '{key}' is not set; set it with `baton variables set {key} "
                    f"VALUE` or the environment variable BATON_VAR_{key.upper()}, or pass "
                    "a default to Variable.get"
                )
            return default
        return json.loads(value) if deserialize_json else value

    @classmethod
    def set(
        cls,
        key: str,
        value: Any,
        description: str | None = None,
        serialize_json: bool = False,
    ) -> None:
        """Store ``value`` (as JSON text with ``serialize_json``, else ``str(value)``)."""
        text = json.dumps(value, indent=2) if serialize_json else str(value)
        mask_variable(key, text)
        with writing(Settings.from_env()) as (session, cipher):
            store.put_variable(session, cipher, key, text, description)

    @classmethod
    def delete(cls, key: str) -> bool:
        """Remove ``key`` from the database; False when it was not there."""
        with writing(Settings.from_env()) as (session, _):
            return store.delete_variable(session, key)
