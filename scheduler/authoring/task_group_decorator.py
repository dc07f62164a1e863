"""``@task_group``: a function whose call, inside a DAG, builds a ``TaskGroup`` of its tasks.

    @task_group(default_args={"retries": 2})
    def payment(order):
        \"\"\"Charge and confirm (the docstring becomes the group's tooltip).\"\"\"
        return confirm(charge(order))

    start >> payment(start.output) >> end

As in Airflow: the group_id defaults to the function's name, and a second call gets
``payment__1``, ``payment__2``...; the call returns what the function returned when that is
not None (so ``>>`` binds to the returned task), else the group itself.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from scheduler.authoring.checks import check_call
from scheduler.authoring.location import caller_location
from scheduler.authoring.mapped import ExpandInput, MappedArgument, MappedOperator
from scheduler.authoring.taskgroup import TaskGroup
from scheduler.authoring.xcom_arg import XComArg
from scheduler.errors import DagDefinitionError

#: The TaskGroup arguments ``@task_group(...)`` forwards (add_suffix_on_collision is set).
_GROUP_ARGS = frozenset(
    {
        "group_id",
        "prefix_group_id",
        "parent_group",
        "dag",
        "default_args",
        "tooltip",
        "ui_color",
        "ui_fgcolor",
        "group_display_name",
    }
)


class _TaskGroupFactory:
    """A ``@task_group`` function: each call creates one group and runs the function in it."""

    def __init__(self, function: Callable[..., Any], group_kwargs: dict[str, Any]) -> None:
        location = caller_location()
        if not callable(function):
            raise DagDefinitionError(
                f"@task_group decorates functions, not {function!r}", location=location
            )
        unknown = sorted(set(group_kwargs) - _GROUP_ARGS)
        if unknown:
            raise DagDefinitionError(
                f"@task_group on {function.__name__}(): invalid arguments: {', '.join(unknown)}; "
                f"it accepts {', '.join(sorted(_GROUP_ARGS))}",
                location=location,
            )
        self.function = function
        self.group_kwargs = {"group_id": function.__name__, **group_kwargs}
        functools.update_wrapper(self, function)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        where = f"task group '{self.group_kwargs['group_id']}'"
        check_call(self.function, where, args, kwargs, complete=True)
        with TaskGroup(add_suffix_on_collision=True, **self.group_kwargs) as group:
            if self.function.__doc__ and not group.tooltip:
                group.tooltip = inspect.cleandoc(self.function.__doc__)
            result = self.function(*args, **kwargs)
        # Airflow: a returned task (or XComArg) is what ``>>`` binds to; otherwise the group.
        return result if result is not None else group

    def override(self, **kwargs: Any) -> _TaskGroupFactory:
        """The same function with other TaskGroup arguments (``f.override(group_id="x")()``)."""
        return _TaskGroupFactory(self.function, {**self.group_kwargs, **kwargs})

    # -- mapped task groups ---------------------------------------------------------------

    def partial(self, **kwargs: Any) -> _TaskGroupPartial:
        """Function arguments every instance of the mapped group shares."""
        return _TaskGroupPartial(self, kwargs)

    def expand(self, **mapped: Any) -> Any:
        """One instance of the whole group per item (Airflow's mapped task group)."""
        return self.partial().expand(**mapped)

    def expand_kwargs(self, kwargs: Any) -> Any:
        """One instance of the group per dict of function arguments."""
        return self.partial().expand_kwargs(kwargs)

    def __repr__(self) -> str:
        return f"<@task_group {self.function.__name__}>"


class _TaskGroupPartial:
    """``group_fn.partial(**shared)``: ``expand``/``expand_kwargs`` build the mapped group."""

    def __init__(self, factory: _TaskGroupFactory, shared: dict[str, Any]) -> None:
        self.factory, self.shared = factory, shared

    def expand(self, **mapped: Any) -> Any:
        if not mapped:
            raise DagDefinitionError(
                f"task group '{self.factory.group_kwargs['group_id']}': expand() needs at "
                "least one argument to map over",
                location=caller_location(),
            )
        arguments = {name: MappedArgument(name) for name in mapped}
        return self._build(ExpandInput("expand", mapped), {**self.shared, **arguments})

    def expand_kwargs(self, kwargs: Any) -> Any:
        function = self.factory.function
        names = [n for n in inspect.signature(function).parameters if n not in self.shared]
        arguments = {name: MappedArgument(name) for name in names}
        return self._build(ExpandInput("expand_kwargs", kwargs), {**self.shared, **arguments})

    def _build(self, expand_input: ExpandInput, arguments: dict[str, Any]) -> Any:
        factory = self.factory
        where = f"task group '{factory.group_kwargs['group_id']}'"
        check_call(factory.function, where, kwargs=arguments, complete=True)
        expand_input.to_spec()  # refuses inputs that cannot be mapped, before any task
        with TaskGroup(add_suffix_on_collision=True, **factory.group_kwargs) as group:
            group.expand_input = expand_input
            for argument in arguments.values():
                if isinstance(argument, MappedArgument):
                    argument.bind(group)
            result = factory.function(**arguments)
        _check_group_tasks(group)
        sources = [s for s in expand_input.sources() if isinstance(s, XComArg)]
        for root in group.roots:  # every instance waits until the inputs are known
            root.set_upstream(sources)
        return result if result is not None else group


def _check_group_tasks(group: TaskGroup) -> None:
    for task in group:
        if isinstance(task, MappedOperator):
            raise DagDefinitionError(
                f"task '{task.task_id}' is mapped inside the mapped task group "
                f"'{group.group_id}'; mapping inside a mapped group is not supported yet",
                location=task.location,
            )


def task_group(python_callable: Callable[..., Any] | None = None, **group_kwargs: Any) -> Any:
    """``@task_group`` / ``@task_group(group_id=..., default_args=..., tooltip=...)``."""
    if python_callable is not None and not callable(python_callable):
        # ``@task_group("name")``: Airflow's first positional argument is the group_id.
        group_kwargs = {"group_id": python_callable, **group_kwargs}
        python_callable = None
    if python_callable is not None:
        return _TaskGroupFactory(python_callable, group_kwargs)
    return lambda function: _TaskGroupFactory(function, group_kwargs)
