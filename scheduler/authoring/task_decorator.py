"""``task``, the TaskFlow decorator: ``@task``, ``@task(...)`` and ``@task.<kind>``.

    @task                      # @task.python, the same
    @task.virtualenv(...)      # @task.external_python, @task.bash, @task.sensor
    @task.branch               # @task.short_circuit, @task.branch_virtualenv, ...

One attribute per kind, each defined in the module of its operators (taskflow.py,
decorators.py, branch_decorators.py); this module only gathers them, so it imports them all
and none of them imports it. A kind Baton lacks (``@task.docker``) is a clear error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from scheduler.authoring.branch_decorators import branch_task, short_circuit_task
from scheduler.authoring.decorators import (
    bash_task,
    branch_external_python_task,
    branch_virtualenv_task,
    external_python_task,
    sensor_task,
    virtualenv_task,
)
from scheduler.authoring.missing import missing_decorator
from scheduler.authoring.taskflow import python_task


class _TaskDecoratorCollection:
    """``task``: ``@task``, ``@task(...)`` and ``@task.python`` (Airflow's spellings)."""

    if not TYPE_CHECKING:  # @task.docker and other decorators Baton lacks: a clear error
        __getattr__ = missing_decorator

    python = staticmethod(python_task)
    virtualenv = staticmethod(virtualenv_task)
    external_python = staticmethod(external_python_task)
    bash = staticmethod(bash_task)
    sensor = staticmethod(sensor_task)
    branch = staticmethod(branch_task)
    short_circuit = staticmethod(short_circuit_task)
    branch_virtualenv = staticmethod(branch_virtualenv_task)
    branch_external_python = staticmethod(branch_external_python_task)

    def __call__(
        self,
        python_callable: Callable[..., Any] | None = None,
        *,
        multiple_outputs: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        return python_task(python_callable, multiple_outputs=multiple_outputs, **kwargs)


task = _TaskDecoratorCollection()
