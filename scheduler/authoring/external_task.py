"""``ExternalTaskSensor`` and ``ExternalTaskMarker``: dependencies on other DAGs (Airflow's).

    ExternalTaskSensor(
        task_id="wait_for_load",
        external_dag_id="load",
        external_task_id="publish",       # or external_task_ids=[...]; neither: the whole run
        execution_delta=timedelta(hours=1),
        failed_states=["failed"],
        poke_interval=30,
    )

The sensor waits until the external task(s), every task of ``external_task_group_id`` (or,
with neither, the external run) at the matching logical date reached ``allowed_states``
(default ``["success"]``): the same logical date as this run, minus ``execution_delta``, or
the date(s) ``execution_date_fn`` returns.
Reaching ``failed_states`` fails it (skips it with ``soft_fail``); ``skipped_states`` skips
it. ``check_existence=True`` fails at once when the external DAG or task is not known.
Otherwise it keeps poking until ``timeout``, as any sensor, holding its worker slot.

An ``ExternalTaskMarker`` does nothing when it runs. Clearing it (directly or as a
downstream task) also clears ``external_task_id`` and its downstream tasks in the runs of
``external_dag_id`` at the marker's ``logical_date`` (templated, default the cleared run's
logical date), following markers there up to ``recursion_depth`` levels.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from scheduler.authoring.checks import positive_int, to_timedelta
from scheduler.authoring.operators.empty import EmptyOperator
from scheduler.authoring.operators.trigger_dagrun import refuse_deferrable, run_states
from scheduler.authoring.sensors import BaseSensorOperator
from scheduler.errors import BatonError, BatonSkipException, DagDefinitionError
from scheduler.spec import CrossDagRef
from scheduler.states import TaskState


class ExternalTaskSensor(BaseSensorOperator):
    """Wait for a task, several tasks or a whole run of another DAG; see the module docstring."""

    template_fields = (
        "external_dag_id",
        "external_task_id",
        "external_task_ids",
        "external_task_group_id",
    )
    ui_color = "#4db7db"

    def __init__(
        self,
        *,
        external_dag_id: str,
        external_task_id: str | None = None,
        external_task_ids: Collection[str] | None = None,
        external_task_group_id: str | None = None,
        allowed_states: Iterable[str] | None = None,
        skipped_states: Iterable[str] | None = None,
        failed_states: Iterable[str] | None = None,
        execution_delta: timedelta | None = None,
        execution_date_fn: Callable[..., Any] | None = None,
        check_existence: bool = False,
        poll_interval: float = 2.0,
        deferrable: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        where = f"task '{self.task_id}'"
        refuse_deferrable(deferrable, where, self.location)
        if not isinstance(external_dag_id, str) or not external_dag_id:
            raise DagDefinitionError(
                f"{where}: external_dag_id must be the dag_id (a string) to wait for, got "
                f"{external_dag_id!r}",
                location=self.location,
            )
        task_ids = _task_ids(external_task_id, external_task_ids, where, self.location)
        if external_task_group_id is not None and task_ids is not None:
            raise DagDefinitionError(
                f"{where}: pass external_task_group_id or external_task_id(s) to "
                "ExternalTaskSensor, not both",
                location=self.location,
            )
        self.allowed_states = list(allowed_states or [TaskState.SUCCESS.value])
        self.skipped_states = list(skipped_states or [])
        self.failed_states = list(failed_states or [])
        self._check_states(task_ids is None and external_task_group_id is None, where)
        if execution_delta is not None and execution_date_fn is not None:
            raise DagDefinitionError(
                f"{where}: pass execution_delta or execution_date_fn to ExternalTaskSensor, "
                "not both",
                location=self.location,
            )
        if execution_date_fn is not None and not callable(execution_date_fn):
            raise DagDefinitionError(
                f"{where}: execution_date_fn must be a function of the logical date",
                location=self.location,
            )
        self.execution_delta = to_timedelta(
            "execution_delta", execution_delta, where, self.location
        )
        self.execution_date_fn = execution_date_fn
        self.external_dag_id = external_dag_id
        self.external_task_id = external_task_id
        self.external_task_ids = task_ids
        self.external_task_group_id = external_task_group_id
        self.check_existence = bool(check_existence)
        # Airflow uses poll_interval only when deferrable, which Baton refuses: kept for
        # compatibility, the pokes follow poke_interval as in Airflow's non-deferred mode.
        self.poll_interval = poll_interval
        self._existence_checked = False

    def _check_states(self, waits_for_run: bool, where: str) -> None:
        chosen = [*self.allowed_states, *self.skipped_states, *self.failed_states]
        if len(set(chosen)) != len(chosen):
            raise DagDefinitionError(
                f"{where}: a state appears more than once across allowed_states, "
                "skipped_states and failed_states; give each state one meaning",
                location=self.location,
            )
        if waits_for_run:  # run states
            run_states("allowed_states/skipped_states/failed_states", chosen, where, self.location)
            return
        valid = {s.value for s in TaskState}
        wrong = [s for s in chosen if s not in valid]
        if wrong:
            raise DagDefinitionError(
                f"{where}: {', '.join(map(repr, wrong))} is not a task state (the sensor "
                f"waits for tasks); use some of {', '.join(sorted(valid))}",
                location=self.location,
            )

    def cross_dag_ref(self) -> CrossDagRef:
        return CrossDagRef(
            kind="sensor", dag_id=self.external_dag_id, task_ids=tuple(self.external_task_ids or ())
        )

    def poke(self, context: Mapping[str, Any]) -> bool:
        # Late, so DAG files stay light; a listed exception to the layers (pyproject.toml).
        from scheduler.api import cross_dag as backend

        task_ids = self.external_task_ids
        if task_ids and len(task_ids) != len(set(task_ids)):
            raise ValueError(f"external_task_ids has duplicates: {task_ids}")
        dates = self.logical_dates(context)
        settings = backend.worker_settings(getattr(context["ti"], "database_url", None))
        if self.check_existence and not self._existence_checked:
            backend.check_existence(
                settings, self.external_dag_id, task_ids or [], self.external_task_group_id
            )
            self._existence_checked = True
        group = self.external_task_group_id
        if task_ids:
            what = f"task(s) {', '.join(task_ids)} of"
        else:
            what = f"task group '{group}' of" if group else "the run of"
        self.log.info(
            "Poking for %s DAG %s on %s ...",
            what,
            self.external_dag_id,
            ", ".join(d.isoformat() for d in dates),
        )

        def count(states: list[str]) -> float:
            if group:
                return backend.count_group_matching(
                    settings, self.external_dag_id, group, dates, states
                )
            found = backend.count_matching(settings, self.external_dag_id, task_ids, dates, states)
            return found / len(task_ids) if task_ids else found

        if self.failed_states and count(self.failed_states) > 0:
            message = f"{what} DAG '{self.external_dag_id}' reached one of {self.failed_states}"
            if self.soft_fail:
                raise BatonSkipException(f"{message}; skipping (soft_fail=True)")
            raise BatonError(f"{message} (failed_states)")  # retried per retries, as Airflow
        if self.skipped_states and count(self.skipped_states) > 0:
            raise BatonSkipException(
                f"{what} DAG '{self.external_dag_id}' reached one of {self.skipped_states} "
                "(skipped_states); skipping"
            )
        return count(self.allowed_states) == len(dates)

    def logical_dates(self, context: Mapping[str, Any]) -> list[datetime]:
        """The external logical date(s) this try waits for."""
        logical_date = context["logical_date"]
        if self.execution_delta is not None:
            return [logical_date - self.execution_delta]
        if self.execution_date_fn is None:
            return [logical_date]
        result = _call_with_context(self.execution_date_fn, logical_date, context)
        dates = list(result) if isinstance(result, list | tuple) else [result]
        if not dates or not all(isinstance(d, datetime) for d in dates):
            raise TypeError(
                f"execution_date_fn of '{self.task_id}' must return a datetime or a list of "
                f"them, got {result!r}"
            )
        return dates


def _task_ids(
    task_id: str | None, task_ids: Collection[str] | None, where: str, location: str | None
) -> list[str] | None:
    if task_ids is not None and not task_ids:
        task_ids = None  # Airflow: [] means the whole run
    if task_id is not None and task_ids is not None:
        raise DagDefinitionError(
            f"{where}: pass external_task_id or external_task_ids to ExternalTaskSensor, not both",
            location=location,
        )
    if task_id is not None:
        return [task_id]
    if task_ids is None:
        return None
    if isinstance(task_ids, str):
        raise DagDefinitionError(
            f"{where}: external_task_ids must be a list of task ids, got the string "
            f"{task_ids!r}; use external_task_id for one task",
            location=location,
        )
    return list(task_ids)


def _call_with_context(
    fn: Callable[..., Any], logical_date: Any, context: Mapping[str, Any]
) -> Any:
    """Airflow's ``execution_date_fn(logical_date, **the context keys it accepts)``."""
    kwargs = {k: v for k, v in context.items() if k != "logical_date"}
    kwargs["context"] = context
    parameters = inspect.signature(fn).parameters.values()
    if not any(p.kind is p.VAR_KEYWORD for p in parameters):
        names = {p.name for p in parameters}
        kwargs = {k: v for k, v in kwargs.items() if k in names}
    return fn(logical_date, **kwargs)


class ExternalTaskMarker(EmptyOperator):
    """Clearing this task clears a task of another DAG too; see the module docstring."""

    template_fields = ("external_dag_id", "external_task_id", "logical_date")
    ui_color = "#4db7db"

    def __init__(
        self,
        *,
        external_dag_id: str,
        external_task_id: str,
        logical_date: str | datetime | None = "{{ logical_date.isoformat() }}",
        recursion_depth: int = 10,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        where = f"task '{self.task_id}'"
        for name, value in (
            ("external_dag_id", external_dag_id),
            ("external_task_id", external_task_id),
        ):
            if not isinstance(value, str) or not value:
                raise DagDefinitionError(
                    f"{where}: {name} must be a non-empty string, got {value!r}",
                    location=self.location,
                )
        if isinstance(logical_date, datetime):
            logical_date = logical_date.isoformat()
        if not isinstance(logical_date, str):
            raise DagDefinitionError(
                f"{where}: logical_date must be a datetime or an ISO 8601 string (may be a "
                f"template), got {type(logical_date).__name__}",
                location=self.location,
            )
        self.external_dag_id = external_dag_id
        self.external_task_id = external_task_id
        self.logical_date = logical_date
        self.recursion_depth = positive_int(
            "recursion_depth", recursion_depth, where, self.location
        )

    def cross_dag_ref(self) -> CrossDagRef:
        return CrossDagRef(
            kind="marker",
            dag_id=self.external_dag_id,
            task_ids=(self.external_task_id,),
            logical_date=self.logical_date,
            recursion_depth=self.recursion_depth,
        )
