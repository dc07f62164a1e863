"""``get_current_context()``: the running task's context, from anywhere in its code.

Airflow's way to reach ``ti``, ``params``, ``logical_date``... from a helper function that
was not handed the context. The Runner opens ``current_context(context)`` around the task's
``execute``; outside it (at import time, in the scheduler) the call raises Airflow's message.
A context variable keeps it per thread, so nested or concurrent tries cannot see each other's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from scheduler.errors import NoCurrentContextError

_contexts: ContextVar[tuple[Mapping[str, Any], ...]] = ContextVar("baton_task_context", default=())


def get_current_context() -> Mapping[str, Any]:
    """The context of the task running now (the dict its ``execute`` got)."""
    stack = _contexts.get()
    if not stack:
        raise NoCurrentContextError(
            "Current context was requested but no context was found! Are you running within "
            "an Airflow task? get_current_context() works only while a task runs (in execute() "
            "or a @task function), not when the DAG file is imported"
        )
    return stack[-1]


@contextmanager
def current_context(context: Mapping[str, Any]) -> Iterator[None]:
    """Make ``context`` what ``get_current_context()`` returns inside the block."""
    token = _contexts.set((*_contexts.get(), context))
    try:
        yield
    finally:
        _contexts.reset(token)


#: Airflow's ``Context`` type, for annotations: ``def execute(self, context: Context)``.
Context = dict[str, Any]
