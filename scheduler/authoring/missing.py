"""``__getattr__`` fallbacks: a clear error for an attribute Baton's object does not have.

Without them, ``add.expand(x=[1, 2])`` on a ``@task`` function would say ``'_TaskDecorator'
object has no attribute 'expand'`` — a private class name the user never wrote. The
fallbacks name the object as the user knows it (``@task function 'add'``, ``BashOperator
'extract'``, ``DAG 'orders'``, ``task.docker``), say what Airflow feature is missing when it
is a known one, and suggest a close public name otherwise. They still raise
``AttributeError``, so ``hasattr`` and ``getattr(obj, name, default)`` keep working.
"""

from __future__ import annotations

from collections.abc import Callable
from difflib import get_close_matches
from typing import Any, NoReturn

from scheduler.authoring.airflow_names import MISSING_ATTRIBUTES

#: Airflow's ``@task.<name>`` decorators Baton lacks.
MISSING_DECORATORS: dict[str, str] = {
    "docker": "the Docker provider",
    "kubernetes": "the Kubernetes provider",
    "kubernetes_cmd": "the Kubernetes provider",
    "pyspark": "the Spark provider",
    "snowpark": "the Snowflake provider",
    "sql": "the common.sql provider's @task.sql; use SQLExecuteQueryOperator from plugins.sql",
    "run_if": "conditional tasks (@task.run_if)",
    "skip_if": "conditional tasks (@task.skip_if)",
}


def public_class_name(cls: type) -> str:
    """How the user names an operator class: ``@task`` for the TaskFlow one."""
    return getattr(cls, "custom_operator_name", None) or cls.__name__


def missing_attribute(obj: Any, name: str) -> NoReturn:
    """Use as ``__getattr__ = missing_attribute`` in a public authoring class."""
    raise MissingAttributeError(obj, name, _attribute_message)


def _attribute_message(obj: Any, name: str) -> str:
    what = _describe(obj)
    if name.startswith("_"):  # copy, pickle and inspect probe dunders: no lookups here
        return f"{what} has no attribute {name!r}"
    if name in MISSING_ATTRIBUTES:
        return f"{what} has no attribute {name!r}: {MISSING_ATTRIBUTES[name]}"
    return (
        f"{what} has no attribute {name!r}{_suggestion(obj, name)}; if {name!r} is an "
        "Airflow feature, Baton does not support it yet"
    )


def missing_decorator(obj: Any, name: str) -> NoReturn:
    """``__getattr__`` of the ``task`` decorator collection: ``task.docker`` and friends."""
    raise MissingAttributeError(obj, name, _decorator_message)


def _decorator_message(obj: Any, name: str) -> str:
    if name.startswith("_"):
        return f"task has no attribute {name!r}"
    if name in MISSING_DECORATORS:
        return (
            f"@task.{name} is an Airflow decorator Baton does not support yet "
            f"({MISSING_DECORATORS[name]})"
        )
    known = ", ".join(f"@task.{n}" for n in _public_names(obj))
    return f"@task.{name} is not an Airflow decorator{_suggestion(obj, name)}; Baton has {known}"


class MissingAttributeError(AttributeError):
    """An ``AttributeError`` whose message is written only when it is read.

    ``hasattr(op, name)`` and ``getattr(op, name, default)`` raise and catch one on every
    probe of an attribute the object lacks (serialising a DAG makes ~20 per task): building
    the "did you mean" suggestion there made parsing a DAG file five times slower.
    """

    def __init__(self, obj: Any, name: str, message: Callable[[Any, str], str]) -> None:
        super().__init__(name=name, obj=obj)
        self._write = lambda: message(obj, name)
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            self._text = self._write()
        return self._text

    def __reduce__(self) -> tuple[type[AttributeError], tuple[str]]:
        # Crossing a process (a parse child's report) as the plain error it reads as.
        return AttributeError, (str(self),)

    def __repr__(self) -> str:
        return f"AttributeError({str(self)!r})"


# Shown to the user as the plain AttributeError it is (import errors, a try's error, a
# traceback), never as this module's class: only its message is built late.
MissingAttributeError.__name__ = MissingAttributeError.__qualname__ = "AttributeError"
MissingAttributeError.__module__ = "builtins"


def _describe(obj: Any) -> str:
    # Only __dict__ and the class: this runs when normal lookup failed, maybe mid-__init__.
    own = object.__getattribute__(obj, "__dict__")
    cls = type(obj)
    if "task_dict" in own:
        return f"DAG '{own.get('dag_id', '?')}'"
    if "task_id" in own:
        return f"{public_class_name(cls)} '{own['task_id']}'"
    function = own.get("function")
    if callable(function) and "kwargs" in own:
        return f"@task function '{getattr(function, '__name__', '?')}'"
    operator = own.get("_operator")  # an XComArg's (its .operator property)
    if operator is not None and "key" in own:
        return f"XComArg of task '{getattr(operator, 'task_id', '?')}'"
    return public_class_name(cls).lstrip("_")


def _public_names(obj: Any) -> list[str]:
    return sorted(n for n in dir(obj) if not n.startswith("_"))


def _suggestion(obj: Any, name: str) -> str:
    close = get_close_matches(name, _public_names(obj), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
