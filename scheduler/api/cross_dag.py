"""Cross-DAG dependencies: what TriggerDagRunOperator and ExternalTaskSensor do in a worker.

The operators import this module when they run (DAG files stay light). Each function opens
its own short transaction on the database the try's ``TaskRequest`` named, as the CLI does;
a triggered run pokes the scheduler's wake-up socket so it starts at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from scheduler.api.databases import database, read_database
from scheduler.clock import utcnow
from scheduler.engine.scheduling import trigger_run
from scheduler.engine.wakeup import wake_schedulers
from scheduler.errors import BatonError, DagNotFoundError, TaskNotFoundError
from scheduler.json_limits import JsonLimits
from scheduler.run_ids import check_run_id
from scheduler.settings import Settings
from scheduler.store import cross_dag as cross_dag_store
from scheduler.store import dags as dag_store
from scheduler.store import runs as run_store
from scheduler.store.db import transaction
from scheduler.store.models import DagRunRow


def worker_settings(database_url: str | None) -> Settings:
    """The settings of this worker (its environment), on the database of its try."""
    settings = Settings.from_env()
    if database_url and database_url != settings.database_url:
        settings = dataclasses.replace(settings, database_url=database_url)
    return settings


@dataclass(frozen=True)
class TriggerOutcome:
    run_id: str
    already_existed: bool  # True: not created now (cleared again if reset_dag_run)


def trigger_for_task(
    settings: Settings,
    dag_id: str,
    *,
    run_id: str | None,
    conf: dict[str, Any],
    logical_date: datetime,
    reset_dag_run: bool,
    fail_when_dag_is_paused: bool,
    triggered_by: str,
) -> TriggerOutcome:
    """Create a manual run of ``dag_id``; if its run id exists, clear it when
    ``reset_dag_run`` (the run's conf stays as it was, as in Airflow) or report it."""
    now = utcnow()
    if run_id:
        check_run_id(run_id)  # the rule of the CLI, the API and the web UI
    run_id = run_id or f"manual__{logical_date.astimezone(UTC).isoformat()}"
    with transaction(database(settings)) as session:
        dag = dag_store.get_dag(session, dag_id)
        if fail_when_dag_is_paused and dag.is_paused:
            raise BatonError(
                f"DAG '{dag_id}' is paused (fail_when_dag_is_paused=True); unpause it with "
                f"`baton dags unpause {dag_id}`"
            )
        existing = session.scalar(
            select(col(DagRunRow.id)).where(
                col(DagRunRow.dag_id) == dag_id, col(DagRunRow.run_id) == run_id
            )
        )
        if existing is None:
            trigger_run(
                session,
                dag_id,
                conf=conf,
                run_id=run_id,
                logical_date=logical_date,
                source=triggered_by,
                now=now,
                conf_limits=JsonLimits.from_settings(settings),
            )
        elif reset_dag_run:
            spec = dag_store.get_spec(session, dag_id)
            cross_dag_store.clear_across_dags(
                session,
                spec,
                run_id,
                list(spec.tasks),
                downstream=False,
                source=triggered_by,
                now=now,
            )
    if existing is None or reset_dag_run:
        wake_schedulers(settings)
    return TriggerOutcome(run_id, already_existed=existing is not None)


def run_state(settings: Settings, dag_id: str, run_id: str) -> str:
    with transaction(read_database(settings)) as session:
        return run_store.get_run(session, dag_id, run_id).state


def check_existence(
    settings: Settings, dag_id: str, task_ids: Sequence[str], group_id: str | None = None
) -> None:
    """Raise if ``dag_id``, one of ``task_ids`` or task group ``group_id`` in it is not known
    (the sensors' ``check_existence``)."""
    with transaction(read_database(settings)) as session:
        row = dag_store.get_dag(session, dag_id)
        if not row.is_active:
            raise DagNotFoundError(
                f"the external DAG '{dag_id}' was deleted (its file {row.fileloc} is gone)"
            )
        spec = dag_store.get_spec(session, dag_id)
    if group_id is not None and group_id not in spec.task_groups:
        raise TaskNotFoundError(
            f"the external DAG '{dag_id}' has no task group '{group_id}'; its groups: "
            f"{', '.join(spec.task_groups) or 'none'}"
        )
    missing = [t for t in task_ids if t not in spec.tasks]
    if missing:
        raise TaskNotFoundError(
            f"the external DAG '{dag_id}' has no task(s) {', '.join(missing)}; its tasks: "
            f"{', '.join(spec.tasks)}"
        )


def count_matching(
    settings: Settings,
    dag_id: str,
    task_ids: Sequence[str] | None,
    logical_dates: Sequence[datetime],
    states: Sequence[str],
) -> int:
    """How many task instances (``task_ids``) or runs (None) at those dates are in ``states``."""
    with transaction(read_database(settings)) as session:
        if task_ids:
            return cross_dag_store.count_task_instances(
                session, dag_id, task_ids, logical_dates, states
            )
        return cross_dag_store.count_runs(session, dag_id, logical_dates, states)


def count_group_matching(
    settings: Settings,
    dag_id: str,
    group_id: str,
    logical_dates: Sequence[datetime],
    states: Sequence[str],
) -> int:
    """Runs at those dates whose task group ``group_id`` has every task in ``states``."""
    with transaction(read_database(settings)) as session:
        try:
            spec = dag_store.get_spec(session, dag_id)
        except DagNotFoundError:
            return 0  # not parsed (yet): nothing matches, the sensor keeps waiting
        return cross_dag_store.count_group_runs(session, spec, group_id, logical_dates, states)
