"""Airflow's ``default_args``: constructor arguments an operator did not get explicitly.

Every ``__init__`` of a ``BaseOperator`` subclass is wrapped (``BaseOperator.__init_subclass__``)
by ``apply_defaults``. The outermost call — the one the DAG file made — records where the
operator was created, fills each argument that some ``__init__`` in the class hierarchy
accepts from ``dag.default_args`` (overridden by the operator's own ``default_args=``), runs
the constructor chain, then lets the operator finish (``_post_init``: XComArg wiring).

Keys that no constructor accepts are ignored, as in Airflow (``unused_default_args`` lists
them for a warning), except Airflow arguments Baton does not implement: those reach the
operator as if passed directly, so it refuses them (or keeps a value that changes nothing)
instead of ignoring what the DAG asked for. ``start_date``/``end_date`` are the DAG's.
"""

from __future__ import annotations

import functools
import inspect
import warnings
import weakref
from collections.abc import Callable, Iterable
from difflib import get_close_matches
from typing import Any

from scheduler.authoring.airflow_names import (
    AIRFLOW_CLASS_ARGS,
    AIRFLOW_DAG_ARGS,
    operator_airflow_args,
)
from scheduler.authoring.context import current_dag
from scheduler.authoring.location import caller_location
from scheduler.authoring.taskgroup import current_task_group
from scheduler.errors import DagDefinitionError

_WRAPPED = "__baton_apply_defaults__"
# Read by the DAG itself (its start and end), not handed to operators.
_DAG_LEVEL = frozenset({"dag", "start_date", "end_date"})
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
        # The names the DAG file passed itself: a check may be stricter about those than
        # about what default_args fill in for every task (compensate_on_failure).
        self.__dict__.update(
            _baton_initialising=True, _location=location, _explicit_args=frozenset(kwargs)
        )
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
    airflow = operator_airflow_args(cls) - _DAG_LEVEL
    filled = {
        k: v for k, v in defaults.items() if (k in accepted or k in airflow) and k not in kwargs
    }
    if "email" in filled and "email" not in accepted and not _mails_on(defaults, kwargs):
        del filled["email"]  # with both email_on_* off Airflow sends nothing: no effect
    return {**filled, **kwargs}


def _mails_on(defaults: dict[str, Any], kwargs: dict[str, Any]) -> bool:
    """Whether Airflow would e-mail the ``email`` address (email_on_* default to True)."""
    merged = {**defaults, **kwargs}
    return bool(merged.get("email_on_failure", True) or merged.get("email_on_retry", True))


def warn_unused_default_args(dag: Any) -> None:
    """Warn (once per parse) about default_args keys that none of ``dag``'s tasks takes."""
    unused = unused_default_args(dag.default_args, (type(t) for t in dag.task_dict.values()))
    if not unused:
        return
    accepted = set().union(*(init_parameter_names(type(t)) for t in dag.task_dict.values()))
    hints = []
    for key in unused:
        close = get_close_matches(key, sorted(accepted), n=1)
        if key in AIRFLOW_DAG_ARGS:  # Airflow applies default_args to operators only
            hints.append(f"{key} (a DAG argument: pass it to DAG(...) itself)")
        else:
            hints.append(f"{key} (did you mean {close[0]}?)" if close else key)
    filename, _, line = (dag.location or "").rpartition(":")
    warnings.warn_explicit(  # reported at the DAG(...) line of the user's file
        f"DAG '{dag.dag_id}': default_args {', '.join(hints)} is not an argument of any of "
        "its tasks and is ignored, as in Airflow; fix the name or remove it",
        UserWarning,
        filename or "<dag>",
        int(line) if line.isdigit() else 0,
    )


def unused_default_args(default_args: dict[str, Any], classes: Iterable[type]) -> list[str]:
    """Keys of ``default_args`` that no operator class here (nor Airflow) takes: ignored, as
    Airflow does, but most likely typos worth a warning."""
    known = set(_DAG_LEVEL).union(*(init_parameter_names(c) for c in set(classes)))
    known |= operator_airflow_args(object).union(*AIRFLOW_CLASS_ARGS.values())
    return sorted(k for k in default_args if k not in known)


# Weakly keyed, unlike functools.cache: an operator class defined in a DAG file goes away
# with the file's module when the file is parsed again.
_init_parameter_names: weakref.WeakKeyDictionary[type, frozenset[str]] = weakref.WeakKeyDictionary()


def init_parameter_names(cls: type) -> frozenset[str]:
    """Names of the arguments accepted by any ``__init__`` in ``cls``'s hierarchy."""
    names = _init_parameter_names.get(cls)
    if names is None:
        names = _init_parameter_names[cls] = _collect_init_parameter_names(cls)
    return names


def _collect_init_parameter_names(cls: type) -> frozenset[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass is object:
            continue
        parameters = list(inspect.signature(inspect.unwrap(init)).parameters.values())[1:]
        names.update(p.name for p in parameters if p.kind in _NAMED)
    names.discard("dag")
    return frozenset(names)
