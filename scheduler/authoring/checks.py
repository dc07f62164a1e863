"""Small validators shared by ``DAG`` and ``BaseOperator``.

Each raises ``DagDefinitionError`` whose message starts with ``where`` (e.g. ``"DAG 'orders':
task 'ship'"``), names the bad value and says what to write instead; ``location`` points at
the user's statement.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from datetime import timedelta
from difflib import get_close_matches
from typing import Any

from scheduler.authoring.location import caller_location
from scheduler.errors import DagDefinitionError, InvalidTriggerRuleError
from scheduler.trigger_rule import TriggerRule

MAX_ID_LENGTH = 250  # Airflow's ID_LEN
_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]+$")


def check_call(
    function: Callable[..., Any],
    where: str,
    args: tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
    *,
    complete: bool = False,
) -> None:
    """Refuse, at the user's line, arguments ``function`` cannot take (a @task or
    @task_group call); ``complete``: every parameter without a default must be given."""
    signature = inspect.signature(function)
    try:
        (signature.bind if complete else signature.bind_partial)(*args, **(kwargs or {}))
    except TypeError as exc:
        raise DagDefinitionError(
            f"{where}: {function.__name__}() cannot take these arguments: {exc}",
            location=caller_location(),
        ) from None


def check_id(kind: str, value: Any, where: str, location: str | None) -> str:
    """A valid ``dag_id``/``task_id``: letters, digits, ``-``, ``_``, ``.``; at most 250."""
    prefix = f"{where}: " if where else ""
    if not isinstance(value, str) or not value:
        raise DagDefinitionError(
            f"{prefix}{kind} must be a non-empty string, got {value!r}", location=location
        )
    if len(value) > MAX_ID_LENGTH:
        raise DagDefinitionError(
            f"{prefix}{kind} '{value[:40]}...' is {len(value)} characters long; "
            f"shorten it to at most {MAX_ID_LENGTH}",
            location=location,
        )
    if not _ID_PATTERN.match(value):
        bad = sorted({c for c in value if not _ID_PATTERN.match(c)})
        raise DagDefinitionError(
            f"{prefix}{kind} '{value}' contains {', '.join(repr(c) for c in bad)}; "
            "use only letters, digits, '-', '_' and '.'",
            location=location,
        )
    return value


def positive_int(name: str, value: Any, where: str, location: str | None, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise DagDefinitionError(
            f"{where}: {name}={value!r} must be an integer >= {minimum}", location=location
        )
    return value


def to_timedelta(name: str, value: Any, where: str, location: str | None) -> timedelta | None:
    """A ``timedelta`` from a ``timedelta`` or a number of seconds (None stays None)."""
    if value is None or isinstance(value, timedelta):
        delta = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        delta = timedelta(seconds=value)
    else:
        raise DagDefinitionError(
            f"{where}: {name}={value!r} must be a datetime.timedelta (or seconds as a number), "
            f"e.g. {name}=timedelta(minutes=5)",
            location=location,
        )
    if delta is not None and delta < timedelta(0):
        raise DagDefinitionError(f"{where}: {name}={value!r} must not be negative", location)
    return delta


def to_trigger_rule(value: Any, where: str, location: str | None) -> TriggerRule:
    try:
        return TriggerRule(value)
    except ValueError:
        pass
    names = TriggerRule.names()
    close = get_close_matches(str(value), names, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise InvalidTriggerRuleError(
        f"{where}: trigger_rule {value!r} is not a trigger rule{hint}; "
        f"use one of: {', '.join(names)}",
        location=location,
    )


def check_callbacks(name: str, value: Any, where: str, location: str | None) -> Any:
    """A callback is a callable or a list of callables (Airflow accepts both)."""
    items = value if isinstance(value, list | tuple) else [value]
    for item in items:
        if item is not None and not callable(item):
            raise DagDefinitionError(
                f"{where}: {name}={item!r} is not callable; pass a function taking the "
                "context, e.g. def notify(context): ...",
                location=location,
            )
    return value


DEFAULT_POOL = "default_pool"
DEFAULT_QUEUE = "default"  # Airflow's [operators] default_queue


def to_pool(value: Any, where: str, location: str | None) -> str:
    """A task's pool name; None is Airflow's "no pool": ``default_pool``. Whether the pool
    exists is checked when the scheduler records the DAG (DAG files have no database)."""
    if value is None:
        return DEFAULT_POOL
    if not isinstance(value, str) or not value.strip():
        raise DagDefinitionError(
            f"{where}: pool={value!r} must be the name of a pool (a non-empty string); "
            "`baton pools list` shows them",
            location=location,
        )
    return value


def to_queue(value: Any, where: str, location: str | None) -> str:
    """A task's queue: the Celery queue whose workers run it (``baton celery worker
    --queues``). DAG files are parsed without the scheduler's settings, so which executor
    runs the task is checked at dispatch: the local executor fails a try whose queue is
    not ``default`` with a message saying so, rather than ignore ``queue=``."""
    if value is None:
        return DEFAULT_QUEUE
    if not isinstance(value, str) or not value.strip() or "," in value:
        raise DagDefinitionError(
            f"{where}: queue={value!r} must be the name of one Celery queue (a non-empty "
            f"string without commas), e.g. queue='{DEFAULT_QUEUE}'",
            location=location,
        )
    return value
