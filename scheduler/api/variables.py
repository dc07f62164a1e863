"""Variables as the web UI manages them: set, delete, import and export as JSON; every
change audited in the event log (keys only, never values).

A variable whose key looks sensitive (``api_key``, ``db_password``...) is never shown: it
is ``***`` in listings and exports, an edit that leaves its value blank keeps it, and an
import that carries ``***`` for it keeps the stored value (an export re-imported changes
nothing). ``baton variables get KEY --reveal`` prints such a value for whoever may read it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from scheduler.api.monitoring import record_event
from scheduler.connections import manage
from scheduler.connections import store as connection_store
from scheduler.connections.lookup import reading
from scheduler.errors import BatonError, VariableNotFoundError
from scheduler.masking import REDACTED, is_sensitive_key, redact_value
from scheduler.settings import Settings
from scheduler.store.events import process_source

KEY_MAX = 250


@dataclass(frozen=True)
class ShownVariable:
    """A variable as a page may show it: ``value`` has its secrets masked; ``sensitive``
    when something in it is (then an edit form must not send the shown text back)."""

    key: str
    value: str
    description: str | None
    source: str  # database | env
    sensitive: bool
    is_json: bool


@dataclass(frozen=True)
class Imported:
    set_keys: list[str]
    kept_keys: list[str]  # sent as *** (a masked export): the stored value stays


def shown_variables(settings: Settings) -> list[ShownVariable]:
    return [
        _shown(item.variable.key, item.variable.value, item.variable.description, item.source)
        for item in manage.list_variables(settings)
        if item.variable is not None
    ]


def shown_variable(settings: Settings, key: str) -> ShownVariable:
    """Stored variable ``key`` as a page may show it, or VariableNotFoundError."""
    with reading(settings) as (session, cipher):
        stored = connection_store.read_variable(session, cipher, key)
    if stored is None:
        raise VariableNotFoundError(
            f"variable '{key}' is not in the database; the variables page lists the ones that are"
        )
    return _shown(stored.key, stored.value, stored.description, "database")


def is_stored(settings: Settings, key: str) -> bool:
    with reading(settings) as (session, cipher):
        return connection_store.read_variable(session, cipher, key) is not None


def set_variable(
    settings: Settings,
    key: str,
    value: str | None,
    description: str | None,
    *,
    as_json: bool = False,
    source: str | None = None,
) -> None:
    """Create or change variable ``key``. ``value=None`` keeps the stored value (a sensitive
    variable's edit form sends nothing back); ``as_json`` refuses a value that is not JSON
    and stores it pretty-printed."""
    check_key(key)
    if value is None:
        value = _stored_value(settings, key)
    elif as_json:
        value = json_text(key, value)
    manage.set_variable(settings, key, value, description)
    _audit(settings, "variable_set", f"variable '{key}' set", source)


def delete_variable(settings: Settings, key: str, *, source: str | None = None) -> None:
    manage.delete_variable(settings, key)
    _audit(settings, "variable_delete", f"variable '{key}' deleted", source)


def export_variables(settings: Settings) -> dict[str, Any]:
    """The stored variables as one JSON object (Airflow's ``variables export`` format: JSON
    values as JSON, others as strings); sensitive ones as ``***``."""
    exported: dict[str, Any] = {}
    for item in manage.list_variables(settings):
        variable = item.variable
        if item.source != "database" or variable is None:
            continue
        if is_sensitive_key(variable.key):
            exported[variable.key] = REDACTED
            continue
        try:
            exported[variable.key] = redact_value(json.loads(variable.value))
        except ValueError:
            exported[variable.key] = redact_value(variable.value)
    return exported


def import_variables(settings: Settings, text: str, *, source: str | None = None) -> Imported:
    """Set every variable of a JSON object ``{"key": value}`` in one go (Airflow's
    ``variables import``): strings as they are, other values as JSON text."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BatonError(
            f"the file is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if not isinstance(data, dict):
        raise BatonError(
            'a variables file is one JSON object {"key": value, ...}, not a '
            f"{type(data).__name__}"
        )
    for key in data:
        check_key(key)
    set_keys, kept = [], []
    for key, value in data.items():
        if value == REDACTED:
            kept.append(key)
            continue
        text_value = value if isinstance(value, str) else json.dumps(value, indent=2)
        manage.set_variable(settings, key, text_value)
        set_keys.append(key)
    detail = f"variables imported: {', '.join(set_keys) or 'none'}"
    if kept:
        detail += f"; kept (sent as ***): {', '.join(kept)}"
    _audit(settings, "variable_import", detail, source)
    return Imported(set_keys, kept)


def json_text(key: str, value: str) -> str:
    """``value`` checked as JSON and pretty-printed, or BatonError saying where it breaks."""
    try:
        return json.dumps(json.loads(value), indent=2)
    except json.JSONDecodeError as exc:
        raise BatonError(
            f"the value of variable '{key}' is not valid JSON: {exc.msg} at line "
            f"{exc.lineno} column {exc.colno}; fix it or untick 'JSON'"
        ) from None


def check_key(key: Any) -> str:
    if not isinstance(key, str) or not key or len(key) > KEY_MAX or not key.isprintable():
        raise BatonError(
            f"variable key {key!r} is not valid; use 1 to {KEY_MAX} printable characters"
        )
    return key


def _stored_value(settings: Settings, key: str) -> str:
    with reading(settings) as (session, cipher):
        stored = connection_store.read_variable(session, cipher, key)
    if stored is None:
        raise BatonError(f"variable '{key}' needs a value: it is not stored yet")
    return stored.value


def _shown(key: str, value: str, description: str | None, source: str) -> ShownVariable:
    sensitive = is_sensitive_key(key)
    try:
        parsed = json.loads(value)
        is_json = isinstance(parsed, dict | list)
    except ValueError:
        parsed, is_json = None, False
    if sensitive:
        shown = REDACTED
    elif is_json:
        shown = json.dumps(redact_value(parsed), indent=2)
        # A JSON value with a masked field is edited whole or kept: a form sending the
        # mask back would store "***" in place of the secret.
        sensitive = shown != json.dumps(parsed, indent=2)
    else:
        shown = redact_value(value)
        sensitive = shown != value
    return ShownVariable(key, shown, description, source, sensitive, is_json)


def _audit(settings: Settings, event: str, detail: str, source: str | None) -> None:
    record_event(settings, event, source or process_source("cli"), detail=detail)
