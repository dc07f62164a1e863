"""``@task.branch`` and ``@task.short_circuit``: TaskFlow spellings of
``BranchPythonOperator`` and ``ShortCircuitOperator`` (Airflow's meanings).

    @task.branch
    def pick(ds=None):                 # returns the task id(s) to follow, or None
        return "weekday" if date.fromisoformat(ds).weekday() < 5 else "weekend"

    @task.short_circuit(ignore_downstream_trigger_rules=False)
    def has_rows(rows):                # falsy: the direct downstream tasks are skipped
        return bool(rows)

They are attributes of ``task`` (task_decorator.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scheduler.authoring.operators.branch import BranchPythonOperator
from scheduler.authoring.operators.short_circuit import ShortCircuitOperator
from scheduler.authoring.taskflow import (
    _PythonDecoratedOperator,
    _TaskDecorator,
)


class _BranchPythonDecoratedOperator(_PythonDecoratedOperator, BranchPythonOperator):
    """The operator behind ``@task.branch``: the function's result is the branch to follow."""

    custom_operator_name = "@task.branch"


class _ShortCircuitDecoratedOperator(_PythonDecoratedOperator, ShortCircuitOperator):
    """The operator behind ``@task.short_circuit``: a falsy result skips downstream tasks."""

    custom_operator_name = "@task.short_circuit"


class _BranchTask(_TaskDecorator):
    operator_class = _BranchPythonDecoratedOperator


class _ShortCircuitTask(_TaskDecorator):
    operator_class = _ShortCircuitDecoratedOperator


def _decorator(kind: type[_TaskDecorator], spelling: str) -> Callable[..., Any]:
    def make(
        python_callable: Callable[..., Any] | None = None,
        *,
        multiple_outputs: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        def decorate(function: Callable[..., Any]) -> _TaskDecorator:
            return kind(function, multiple_outputs, kwargs)

        return decorate if python_callable is None else decorate(python_callable)

    make.__name__ = make.__qualname__ = f"{spelling}_task"
    make.__doc__ = (
        f"``@task.{spelling}`` / ``@task.{spelling}(...)``: operator arguments as keywords."
    )
    return make


branch_task = _decorator(_BranchTask, "branch")
short_circuit_task = _decorator(_ShortCircuitTask, "short_circuit")
