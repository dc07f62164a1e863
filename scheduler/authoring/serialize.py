"""``serialize_dag``: a ``DAG`` object to the plain ``DagSpec`` the rest of Baton works on."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from scheduler.authoring.assets import outlet_dicts
from scheduler.authoring.baseoperator import BaseOperator
from scheduler.authoring.dag import DAG
from scheduler.authoring.default_args import warn_unused_default_args
from scheduler.authoring.priority import effective_weights
from scheduler.authoring.serialize_groups import edge_labels, task_group_id, task_group_specs
from scheduler.authoring.setup_teardown import check_setup_teardown
from scheduler.errors import DagDefinitionError
from scheduler.spec import DagSpec, TaskSpec


def serialize_dag(dag: DAG) -> DagSpec:
    """The ``DagSpec`` of a valid ``dag`` (``dag.validate()`` runs first).

    Tasks keep declaration order; durations become seconds; dates become aware UTC; params
    become their JSON defaults (None where a param has no default).
    """
    dag.validate()
    check_setup_teardown(dag.task_dict.values(), f"DAG '{dag.dag_id}'")
    warn_unused_default_args(dag)
    order = {task_id: index for index, task_id in enumerate(dag.task_dict)}
    weights = effective_weights(dag)  # weight_rule applied once, here
    return DagSpec(
        dag_id=dag.dag_id,
        fileloc=dag.fileloc or "",
        tasks={t.task_id: _task_spec(t, order, weights[t.task_id]) for t in dag.task_dict.values()},
        schedule=dag.schedule,
        timezone=dag.timezone,
        start_date=_utc(dag.start_date),
        end_date=_utc(dag.end_date),
        catchup=dag.catchup,
        max_active_runs=dag.max_active_runs,
        max_active_tasks=dag.max_active_tasks,
        params=_json_params(dag),
        param_specs=dag.params.spec(),
        tags=tuple(dag.tags),
        description=dag.description,
        doc_md=dag.doc_md,
        is_paused_upon_creation=dag.is_paused_upon_creation,
        task_groups=task_group_specs(dag),
        edge_labels=edge_labels(dag),
        dagrun_timeout_s=_seconds(dag.dagrun_timeout),
        asset_condition=dag.asset_condition,
        webhooks=tuple(hook.to_spec() for hook in dag.webhooks),
        asset_watchers=dag.asset_watchers,
        deadlines=tuple(alert.to_spec() for alert in dag.deadline),
        long_try_callbacks=tuple(
            t.task_id
            for t in dag.task_dict.values()
            if getattr(t, "on_longer_than_usual_callback", None)
        ),
        callbacks=tuple(
            name
            for name in ("on_success_callback", "on_failure_callback")
            if getattr(dag, name, None)
        ),
    )


def _task_spec(
    task: BaseOperator, order: dict[str, int], priority_weight: int | None = None
) -> TaskSpec:
    """``priority_weight``: the effective one (weight_rule applied); default: the task's own."""
    return TaskSpec(
        task_id=task.task_id,
        operator=getattr(task, "custom_operator_name", None) or type(task).__name__,
        upstream=tuple(sorted(task.upstream_task_ids, key=order.__getitem__)),
        trigger_rule=task.trigger_rule.value,
        retries=task.retries,
        retry_delay_s=task.retry_delay.total_seconds(),
        retry_exponential_backoff=task.retry_exponential_backoff,
        max_retry_delay_s=_seconds(task.max_retry_delay),
        execution_timeout_s=_seconds(task.execution_timeout),
        pool=task.pool,
        pool_slots=task.pool_slots,
        priority_weight=task.priority_weight if priority_weight is None else priority_weight,
        queue=task.queue,
        has_compensation=task.has_compensation,
        compensate_on_failure=task.compensate_on_failure,
        template_fields=tuple(task.template_fields),
        doc_md=task.doc_md,
        compensation=_compensation_spec(task),
        is_setup=task.is_setup,
        is_teardown=task.is_teardown,
        on_failure_fail_dagrun=task.on_failure_fail_dagrun,
        task_group_id=task_group_id(task),
        cross_dag=task.cross_dag_ref() if hasattr(task, "cross_dag_ref") else None,
        mapping=task.mapping_spec() if task.is_mapped else None,
        depends_on_past=task.depends_on_past,
        wait_for_downstream=task.wait_for_downstream,
        max_active_tis_per_dag=task.max_active_tis_per_dag,
        max_active_tis_per_dagrun=task.max_active_tis_per_dagrun,
        outlets=outlet_dicts(getattr(task, "outlets", None), "outlets", task.task_id),
        inlets=outlet_dicts(getattr(task, "inlets", None), "inlets", task.task_id),
    )


def _compensation_spec(task: BaseOperator) -> TaskSpec | None:
    """How ``task``'s compensation runs: a compensating operator brings its own retries and
    timeout; a callable runs with the task's."""
    compensate = task.compensate
    if compensate is None:
        return None
    if isinstance(compensate, BaseOperator):
        return _task_spec(compensate, {compensate.task_id: 0})
    name = getattr(compensate, "__name__", type(compensate).__name__)
    return TaskSpec(
        task_id=task.task_id,
        operator=f"callable:{name}",
        retries=task.retries,
        retry_delay_s=task.retry_delay.total_seconds(),
        retry_exponential_backoff=task.retry_exponential_backoff,
        max_retry_delay_s=_seconds(task.max_retry_delay),
        execution_timeout_s=_seconds(task.execution_timeout),
        # A callable compensation talks to the task's system: it takes the task's pool.
        pool=task.pool,
        pool_slots=task.pool_slots,
        priority_weight=task.priority_weight,
    )


def _seconds(value: timedelta | None) -> float | None:
    return value.total_seconds() if value is not None else None


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


def _json_params(dag: DAG) -> dict[str, Any]:
    params = dag.params.dump()
    for name, value in params.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            raise DagDefinitionError(
                f"DAG '{dag.dag_id}': the default of param '{name}' ({value!r}) is not "
                "JSON-serialisable; use strings, numbers, booleans, lists and dicts",
                location=dag.location,
            ) from None
    return params
