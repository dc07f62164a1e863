"""What a compensation try runs: the task's ``compensate`` (sagas, docs/sagas.md).

``compensate=`` is an operator (rendered and executed like any task, with its own retries
and timeout) or a callable, which is called the way ``PythonOperator`` calls its
``python_callable``: with the context entries its signature names (all of them with
``**context``), under the task's own retries and timeout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from scheduler.authoring import BaseOperator
from scheduler.authoring.operators.python import determine_kwargs
from scheduler.errors import TaskNotFoundError


class CallableCompensation:
    """A ``compensate=`` callable, shaped like an operator for the Runner."""

    template_fields: Sequence[str] = ()
    template_ext: Sequence[str] = ()
    do_xcom_push = False

    def __init__(self, task: Any, func: Callable[..., Any]) -> None:
        self.task_id = task.task_id
        self.retries = task.retries
        self.execution_timeout = task.execution_timeout
        self.params = task.params
        self.dag = task.dag
        self.location = task.location
        self.func = func

    def execute(self, context: dict[str, Any]) -> Any:
        kwargs = determine_kwargs(self.func, (), context, self.location)
        return self.func(**kwargs)

    def __repr__(self) -> str:
        name = getattr(self.func, "__name__", repr(self.func))
        return f"<Compensation of {self.task_id}: {name}()>"


def compensation_of(task: Any) -> Any:
    """The operator that undoes ``task``; an error if the task declares none (the DAG file
    changed since the run began compensating)."""
    compensate = getattr(task, "compensate", None)
    if compensate is None:
        raise TaskNotFoundError(
            f"task '{task.task_id}' has no compensate= any more, so its compensation cannot "
            "run; restore compensate= in the DAG file (the next compensation try uses it)"
        )
    if isinstance(compensate, BaseOperator):
        return compensate
    return CallableCompensation(task, compensate)
