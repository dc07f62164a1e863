"""The TaskFlow decorators beyond ``@task``: ``@task.virtualenv``, ``@task.external_python``
(and their ``@task.branch_...`` forms), ``@task.bash`` and ``@task.sensor`` (``@task.python``
is ``@task``), with Airflow's meanings.

    @task.virtualenv(requirements=["tabulate"])
    def render(rows):                 # runs in a cached virtualenv; imports go inside
        import tabulate
        return tabulate.tabulate(rows)

    @task.bash
    def greet(name):                  # returns the command; it runs like a BashOperator's
        return f"echo hello {name} on {{{{ ds }}}}"

    @task.sensor(poke_interval=30, timeout=3600, mode="poke")
    def ready() -> PokeReturnValue:   # the function is the poke
        return PokeReturnValue(is_done=True, xcom_value="ok")

They are attributes of ``task`` (task_decorator.py), so a DAG file spells them as in Airflow.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from scheduler.authoring.operators.bash import BashOperator
from scheduler.authoring.operators.python import determine_kwargs
from scheduler.authoring.operators.python_env_branch import (
    BranchExternalPythonOperator,
    BranchPythonVirtualenvOperator,
)
from scheduler.authoring.operators.python_virtualenv import (
    ExternalPythonOperator,
    PythonVirtualenvOperator,
)
from scheduler.authoring.sensors import BaseSensorOperator, PokeReturnValue
from scheduler.authoring.taskflow import _MultipleOutputs, _TaskDecorator
from scheduler.errors import TaskExecutionError

#: ``bash_command`` until the function has returned the real one (empty: not logged).
_SET_DURING_EXECUTION = ""


class _VirtualenvDecoratedOperator(_MultipleOutputs, PythonVirtualenvOperator):
    custom_operator_name = "@task.virtualenv"

    def __init__(self, *, multiple_outputs: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.multiple_outputs = multiple_outputs


class _ExternalPythonDecoratedOperator(_MultipleOutputs, ExternalPythonOperator):
    custom_operator_name = "@task.external_python"

    def __init__(self, *, multiple_outputs: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.multiple_outputs = multiple_outputs


class _BranchVirtualenvDecoratedOperator(BranchPythonVirtualenvOperator):
    custom_operator_name = "@task.branch_virtualenv"

    def __init__(self, *, multiple_outputs: bool = False, **kwargs: Any) -> None:
        _ignored_multiple_outputs("@task.branch_virtualenv", multiple_outputs)
        super().__init__(**kwargs)


class _BranchExternalPythonDecoratedOperator(BranchExternalPythonOperator):
    custom_operator_name = "@task.branch_external_python"

    def __init__(self, *, multiple_outputs: bool = False, **kwargs: Any) -> None:
        _ignored_multiple_outputs("@task.branch_external_python", multiple_outputs)
        super().__init__(**kwargs)


def _ignored_multiple_outputs(decorator: str, multiple_outputs: bool) -> None:
    if multiple_outputs:  # Airflow warns and goes on: the value is one string or a bool
        warnings.warn(
            f"multiple_outputs=True is not supported by {decorator} tasks; ignoring it",
            UserWarning,
            stacklevel=4,
        )


class _BashDecoratedOperator(BashOperator):
    """The function's return value is the bash command, rendered and run as BashOperator's."""

    custom_operator_name = "@task.bash"
    template_fields: Sequence[str] = ("op_args", "op_kwargs", *BashOperator.template_fields)

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        op_args: Sequence[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        multiple_outputs: bool = False,
        **kwargs: Any,
    ) -> None:
        _ignored_multiple_outputs("@task.bash", multiple_outputs)
        self.python_callable = python_callable
        self.op_args = list(op_args or [])
        self.op_kwargs = dict(op_kwargs or {})
        super().__init__(bash_command=_SET_DURING_EXECUTION, **kwargs)

    def execute(self, context: Mapping[str, Any]) -> str:
        kwargs = determine_kwargs(self.python_callable, self.op_args, context, self.location)
        command = self.python_callable(*self.op_args, **{**kwargs, **self.op_kwargs})
        if not isinstance(command, str) or not command.strip():
            raise TaskExecutionError(
                f"task '{self.task_id}': {self.python_callable.__name__}() returned "
                f"{command!r:.100}; a @task.bash function must return the bash command, a "
                "non-empty string"
            )
        self.bash_command = command
        context["ti"].render_templates(context)  # the command may use {{ ds }}... as in Airflow
        return super().execute(context)


class _SensorDecoratedOperator(BaseSensorOperator):
    """The function is the poke: it returns a bool or a ``PokeReturnValue``."""

    custom_operator_name = "@task.sensor"
    template_fields: Sequence[str] = ("op_args", "op_kwargs")

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        op_args: Sequence[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        multiple_outputs: bool = False,
        **kwargs: Any,
    ) -> None:
        _ignored_multiple_outputs("@task.sensor", multiple_outputs)
        self.python_callable = python_callable
        self.op_args = list(op_args or [])
        self.op_kwargs = dict(op_kwargs or {})
        super().__init__(**kwargs)

    def poke(self, context: Mapping[str, Any]) -> bool | PokeReturnValue:
        kwargs = determine_kwargs(self.python_callable, self.op_args, context, self.location)
        return self.python_callable(*self.op_args, **{**kwargs, **self.op_kwargs})


class _VirtualenvTask(_TaskDecorator):
    operator_class = _VirtualenvDecoratedOperator


class _ExternalPythonTask(_TaskDecorator):
    operator_class = _ExternalPythonDecoratedOperator


class _BashTask(_TaskDecorator):
    operator_class = _BashDecoratedOperator


class _SensorTask(_TaskDecorator):
    operator_class = _SensorDecoratedOperator


class _BranchVirtualenvTask(_TaskDecorator):
    operator_class = _BranchVirtualenvDecoratedOperator


class _BranchExternalPythonTask(_TaskDecorator):
    operator_class = _BranchExternalPythonDecoratedOperator


def _factory(decorator: type[_TaskDecorator], name: str) -> Callable[..., Any]:
    def make(
        python_callable: Callable[..., Any] | None = None,
        *,
        multiple_outputs: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        def decorate(function: Callable[..., Any]) -> _TaskDecorator:
            return decorator(function, multiple_outputs, kwargs)

        return decorate if python_callable is None else decorate(python_callable)

    short = name.removesuffix("_task")
    make.__name__ = make.__qualname__ = name
    make.__doc__ = f"``@task.{short}`` / ``@task.{short}(...)``: operator arguments as keywords."
    return make


virtualenv_task = _factory(_VirtualenvTask, "virtualenv_task")
external_python_task = _factory(_ExternalPythonTask, "external_python_task")
bash_task = _factory(_BashTask, "bash_task")
sensor_task = _factory(_SensorTask, "sensor_task")
branch_virtualenv_task = _factory(_BranchVirtualenvTask, "branch_virtualenv_task")
branch_external_python_task = _factory(_BranchExternalPythonTask, "branch_external_python_task")
