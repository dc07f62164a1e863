"""TaskFlow: ``@task`` turns a function into a task, ``@dag`` a function into a DAG factory.

    @dag(schedule="@daily", start_date=datetime(2024, 1, 1))
    def etl(limit: int = 10):
        @task
        def extract() -> list[int]: ...
        @task
        def load(rows, limit): ...
        load(extract(), limit)        # extract >> load, wired by the XComArg

    etl()                             # builds and returns the DAG; `limit` is a DAG param

Calling a ``@task`` function inside a DAG creates a ``_PythonDecoratedOperator`` and returns
its ``XComArg``. Calling the same function again gets the task_id ``name__1``, ``name__2``...
as in Airflow.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
import typing
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from scheduler.authoring.checks import check_call
from scheduler.authoring.context import current_dag
from scheduler.authoring.dag import DAG
from scheduler.authoring.location import caller_location
from scheduler.authoring.mapped import TaskFlowPartial
from scheduler.authoring.missing import missing_attribute
from scheduler.authoring.operators.python import PythonOperator
from scheduler.authoring.params import NOTSET
from scheduler.authoring.taskgroup import TaskGroup, current_task_group
from scheduler.authoring.xcom_arg import XComArg
from scheduler.errors import DagDefinitionError, XComError

_NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


class _MultipleOutputs(PythonOperator):
    """``multiple_outputs=True``: each key of the returned dict is also its own XCom (the
    ``@task`` operators: this one's, ``@task.virtualenv``'s, ``@task.external_python``'s)."""

    multiple_outputs: bool = False

    def execute(self, context: Mapping[str, Any]) -> Any:
        result = super().execute(context)
        if self.multiple_outputs and result is not None:
            self._push_outputs(result, context)
        return result

    def _push_outputs(self, result: Any, context: Mapping[str, Any]) -> None:
        """Push each key of the returned dict as its own XCom (``arg["key"]`` reads it)."""
        if not isinstance(result, dict) or not all(isinstance(k, str) for k in result):
            raise XComError(
                f"task '{self.task_id}' has multiple_outputs=True but returned "
                f"{type(result).__name__} {result!r:.100}; return a dict with string keys or "
                "set multiple_outputs=False"
            )
        for key, value in result.items():
            context["ti"].xcom_push(key=key, value=value)


class _PythonDecoratedOperator(_MultipleOutputs):
    """The operator behind a ``@task`` function; ``multiple_outputs`` splits a dict result."""

    custom_operator_name = "@task"
    #: A mapped @task's values are its function's keyword arguments.
    mapped_arguments_into = "op_kwargs"

    def __init__(self, *, multiple_outputs: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.multiple_outputs = multiple_outputs


class _TaskDecorator:
    """A ``@task`` function: calling it inside a DAG adds a task and returns its XComArg."""

    if not TYPE_CHECKING:  # errors name "@task function 'f'", never this class
        __getattr__ = missing_attribute

    #: The operator a call creates; ``@task.bash``, ``@task.virtualenv``... subclass this
    #: decorator and name theirs (see ``scheduler/authoring/decorators.py``).
    operator_class: type[Any] = _PythonDecoratedOperator

    def __init__(
        self,
        function: Callable[..., Any],
        multiple_outputs: bool | None,
        kwargs: dict[str, Any],
    ) -> None:
        if not callable(function):
            raise DagDefinitionError(
                f"@task decorates functions, not {function!r}", location=caller_location()
            )
        self.function = function
        self.multiple_outputs = (
            _returns_dict(function) if multiple_outputs is None else multiple_outputs
        )
        self.kwargs = kwargs
        functools.update_wrapper(self, function)

    def __call__(self, *args: Any, **kwargs: Any) -> XComArg:
        operator_kwargs = dict(self.kwargs)
        dag = operator_kwargs.get("dag") or current_dag()
        group = operator_kwargs.get("task_group") or current_task_group(dag)
        task_id = unique_task_id(dag, operator_kwargs.pop("task_id", self.function.__name__), group)
        check_call(self.function, f"task '{task_id}'", args, kwargs)
        if self.function.__doc__ and "doc_md" not in operator_kwargs:
            operator_kwargs["doc_md"] = inspect.cleandoc(self.function.__doc__)
        operator = self.operator_class(
            task_id=task_id,
            python_callable=self.function,
            op_args=args,
            op_kwargs=kwargs,
            multiple_outputs=self.multiple_outputs,
            **operator_kwargs,
        )
        return XComArg(operator)

    # -- dynamic task mapping -------------------------------------------------------------

    def partial(self, **kwargs: Any) -> TaskFlowPartial:
        """The function arguments every mapped instance shares."""
        operator_kwargs = dict(self.kwargs)
        dag = operator_kwargs.get("dag") or current_dag()
        group = operator_kwargs.get("task_group") or current_task_group(dag)
        task_id = unique_task_id(dag, operator_kwargs.pop("task_id", self.function.__name__), group)
        if self.function.__doc__ and "doc_md" not in operator_kwargs:
            operator_kwargs["doc_md"] = inspect.cleandoc(self.function.__doc__)
        operator_kwargs.update(
            task_id=task_id,
            python_callable=self.function,
            op_args=(),
            multiple_outputs=self.multiple_outputs,
        )
        return TaskFlowPartial(self.operator_class, self.function, operator_kwargs, kwargs)

    def expand(self, **mapped: Any) -> XComArg:
        """One task instance per item (several arguments: their cross product)."""
        return self.partial().expand(**mapped)

    def expand_kwargs(self, kwargs: Any) -> XComArg:
        """One task instance per dict of function arguments."""
        return self.partial().expand_kwargs(kwargs)

    def override(self, **kwargs: Any) -> _TaskDecorator:
        """The same function with other operator arguments (``f.override(task_id="x")(...)``)."""
        multiple_outputs = kwargs.pop("multiple_outputs", self.multiple_outputs)
        return type(self)(self.function, multiple_outputs, {**self.kwargs, **kwargs})

    def __repr__(self) -> str:
        return f"<@task {self.function.__name__}>"


def python_task(
    python_callable: Callable[..., Any] | None = None,
    *,
    multiple_outputs: bool | None = None,
    **kwargs: Any,
) -> Any:
    """``@task`` / ``@task(retries=2, ...)``: operator arguments as keywords."""

    def decorate(function: Callable[..., Any]) -> _TaskDecorator:
        return _TaskDecorator(function, multiple_outputs, kwargs)

    return decorate if python_callable is None else decorate(python_callable)


def unique_task_id(dag: DAG | None, task_id: str, group: TaskGroup | None = None) -> str:
    """``task_id``, or ``core__N`` with the next free N when the DAG already has it; in a
    task group the check is on the prefixed id (the group adds the prefix itself)."""
    prefixed = group.child_id(task_id) if group is not None else task_id
    if dag is None or prefixed not in dag.task_dict:
        return task_id
    core = re.split(r"__\d+$", task_id)[0]
    prefix = prefixed[: len(prefixed) - len(task_id)]
    pattern = re.compile(rf"{re.escape(prefix + core)}__(\d+)")
    numbers = [int(m.group(1)) for t in dag.task_dict if (m := pattern.fullmatch(t))]
    return f"{core}__{max(numbers, default=0) + 1}"


def _returns_dict(function: Callable[..., Any]) -> bool:
    """Airflow infers ``multiple_outputs`` from a ``-> dict[...]`` return annotation."""
    try:
        hints = typing.get_type_hints(function)
    except Exception:  # an annotation naming something not importable here
        return False
    returned = hints.get("return")
    return (typing.get_origin(returned) or returned) is dict


def dag(dag_id: str | Callable[..., Any] = "", **dag_kwargs: Any) -> Any:
    """``@dag(...)``: calling the decorated function builds and returns its DAG.

    The DAG id defaults to the function's name. The function's parameters become DAG params
    (their defaults, or the values passed to the call, are the params' defaults); inside the
    function each is a reference resolved from the run's params at run time.
    """
    if callable(dag_id):  # bare @dag
        return _dag_factory(dag_id, "", {})
    return lambda function: _dag_factory(function, dag_id, dag_kwargs)


def _dag_factory(
    function: Callable[..., Any], dag_id: str, dag_kwargs: dict[str, Any]
) -> Callable[..., DAG]:
    signature = inspect.signature(function)
    named = [name for name, p in signature.parameters.items() if p.kind in _NAMED]

    @functools.wraps(function)
    def factory(*args: Any, **kwargs: Any) -> DAG:
        try:
            bound = signature.bind_partial(*args, **kwargs)
        except TypeError as exc:
            raise DagDefinitionError(
                f"{function.__name__}(): {exc}", location=caller_location()
            ) from None
        bound.apply_defaults()
        with DAG(dag_id or function.__name__, **dag_kwargs) as dag_obj:
            if function.__doc__ and not dag_obj.doc_md:
                dag_obj.doc_md = inspect.cleandoc(function.__doc__)
            dag_obj.fileloc = os.path.abspath(function.__code__.co_filename)
            arguments = {n: dag_obj.param(n, bound.arguments.get(n, NOTSET)) for n in named}
            function(**arguments)
        return dag_obj

    return factory
