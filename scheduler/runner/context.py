"""The task context: the dict handed to ``execute(context)``, callbacks and templates.

Keys follow Airflow (``ti``, ``ds``, ``ts``, ``logical_date``, ``data_interval_start``,
``params``, ``dag_run``, ``macros``, ``conn``, ``var``...). Baton adds ``conf`` (the run's
trigger conf, also reachable as ``dag_run.conf``) and ``idempotency_key``
(``dag_id/run_id/task_id``, plus ``/map_index`` when mapped: the same for every try, the
try number being ``try_number``), which a task hands to the services it calls so that a
retried try can be deduplicated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pendulum

from scheduler.connections import ConnectionAccessor, VariableAccessor
from scheduler.executor import TaskRequest
from scheduler.plugins import TemplateMacros
from scheduler.runner import macros
from scheduler.runner.assets import OutletEventAccessors, TriggeringAssetEvents
from scheduler.runner.templating import render_task
from scheduler.runner.xcom import RETURN_VALUE_KEY, TryXComs


class ContextDateTime(pendulum.DateTime):
    """A pendulum ``DateTime``, as Airflow's context dates are, whose ``str()`` is ISO 8601
    with a ``T``.

    Task code written for Airflow calls pendulum's methods on them
    (``logical_date.add(days=1)``, ``.in_timezone("Europe/Paris")``, ``.format("YYYYMMDD")``),
    in Python and in templates. ``{{ data_interval_end }}`` renders
    ``2026-11-28T00:00:00+00:00``, pendulum 2's form (pendulum 3 would print a space for the
    ``T``).
    """

    def __str__(self) -> str:
        return self.isoformat()

    @classmethod
    def of(cls, value: datetime) -> ContextDateTime:
        moment = pendulum.instance(value)  # the same instant, in a pendulum time zone
        return cls(
            moment.year,
            moment.month,
            moment.day,
            moment.hour,
            moment.minute,
            moment.second,
            moment.microsecond,
            tzinfo=moment.tzinfo,
            fold=moment.fold,
        )


@dataclass(frozen=True)
class DagRunInfo:
    """``context["dag_run"]``: the run this try belongs to (read-only)."""

    dag_id: str
    run_id: str
    run_type: str
    logical_date: datetime
    data_interval_start: datetime
    data_interval_end: datetime
    conf: dict[str, Any] = field(default_factory=dict)


class RuntimeTaskInstance:
    """``context["ti"]``: who is running, plus ``xcom_push`` / ``xcom_pull``."""

    def __init__(self, request: TaskRequest, task: Any, xcoms: TryXComs, dag: Any = None) -> None:
        self.map_index = request.map_index  # Airflow's: -1 unless an instance of a mapped task
        self._dag = dag
        self.dag_id = request.dag_id
        self.task_id = request.task_id
        self.run_id = request.run_id
        self.try_number = request.try_number
        # Set by the runner before each callback (Airflow's ti.state in a callback context).
        self.state: str | None = "running"
        self.logical_date = request.logical_date
        self.log_path = request.log_path
        # A rescheduled sensor's first poke (its timeout counts from there), else None.
        self.first_poke_at = request.resume.first_poke_at if request.resume else None
        # The database of this try: cross-DAG operators read and trigger runs there.
        self.database_url = request.database_url
        self.task = task
        self._xcoms = xcoms

    @property
    def max_tries(self) -> int:
        return int(getattr(self.task, "retries", 0) or 0)

    def xcom_push(self, key: str, value: Any) -> None:
        """Make ``value`` (JSON-compatible) available to later tasks under ``key``."""
        self._xcoms.push(key, value)

    def xcom_pull(
        self,
        task_ids: str | list[str] | tuple[str, ...] | None = None,
        key: str = RETURN_VALUE_KEY,
        dag_id: str | None = None,
        default: Any = None,
        map_indexes: int | list[int] | None = None,
    ) -> Any:
        """A value for one task id, a list for several; ``default`` where nothing was pushed.

        ``task_ids=None`` means this task (Airflow 3's meaning), which is how a task reads
        back what it pushed earlier in the same try. A mapped task's value is the list of
        its instances' values in map_index order, or the same instance's value inside a
        mapped task group; ``map_indexes`` picks instances.
        """
        dag_id = dag_id or self.dag_id
        if task_ids is None:
            return self._xcoms.pull_one(dag_id, self.task_id, key, default, self.map_index)
        if isinstance(task_ids, str):
            return self._pull(dag_id, task_ids, key, default, map_indexes)
        return [self._pull(dag_id, t, key, default, map_indexes) for t in task_ids]

    def _pull(self, dag_id: str, task_id: str, key: str, default: Any, map_indexes: Any) -> Any:
        pull = self._xcoms.pull_one
        if isinstance(map_indexes, int):
            return pull(dag_id, task_id, key, default, map_indexes)
        if map_indexes is not None:
            return [pull(dag_id, task_id, key, default, i) for i in map_indexes]
        upstream = self._dag.task_dict.get(task_id) if dag_id == self.dag_id and self._dag else None
        if upstream is None or not upstream.is_mapped:
            return pull(dag_id, task_id, key, default)
        group = upstream.mapped_group_id
        if group is not None and self.map_index >= 0 and group == self.task.mapped_group_id:
            return pull(dag_id, task_id, key, default, self.map_index)
        return self._xcoms.pull_mapped(dag_id, task_id, key)

    def render_templates(self, context: dict[str, Any]) -> Any:
        """Render the task's template fields again, in place, and return the task (Airflow's
        ``ti.render_templates``): for a task that sets a field while it runs, as
        ``@task.bash`` sets its command to what its function returned."""
        _, values = render_task(self.task, context["dag"], context)
        for name, value in values.items():
            object.__setattr__(self.task, name, value)  # as render_task does: no re-wiring
        return self.task

    def __repr__(self) -> str:
        return (
            f"<TaskInstance {self.dag_id}.{self.task_id} run={self.run_id} try={self.try_number}>"
        )


def build_context(
    request: TaskRequest, dag: Any, task: Any, xcoms: TryXComs, params: dict[str, Any]
) -> dict[str, Any]:
    """Every key a task or template may use, computed once per try."""
    ti = RuntimeTaskInstance(request, task, xcoms, dag)
    logical_date = ContextDateTime.of(request.logical_date)
    ds_nodash = logical_date.strftime("%Y%m%d")
    dag_run = DagRunInfo(
        dag_id=request.dag_id,
        run_id=request.run_id,
        run_type=request.run_type,
        logical_date=logical_date,
        data_interval_start=ContextDateTime.of(request.data_interval_start),
        data_interval_end=ContextDateTime.of(request.data_interval_end),
        conf=dict(request.conf),
    )
    return {
        "dag": dag,
        "task": task,
        "ti": ti,
        "task_instance": ti,
        "run_id": request.run_id,
        "dag_run": dag_run,
        "logical_date": logical_date,
        "ds": logical_date.strftime("%Y-%m-%d"),
        "ds_nodash": ds_nodash,
        "ts": logical_date.isoformat(),
        "ts_nodash": logical_date.strftime("%Y%m%dT%H%M%S"),
        "ts_nodash_with_tz": logical_date.isoformat().replace("-", "").replace(":", ""),
        "data_interval_start": dag_run.data_interval_start,
        "data_interval_end": dag_run.data_interval_end,
        "params": params,
        "conf": dag_run.conf,
        "macros": TemplateMacros(macros),  # + macros.<plugin>.<fn>, loaded when first named
        # Airflow's {{ conn.my_api.host }} / {{ var.value.key }}: looked up only when used.
        "conn": ConnectionAccessor(),
        "var": VariableAccessor(),
        "try_number": request.try_number,
        "map_index": request.map_index,
        "idempotency_key": request.key.idempotency_key,
        "task_instance_key_str": f"{request.dag_id}__{request.task_id}__{ds_nodash}",
        # Assets (runner/assets.py): what the task adds to its outlets' events, and the
        # events that created this run (read from the database when first used).
        "inlets": list(getattr(task, "inlets", [])),
        "outlets": list(getattr(task, "outlets", [])),
        "outlet_events": OutletEventAccessors(),
        "triggering_asset_events": TriggeringAssetEvents(
            request.database_url, request.dag_id, request.run_id, request.run_type
        ),
    }
