"""The error for constructor arguments that ``DAG`` or an operator does not take.

Three cases, each with its own message, because each has its own fix:

- a typo or an invented name: ``dag_timeout is not an Airflow argument (did you mean
  dagrun_timeout?)``, the suggestion found by edit distance (difflib) over the names the class
  accepts and Airflow's names for it;
- an Airflow 2 name that Airflow 3 renamed: what to write instead;
- an Airflow argument Baton has not implemented: ``email is an Airflow argument Baton does
  not support yet``. Passing such an argument with a value that changes nothing in Airflow
  (its default, e.g. ``email=None``) is accepted: it asks for nothing Baton would
  ignore. The accepted ones are returned so that the caller can keep them as attributes.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from difflib import get_close_matches
from typing import Any

from scheduler.authoring.airflow_names import RENAMED_ARGS, is_neutral
from scheduler.errors import DagDefinitionError


def check_arguments(
    kwargs: Mapping[str, Any],
    *,
    accepted: Iterable[str],
    airflow: Iterable[str],
    where: str,
    location: str | None,
) -> dict[str, Any]:
    """Raise ``DagDefinitionError`` naming every argument of ``kwargs`` that cannot be
    honoured; return those that are Airflow arguments passed with a neutral value."""
    accepted = set(accepted)
    airflow = set(airflow)
    neutral: dict[str, Any] = {}
    problems: list[str] = []
    for name in sorted(kwargs):
        if name in airflow and is_neutral(name, kwargs[name]):
            neutral[name] = kwargs[name]
        else:
            problems.append(_problem(name, kwargs[name], accepted, airflow))
    if problems:
        raise DagDefinitionError(f"{where}: {'; '.join(problems)}", location=location)
    return neutral


@functools.cache
def parameter_names(function: Callable[..., Any]) -> frozenset[str]:
    """The keyword arguments ``function`` (e.g. ``DAG.__init__``) takes by name."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    parameters = inspect.signature(inspect.unwrap(function)).parameters.values()
    return frozenset(p.name for p in parameters if p.kind in kinds) - {"self"}


def _problem(name: str, value: Any, accepted: set[str], airflow: set[str]) -> str:
    if name in airflow:
        return (
            f"{name} is an Airflow argument Baton does not support yet (got {_short(value)}); "
            "remove it"
        )
    if name in RENAMED_ARGS:
        return (
            f"{name} is not an Airflow argument (Airflow 3 removed it; write "
            f"{RENAMED_ARGS[name]} instead)"
        )
    close = get_close_matches(name, sorted(accepted | airflow), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"{name} is not an Airflow argument{hint}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
