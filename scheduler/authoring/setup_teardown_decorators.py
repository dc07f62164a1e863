"""``@setup`` and ``@teardown``: TaskFlow functions whose tasks are setups or teardowns.

    @setup
    def create_cluster(): ...

    @teardown(on_failure_fail_dagrun=True)
    def delete_cluster(): ...

    with delete_cluster().as_teardown(setups=create_cluster()):
        run_query()

Each call makes a ``@task`` and marks it with ``as_setup()`` / ``as_teardown()``
(``scheduler.authoring.setup_teardown``). A teardown's trigger rule is not configurable.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from scheduler.authoring.location import caller_location
from scheduler.authoring.taskflow import python_task
from scheduler.authoring.xcom_arg import XComArg
from scheduler.errors import DagDefinitionError


class _MarkedTaskDecorator:
    """A ``@task`` function whose tasks are setups (or teardowns) when called."""

    def __init__(self, decorated: Any, kind: str, on_failure_fail_dagrun: bool = False) -> None:
        self.decorated = decorated
        self.kind = kind
        self.on_failure_fail_dagrun = on_failure_fail_dagrun
        if kind == "teardown" and "trigger_rule" in getattr(decorated, "kwargs", {}):
            raise DagDefinitionError(
                "a teardown's trigger rule is always all_done_setup_success; remove "
                "trigger_rule from the @task arguments of this @teardown function",
                location=caller_location(),
            )

    def __call__(self, *args: Any, **kwargs: Any) -> XComArg:
        result = self.decorated(*args, **kwargs)
        if self.kind == "setup":
            return result.as_setup()
        return result.as_teardown(on_failure_fail_dagrun=self.on_failure_fail_dagrun or None)

    def override(self, **kwargs: Any) -> _MarkedTaskDecorator:
        fail = kwargs.pop("on_failure_fail_dagrun", self.on_failure_fail_dagrun)
        return _MarkedTaskDecorator(self.decorated.override(**kwargs), self.kind, fail)

    def __getattr__(self, name: str) -> Any:  # function, kwargs... of the wrapped @task
        if name == "decorated":  # not set yet (copy, pickle): no recursion
            raise AttributeError(name)
        return getattr(self.decorated, name)

    def __repr__(self) -> str:
        return f"<@{self.kind} {self.decorated!r}>"


def _as_task(function: Any, decorator: str) -> Any:
    if isinstance(function, types.FunctionType):
        return python_task(function)
    if callable(function) and hasattr(function, "override"):
        return function  # already a @task (or @task.bash, ...) function
    raise DagDefinitionError(
        f"@{decorator} decorates functions or @task functions, not {function!r}",
        location=caller_location(),
    )


def setup(function: Callable[..., Any]) -> Any:
    """``@setup``: calling the function inside a DAG adds a setup task (a ``@task``)."""
    return _MarkedTaskDecorator(_as_task(function, "setup"), "setup")


def teardown(
    function: Callable[..., Any] | None = None, *, on_failure_fail_dagrun: bool = False
) -> Any:
    """``@teardown`` / ``@teardown(on_failure_fail_dagrun=True)``: the function's tasks are
    teardowns."""

    def decorate(inner: Callable[..., Any]) -> Any:
        return _MarkedTaskDecorator(_as_task(inner, "teardown"), "teardown", on_failure_fail_dagrun)

    return decorate if function is None else decorate(function)
