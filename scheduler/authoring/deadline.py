"""Airflow 3.1's deadline alerts: ``DAG(deadline=DeadlineAlert(reference=..., interval=...,
callback=AsyncCallback(fn, kwargs={...})))``.

A run's deadline is its reference time plus the interval: ``DAGRUN_LOGICAL_DATE`` (the
run's logical date), ``DAGRUN_QUEUED_AT`` (when the run was queued), ``FIXED_DATETIME(dt)``
or ``AVERAGE_RUNTIME(max_runs, min_runs)`` (when the run was created plus the DAG's average
run time). The scheduler stores each run's deadlines when it creates the run
(``store/deadlines.py``) and, when one passes with the run unfinished, calls the callback
once (``engine/deadlines.py``, in a process that imports the DAG file).

The callback gets its ``kwargs`` plus ``context`` (Airflow's small deadline context: the
run as the REST API returns it under ``dag_run`` and ``deadline`` with its ``id`` and
``deadline_time``). A notifier class (a ``BaseNotifier`` subclass) is built with the
kwargs and called with the context, so its templates see ``dag_run`` and ``deadline``.
Coroutine functions are awaited. ``AsyncCallback`` and ``SyncCallback`` behave alike
here: Baton runs both in the callback process, not in the triggerer or an executor.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from scheduler.errors import DagDefinitionError
from scheduler.settings import default_timezone


class Callback:
    """A callable to call when a deadline is missed, with the ``kwargs`` to pass it."""

    def __init__(
        self, callback_callable: Callable[..., Any], kwargs: Mapping[str, Any] | None = None
    ):
        if not callable(callback_callable):
            raise TypeError(
                f"{type(self).__name__}({callback_callable!r}): the callback must be a "
                "function or a notifier class, e.g. AsyncCallback(SlackWebhookNotifier, "
                'kwargs={"text": "..."})'
            )
        if kwargs is not None and not isinstance(kwargs, Mapping):
            raise TypeError(
                f"{type(self).__name__}: kwargs={kwargs!r} must be a dict of keyword arguments"
            )
        if kwargs and "context" in kwargs:
            raise TypeError(
                f"{type(self).__name__}: 'context' is passed by the scheduler; drop it from kwargs"
            )
        self.callback_callable = callback_callable
        self.kwargs: dict[str, Any] = dict(kwargs or {})

    @property
    def path(self) -> str:
        """``module.name`` of the callable (Airflow serialises callbacks by path)."""
        fn = self.callback_callable
        return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"

    def call(self, context: dict[str, Any]) -> Any:
        """Call the callback as Airflow does: a notifier class is built with the kwargs and
        called with the context; anything else gets ``**kwargs, context=context``."""
        fn = self.callback_callable
        if isinstance(fn, type) and callable(getattr(fn, "notify", None)):
            return fn(**self.kwargs)(context)
        result = fn(**self.kwargs, context=context)
        if inspect.isawaitable(result):
            return asyncio.run(_awaited(result))
        return result

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.path}, kwargs={self.kwargs!r})"


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


class AsyncCallback(Callback):
    """Airflow runs it in the triggerer; Baton in the deadline's callback process."""


class SyncCallback(Callback):
    """Airflow runs it on an executor; Baton in the deadline's callback process."""

    def __init__(
        self,
        callback_callable: Callable[..., Any],
        kwargs: Mapping[str, Any] | None = None,
        executor: str | None = None,
    ):
        if executor is not None:
            raise DagDefinitionError(
                f"SyncCallback(executor={executor!r}): Baton runs deadline callbacks in the "
                "scheduler's callback process; drop executor="
            )
        super().__init__(callback_callable, kwargs)


class _Reference:
    """What a deadline counts from (Airflow's ``DeadlineReference`` values)."""

    name = ""

    def to_spec(self) -> dict[str, Any]:
        return {"reference": self.name}

    def __repr__(self) -> str:
        return f"DeadlineReference.{self.name}"


class _LogicalDate(_Reference):
    name = "DAGRUN_LOGICAL_DATE"


class _QueuedAt(_Reference):
    name = "DAGRUN_QUEUED_AT"


class _FixedDatetime(_Reference):
    name = "FIXED_DATETIME"

    def __init__(self, when: datetime) -> None:
        if not isinstance(when, datetime):
            raise TypeError(
                f"DeadlineReference.FIXED_DATETIME({when!r}) takes a datetime, e.g. "
                "FIXED_DATETIME(datetime(2026, 1, 1, 9, 0, tzinfo=timezone.utc))"
            )
        # A naive datetime is in the default timezone, as a DAG's start_date is.
        self.when = when if when.tzinfo else when.replace(tzinfo=default_timezone())

    def to_spec(self) -> dict[str, Any]:
        return {"reference": self.name, "datetime": self.when.isoformat()}

    def __repr__(self) -> str:
        return f"DeadlineReference.FIXED_DATETIME({self.when.isoformat()})"


class _AverageRuntime(_Reference):
    """When the run was created plus the average duration of the DAG's last ``max_runs``
    finished runs; no deadline while fewer than ``min_runs`` (default: ``max_runs``) have
    finished (Airflow's ``AverageRuntimeDeadline``)."""

    name = "AVERAGE_RUNTIME"
    DEFAULT_LIMIT = 10

    def __init__(self, max_runs: int, min_runs: int | None) -> None:
        min_runs = max_runs if min_runs is None else min_runs
        for label, value in (("max_runs", max_runs), ("min_runs", min_runs)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise DagDefinitionError(
                    f"DeadlineReference.AVERAGE_RUNTIME({label}={value!r}): {label} must be a "
                    "whole number of runs, at least 1"
                )
        self.max_runs = max_runs
        self.min_runs = min_runs

    def to_spec(self) -> dict[str, Any]:
        return {"reference": self.name, "max_runs": self.max_runs, "min_runs": self.min_runs}

    def __repr__(self) -> str:
        return f"DeadlineReference.AVERAGE_RUNTIME({self.max_runs}, {self.min_runs})"


class DeadlineReference:
    """Airflow's built-in deadline references."""

    DAGRUN_LOGICAL_DATE: _Reference = _LogicalDate()
    DAGRUN_QUEUED_AT: _Reference = _QueuedAt()

    @staticmethod
    def FIXED_DATETIME(dt: datetime) -> _Reference:
        return _FixedDatetime(dt)

    @staticmethod
    def AVERAGE_RUNTIME(max_runs: int = 0, min_runs: int | None = None) -> _Reference:
        return _AverageRuntime(max_runs or _AverageRuntime.DEFAULT_LIMIT, min_runs)


class DeadlineAlert:
    """``reference`` + ``interval`` is the deadline; ``callback`` runs if the run is not
    finished by then. ``name`` labels it in the UI and the event log."""

    def __init__(
        self,
        reference: _Reference,
        interval: timedelta,
        callback: Callback,
        name: str | None = None,
    ) -> None:
        if not isinstance(reference, _Reference):
            raise TypeError(
                f"DeadlineAlert(reference={reference!r}): use "
                "DeadlineReference.DAGRUN_LOGICAL_DATE, "
                ".DAGRUN_QUEUED_AT, .FIXED_DATETIME(datetime) or .AVERAGE_RUNTIME()"
            )
        if not isinstance(interval, timedelta):
            raise TypeError(
                f"DeadlineAlert(interval={interval!r}) must be a datetime.timedelta, e.g. "
                "interval=timedelta(hours=2)"
            )
        if not isinstance(callback, AsyncCallback | SyncCallback):
            raise TypeError(
                f"DeadlineAlert(callback={callback!r}): wrap the callable, e.g. "
                "callback=AsyncCallback(notify, kwargs={...}) (Airflow takes only "
                "AsyncCallback or SyncCallback)"
            )
        self.reference = reference
        self.interval = interval
        self.callback = callback
        self.name = name

    def to_spec(self) -> dict[str, Any]:
        return {
            **self.reference.to_spec(),
            "interval_s": self.interval.total_seconds(),
            "name": self.name,
            "callback": self.callback.path,
        }

    def __repr__(self) -> str:
        return f"DeadlineAlert({self.reference!r}, {self.interval!r}, {self.callback!r})"


def check_deadlines(value: Any, where: str, location: str | None) -> tuple[DeadlineAlert, ...]:
    """``DAG(deadline=...)``: one ``DeadlineAlert`` or a list of them (Airflow takes both)."""
    if value is None:
        return ()
    items = list(value) if isinstance(value, list | tuple) else [value]
    for item in items:
        if not isinstance(item, DeadlineAlert):
            raise DagDefinitionError(
                f"{where}: deadline={item!r} is not a DeadlineAlert; write "
                "deadline=DeadlineAlert(reference=DeadlineReference.DAGRUN_LOGICAL_DATE, "
                "interval=timedelta(hours=2), callback=AsyncCallback(notify))",
                location=location,
            )
    return tuple(items)
