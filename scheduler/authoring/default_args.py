"""Airflow's ``default_args``: constructor arguments an operator did not get explicitly.

Every ``__init__`` of a ``BaseOperator`` subclass is wrapped (``BaseOperator.__init_subclass__``)
by ``apply_defaults``. The outermost call — the one the DAG file made — records where the
operator was created, fills each argument that some ``__init__`` in the class hierarchy
accepts from ``dag.default_args`` (overridden by the operator's own ``default_args=``), runs
the constructor chain, then lets the operator finish (``_post_init``: XComArg wiring).
Keys that no constructor accepts are ignored, as in Airflow.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from scheduler.authoring.context import current_dag
from scheduler.authoring.location import caller_location
from scheduler.authoring.taskgroup import current_task_group
from scheduler.errors import DagDefinitionError

_WRAPPED = "__baton_apply_defaults__"
_NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)

InitFunction = Callable[..., None]


def apply_defaults(init: InitFunction) -> InitFunction:
    """Wrap an operator ``__init__`` so that ``default_args`` apply (once per operator)."""
    if getattr(init, _WRAPPED, False):
        return init

    @functools.wraps(init)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
        if self.__dict__.get("_baton_initialising"):  # a super().__init__(...) call
            init(self, *args, **kwargs)
            return
        location = caller_location()
        if args:
            name = type(self).__name__
            raise DagDefinitionError(
                f"{name} got {len(args)} positional argument(s); pass operator arguments by "
                f"keyword, e.g. {name}(task_id='...', ...)",
                location=location,
            )
        self.__dict__.update(_baton_initialising=True, _location=location)
        try:
            init(self, **fill_default_args(type(self), kwargs))
        finally:
            del self.__dict__["_baton_initialising"]
        self._post_init()

    setattr(wrapper, _WRAPPED, True)
    return wrapper


def fill_default_args(cls: type, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` plus the default_args the operator class accepts and did not get."""
    kwargs = dict(kwargs)
    dag = kwargs.get("dag") or current_dag()
    group = kwargs.get("task_group") or current_task_group(dag)
    dag = dag or getattr(group, "dag", None)
    defaults = {
        **(getattr(dag, "default_args", None) or {}),
        # A task group's default_args (merged over its parent groups') override the DAG's.
        **(getattr(group, "default_args", None) or {}),
        **(kwargs.pop("default_args", None) or {}),
    }
    if not defaults:
        return kwargs
    accepted = init_parameter_names(cls)
    if "params" in defaults and kwargs.get("params") is not None:
        kwargs["params"] = {**defaults["params"], **kwargs["params"]}
    filled = {k: v for k, v in defaults.items() if k in accepted and k not in kwargs}
    return {**filled, **kwargs}


@functools.cache
def init_parameter_names(cls: type) -> frozenset[str]:
    """Names of the arguments accepted by any ``__init__`` in ``cls``'s hierarchy."""
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass is object:
            continue
        parameters = list(inspect.signature(inspect.unwrap(init)).parameters.values())[1:]
        names.update(p.name for p in parameters if p.kind in _NAMED)
    names.discard("dag")
    return frozenset(names)
