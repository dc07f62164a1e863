"""JSON Schema checks of param values with the ``jsonschema`` package, as Airflow does them.

A schema without ``$schema`` is read as draft 2020-12 (jsonschema's default, and Airflow's),
with format checking on. The problem reported is jsonschema's ``best_match`` (the error
``jsonschema.validate`` would raise), so a message reads the same as in Airflow, e.g.
``0 is less than the minimum of 1``.

The formats the trigger form has inputs for are checked by Baton's own functions so the
answer does not depend on optional packages (jsonschema checks ``date-time`` only when
``rfc3339-validator`` is installed, ``duration`` only with ``isoduration``): ``date``
(``2024-01-31``), ``date-time`` (RFC 3339 with an offset, ``2024-01-31T06:00:00+00:00``),
``time`` (``06:00:00``, offset optional, as in Airflow's examples) and ``duration`` (ISO 8601,
``PT15M``, ``P1D``, ``P2W``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jsonschema

JSON_TYPES = ("string", "integer", "number", "boolean", "object", "array", "null")

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
_TIME = re.compile(r"\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?")
# P, then years to days and/or T with hours to seconds (at least one of each part), or weeks.
_DURATION = re.compile(
    r"P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?|P\d+W"
)


@dataclass(frozen=True)
class SchemaProblem:
    """Why a value breaks a schema: jsonschema's message and where inside the value.

    ``path`` is empty for the value itself, else the keys and indexes leading to the part
    that is wrong (``("retries",)`` for ``{"retries": -1}``).
    """

    message: str
    path: tuple[str | int, ...] = ()


def value_problem(value: Any, schema: Mapping[str, Any]) -> SchemaProblem | None:
    """What is wrong with ``value`` under ``schema``, or None when it is valid."""
    if not schema:
        return None  # a param without a schema accepts anything; skip loading jsonschema
    validator = _validator_class(schema)(schema, format_checker=_format_checker())
    error = _jsonschema().exceptions.best_match(validator.iter_errors(value))
    if error is None:
        return None
    return SchemaProblem(error.message, tuple(error.absolute_path))


def schema_problem(schema: Mapping[str, Any]) -> str | None:
    """Why ``schema`` is not a valid JSON Schema, or None when it is."""
    types = schema.get("type", [])
    for name in [types] if isinstance(types, str) else types:
        if name not in JSON_TYPES:
            return f"type {name!r} is not a JSON Schema type; use one of: {', '.join(JSON_TYPES)}"
    if not schema:
        return None
    try:
        _validator_class(schema).check_schema(schema)
    except _jsonschema().exceptions.SchemaError as exc:
        where = ".".join(str(part) for part in exc.absolute_path)
        return f"{where or 'the schema'}: {exc.message}"
    return None


@functools.cache
def _jsonschema() -> Any:
    # Imported on first use: ~50 ms that every `import scheduler` (each CLI command) would
    # pay otherwise, while only DAGs with typed params need it. The loader's warm-up DAG has
    # a typed param, so parse children inherit the loaded module instead of importing it.
    import jsonschema

    return jsonschema


def _validator_class(schema: Mapping[str, Any]) -> type[jsonschema.protocols.Validator]:
    return _jsonschema().validators.validator_for(schema)


@functools.cache
def _format_checker() -> jsonschema.FormatChecker:
    checker = _jsonschema().FormatChecker()
    checker.checks("date", raises=ValueError)(_is_date)
    checker.checks("date-time", raises=ValueError)(_is_date_time)
    checker.checks("time", raises=ValueError)(_is_time)
    checker.checks("duration")(_is_duration)
    return checker


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True  # formats apply to strings only; other types are the "type" keyword's job
    return bool(_DATE.fullmatch(value) and date.fromisoformat(value))


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(_DATE_TIME.fullmatch(value) and datetime.fromisoformat(value.upper()))


def _is_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(_TIME.fullmatch(value) and time.fromisoformat(value.upper()))


def _is_duration(value: object) -> bool:
    return not isinstance(value, str) or bool(_DURATION.fullmatch(value))
