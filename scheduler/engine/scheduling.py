"""Creating runs: automated ones from timetables, manual ones from a trigger."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from scheduler.authoring.params import ParamsDict, merge_params
from scheduler.engine.catalog import DagEntry
from scheduler.errors import BatonError
from scheduler.json_limits import JsonLimits, check_conf
from scheduler.run_ids import check_run_id
from scheduler.spec import DagSpec
from scheduler.store import dags as dag_store
from scheduler.store.models import DagRunRow, dag_table
from scheduler.store.runs import NewRun, create_run
from scheduler.timetables import manual_run_info, timetable_for


def create_due_runs(
    session: Session, entry: DagEntry, active_runs: int, *, source: str, now: datetime
) -> list[DagRunRow]:
    """Create every run of ``entry`` that is due now, up to its ``max_active_runs``.

    With catchup this walks the missed intervals in order; the DAG row remembers the last
    interval so a restarted scheduler continues where it stopped (no gap, no duplicate).
    """
    created: list[DagRunRow] = []
    spec = entry.spec
    # The cached upcoming run was computed when the timer was set; with catchup=False a
    # later interval may be the right one now (the scheduler was down, say).
    entry.upcoming_known = False
    while active_runs + len(created) < spec.max_active_runs:
        info = entry.refresh_upcoming(now)
        if info is None or info.run_after > now:
            break
        new = NewRun(
            run_id=f"scheduled__{info.logical_date.isoformat()}",
            run_type="scheduled",
            logical_date=info.logical_date,
            data_interval_start=info.data_interval.start,
            data_interval_end=info.data_interval.end,
            conf={},
        )
        created.append(create_run(session, spec, new, source=source, now=now))
        entry.last_interval, entry.upcoming_known = info.data_interval, False
        session.execute(
            update(dag_table)
            .where(dag_table.c.dag_id == spec.dag_id)
            .values(
                last_scheduled_start=info.data_interval.start,
                last_scheduled_end=info.data_interval.end,
            )
        )
    upcoming = entry.refresh_upcoming(now)
    session.execute(
        update(dag_table)
        .where(dag_table.c.dag_id == spec.dag_id)
        .values(next_run_after=upcoming.run_after if upcoming else None)
    )
    return created


def trigger_run(
    session: Session,
    dag_id: str,
    *,
    conf: dict[str, Any] | None = None,
    run_id: str | None = None,
    logical_date: datetime | None = None,
    source: str,
    now: datetime,
    run_type: str = "manual",
    conf_limits: JsonLimits | None = None,
) -> DagRunRow:
    """Create a manual run of ``dag_id`` (queued; the scheduler starts it)."""
    spec = dag_store.get_spec(session, dag_id)
    if conf is not None and not isinstance(conf, dict):
        raise BatonError(
            f"the conf of a run must be a JSON object, got {type(conf).__name__}; "
            'pass e.g. --conf \'{"key": "value"}\''
        )
    return create_manual_run(
        session,
        spec,
        conf=conf,
        run_id=run_id,
        logical_date=logical_date,
        source=source,
        now=now,
        run_type=run_type,
        conf_limits=conf_limits,
    )


def create_manual_run(
    session: Session,
    spec: DagSpec,
    *,
    conf: dict[str, Any] | None,
    run_id: str | None,
    logical_date: datetime | None,
    source: str,
    now: datetime,
    run_type: str,
    conf_limits: JsonLimits | None = None,
) -> DagRunRow:
    # Before anything else walks it: a conf too deep for Python's recursion must never
    # reach the params' validation, the masking of secrets or the database.
    check_conf(conf, conf_limits or JsonLimits())
    if run_id is not None:
        check_run_id(run_id)  # the generated ids always pass
    if logical_date is not None and logical_date.tzinfo is None:
        raise BatonError(
            f"logical date {logical_date.isoformat()} has no time zone; add one, e.g. "
            f"{logical_date.isoformat()}+00:00"
        )
    # Refused before the run exists, in this one place for every way of triggering (CLI,
    # REST API, web UI, `dags test`): the same message wherever it comes from.
    merge_params(ParamsDict.from_spec(spec.param_specs), conf)
    info = manual_run_info(timetable_for(spec.schedule, spec.timezone), logical_date or now)
    new = NewRun(
        run_id=run_id or f"{run_type}__{info.logical_date.isoformat()}",
        run_type=run_type,
        logical_date=info.logical_date,
        data_interval_start=info.data_interval.start,
        data_interval_end=info.data_interval.end,
        conf=conf or {},
        triggered_by=source,
    )
    return create_run(session, spec, new, source=source, now=now)
