"""One try of one task, in the current process: the worker's whole job.

``run_try`` never raises: whatever the task does (raise, ``sys.exit``, return junk), the
outcome is a ``TaskFinished`` and the details are in the try's log file. Order of events,
as in Airflow: import the DAG file, build the context, render the template fields,
``on_execute_callback``, ``execute()`` under the execution timeout, then ``on_success``,
``on_retry`` or ``on_failure`` callback. A failing callback is logged and ignored.

A compensation try (``request.compensation``, sagas) runs the task's ``compensate``
instead, through the same steps; it pushes no XComs (the task's stay as they were).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from scheduler.authoring import ParamsDict, merge_params
from scheduler.authoring.current_context import current_context
from scheduler.deferral import Reschedule
from scheduler.errors import (
    BatonError,
    BatonFailException,
    BatonRescheduleException,
    BatonSkipException,
    DownstreamTasksSkipped,
)
from scheduler.executor import TaskFinished, TaskRequest
from scheduler.masking import redact, redact_value
from scheduler.runner.compensation import compensation_of
from scheduler.runner.context import build_context
from scheduler.runner.dag_cache import get_dag_and_task
from scheduler.runner.deferred import deferral_of, resume_deferred
from scheduler.runner.log_capture import append_log_line, capture_output
from scheduler.runner.templating import render_task
from scheduler.runner.timeout import can_enforce_timeout, execution_timeout
from scheduler.runner.xcom import (
    RETURN_VALUE_KEY,
    InMemoryXComReader,
    TryXComs,
    XComReader,
)
from scheduler.triggers.base import TaskDeferred

_MAX_LOGGED_VALUE = 2000  # characters of a rendered field shown in the log
# ti.state as a callback sees it (Airflow sets the new state before calling it).
_CALLBACK_STATES = {
    "on_execute_callback": "running",
    "on_success_callback": "success",
    "on_failure_callback": "failed",
    "on_retry_callback": "up_for_retry",
    "on_skipped_callback": "skipped",
}


def run_try(request: TaskRequest, xcom_reader: XComReader | None = None) -> TaskFinished:
    """Run one try of ``request``'s task here and now; its output goes to its log file."""
    started_at = _now()
    reader = xcom_reader if xcom_reader is not None else InMemoryXComReader()
    try:
        with capture_output(request.log_path) as log:
            return _TryRun(request, reader, log, started_at).run()
    except BaseException as exc:  # the log could not be opened, or restoring the fds failed
        error = f"could not run the task with its log at {request.log_path}: {describe(exc)}"
        append_log_line(request.log_path, "ERROR", error)
        return TaskFinished(request.key, "failed", started_at, _now(), error=error)


def describe(exc: BaseException) -> str:
    """``"ExceptionType: message"``, the one-line reason stored with a failed try.

    Redacted: the message may quote a password the task read, and it is stored in the
    database and shown by the CLI and the web UI.
    """
    message = redact(str(exc))
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _now() -> datetime:
    return datetime.now(UTC)


class _TryRun:
    """The steps of one try; each method is one step, state lives on the instance."""

    def __init__(
        self, request: TaskRequest, reader: XComReader, log: logging.Logger, started_at: datetime
    ) -> None:
        self.request = request
        self.log = log
        self.started_at = started_at
        self.xcoms = TryXComs(
            request.dag_id, request.run_id, request.task_id, reader, request.map_index
        )
        self.task: Any = None
        self.undone: Any = None  # the task a compensation try undoes
        self.context: dict[str, Any] | None = None
        self.skip_tasks: tuple[str, ...] = ()

    def run(self) -> TaskFinished:
        r = self.request
        self.log.info(
            "Starting %s %s of task %s (dag %s, run %s)",
            "compensation try" if r.compensation else "try",
            r.try_number,
            r.task_id,
            r.dag_id,
            r.run_id,
        )
        try:
            context = self._prepare()
            self._call("on_execute_callback")
            result = self._execute(context)
            self._push_return_value(result)
            self.xcoms.sealed()  # here, so a missing Fernet key fails the try with its reason
        except DownstreamTasksSkipped as exc:
            self.log.info("Skipping downstream tasks: %s", ", ".join(exc.tasks) or "none")
            self.skip_tasks = exc.tasks
        except TaskDeferred as exc:
            return self._deferred(exc)
        except BatonRescheduleException as exc:
            return self._rescheduled(exc)
        except BatonSkipException as exc:
            return self._skipped(exc)
        except BatonFailException as exc:
            return self._failed(exc, retryable=False)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt too
            return self._failed(exc, retryable=True)
        self._call("on_success_callback")
        self.log.info("Marking task as SUCCESS")
        return self._finished("success")

    def _prepare(self) -> dict[str, Any]:
        """Load the task, build its context (kept for the callbacks) and render it."""
        r = self.request
        dag, task = get_dag_and_task(r.fileloc, r.dag_id, r.task_id)
        if r.compensation:
            self.undone = task  # its on_compensation_failure_callback, if this try is the last
            task = compensation_of(task)
        self.task = task
        params = _merged_params(dag, task, r.conf)
        self.context = build_context(r, dag, task, self.xcoms, params)
        if r.map_index >= 0 and getattr(task, "is_mapped", False) and hasattr(task, "unmap"):
            # One instance of a mapped task: the operator built with this instance's values.
            task = task.unmap(self.context, r.map_index)
            self.context["task"] = self.context["ti"].task = task
            self.log.info("Mapped instance %s of %s", r.map_index, r.task_id)
        rendered, values = render_task(task, dag, self.context)
        for name, value in values.items():
            if not _is_empty(value):
                # Values under keys like "Authorization" or "api_key" are hidden even when
                # no connection registered them; known secrets are redacted by the log pipe.
                self.log.info("Rendered %s: %s", name, _shorten(repr(redact_value(value))))
        self.task = rendered
        self.context["task"] = rendered
        self.context["ti"].task = rendered
        return self.context

    def _execute(self, context: dict[str, Any]) -> Any:
        timeout_s = self._timeout_s()
        if timeout_s and not can_enforce_timeout():
            self.log.warning("execution_timeout is not enforced: the try is not in a main thread")
        with execution_timeout(timeout_s), current_context(context):
            resume = self.request.resume
            if resume is not None and resume.next_method:
                return resume_deferred(self.task, context, resume, self.log)
            return self.task.execute(context)

    def _timeout_s(self) -> float | None:
        if self.request.execution_timeout_s is not None:
            return self.request.execution_timeout_s
        timeout = getattr(self.task, "execution_timeout", None)
        return timeout.total_seconds() if timeout is not None else None

    def _push_return_value(self, result: Any) -> None:
        if result is None or not getattr(self.task, "do_xcom_push", True):
            return
        if self.request.compensation:
            self.log.info("Compensation returned %s (not kept as an XCom)", _shorten(repr(result)))
            return
        self.xcoms.push(RETURN_VALUE_KEY, result)  # an XComError names the task and type
        if getattr(self.task, "show_return_value_in_logs", True):
            self.log.info("Returned value was: %s", _shorten(repr(result)))

    def _deferred(self, exc: TaskDeferred) -> TaskFinished:
        """The task gave its slot up until a trigger fires: no callback runs (Airflow's)."""
        try:
            deferral = deferral_of(exc, _now())
        except BaseException as error:  # the trigger's kwargs cannot be stored
            return self._failed(error, retryable=False)
        self.log.info(
            "Pausing task as DEFERRED: %s, resuming in %s()", exc.trigger, exc.method_name
        )
        return replace(self._finished("deferred"), deferral=deferral)

    def _rescheduled(self, exc: BatonRescheduleException) -> TaskFinished:
        r = self.request
        first = r.resume.first_poke_at if r.resume and r.resume.first_poke_at else None
        reschedule = Reschedule(exc.reschedule_date, first or self.started_at)
        self.log.info("Rescheduling task, next poke at %s", exc.reschedule_date.isoformat())
        return replace(self._finished("up_for_reschedule"), deferral=reschedule)

    def _skipped(self, exc: BatonSkipException) -> TaskFinished:
        self.log.info("Skipping task: %s", exc or "BatonSkipException raised")
        self._call("on_skipped_callback")
        self.log.info("Marking task as SKIPPED")
        return self._finished("skipped")

    def _failed(self, exc: BaseException, retryable: bool) -> TaskFinished:
        self.log.error("Task failed with exception", exc_info=exc)
        will_retry = retryable and self.request.try_number <= self._retries()
        if self.context is not None:
            self.context["exception"] = exc
        self._call("on_retry_callback" if will_retry else "on_failure_callback")
        if self.undone is not None and not will_retry:  # the task goes compensation_failed
            self._call("on_compensation_failure_callback", self.undone)
        self.log.info("Marking task as %s", "UP_FOR_RETRY" if will_retry else "FAILED")
        return self._finished("failed", error=describe(exc), retryable=retryable)

    def _retries(self) -> int:
        return int(getattr(self.task, "retries", 0) or 0)

    def _call(self, name: str, owner: Any = None) -> None:
        """Run the task's (or ``owner``'s) callback(s) named ``name``; an error in one is
        logged, not raised."""
        owner = self.task if owner is None else owner
        callbacks = getattr(owner, name, None) if self.context is not None else None
        if not callbacks:
            return
        assert self.context is not None
        self.context["ti"].state = _CALLBACK_STATES.get(name, self.context["ti"].state)
        for callback in callbacks if isinstance(callbacks, list | tuple) else [callbacks]:
            try:
                with current_context(self.context):
                    callback(self.context)
            except BaseException:  # a callback never decides the outcome
                self.log.exception("%s %r failed; the try's outcome is unchanged", name, callback)

    def _outlet_events(self) -> tuple[dict[str, Any], ...]:
        assert self.context is not None
        return _outlet_events_of(self.task, self.context)

    def _finished(
        self, state: str, error: str | None = None, retryable: bool = True
    ) -> TaskFinished:
        outlet_events: tuple[dict[str, Any], ...] = ()
        if state == "success" and self.context is not None:
            try:  # an extra that cannot be stored fails the try: its event would be lost
                outlet_events = self._outlet_events()
            except BatonError as exc:
                return self._failed(exc, retryable=False)
        shown, sealed = self.xcoms.sealed()
        return TaskFinished(
            outlet_events=outlet_events,
            key=self.request.key,
            state=state,
            started_at=self.started_at,
            ended_at=_now(),
            error=error,
            retryable=retryable,
            xcoms=shown,
            sealed_xcoms=sealed,
            skip_tasks=self.skip_tasks if state == "success" else (),
        )


def _outlet_events_of(task: Any, context: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """The asset events a success of ``task`` records (runner/assets.py)."""
    outlets = list(getattr(task, "outlets", None) or [])
    return context["outlet_events"].events(outlets) if outlets else ()


def _merged_params(dag: Any, task: Any, conf: dict[str, Any]) -> dict[str, Any]:
    """DAG params < task params < the run's conf; the conf is checked against the schemas."""
    declared = ParamsDict(getattr(dag, "params", None))
    task_params = getattr(task, "params", None) or {}
    for key in task_params:
        if isinstance(task_params, ParamsDict):  # keeps the Param, with its schema
            declared[key] = task_params.get_param(key)
        else:
            declared[key] = task_params[key]
    return merge_params(declared, conf)


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple | dict) and not value)


def _shorten(text: str) -> str:
    if len(text) <= _MAX_LOGGED_VALUE:
        return text
    return f"{text[:_MAX_LOGGED_VALUE]}... ({len(text)} characters)"
