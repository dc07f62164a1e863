"""Backfills (Airflow 3's ``airflow backfill`` and ``/backfills``): create, dry run, list,
inspect, pause, cancel. The scheduler runs them; these functions only write the request
and poke it (``scheduler/engine/backfill.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scheduler.api.databases import database, read_database
from scheduler.authoring.params import ParamsDict, merge_params
from scheduler.clock import utcnow
from scheduler.engine.backfill import (
    PlannedDate,
    backfill_dates,
    check_reprocess_behavior,
    preview,
)
from scheduler.engine.wakeup import wake_schedulers
from scheduler.errors import BackfillConflictError, InvalidBackfillError
from scheduler.json_limits import JsonLimits, check_conf
from scheduler.settings import Settings
from scheduler.store import backfills as store
from scheduler.store import dags as dag_store
from scheduler.store.backfills import BackfillRequest, Progress
from scheduler.store.db import transaction
from scheduler.store.events import process_source
from scheduler.store.models_backfill import BackfillRow
from scheduler.store.sqlmodel_boundary import stored_id

MAX_ACTIVE_RUNS_LIMIT = 1000


@dataclass(frozen=True)
class BackfillView:
    """A backfill with where its dates are."""

    row: BackfillRow
    progress: Progress

    def as_dict(self) -> dict[str, Any]:
        """Airflow 3's ``BackfillResponse`` fields, then Baton's own."""
        row = self.row
        return {
            "id": row.id,
            "dag_id": row.dag_id,
            "from_date": row.from_date.isoformat(),
            "to_date": row.to_date.isoformat(),
            "dag_run_conf": row.dag_run_conf or {},
            "is_paused": row.is_paused,
            "reprocess_behavior": row.reprocess_behavior,
            "max_active_runs": row.max_active_runs,
            "created_at": row.created_at.isoformat(),
            "completed_at": _iso(row.completed_at),
            "updated_at": row.updated_at.isoformat(),
            "run_backwards": row.run_backwards,
            "cancelled_at": _iso(row.cancelled_at),
            "created_by": row.created_by,
            "state": self.state,
            "progress": self.progress.as_dict(),
        }

    @property
    def state(self) -> str:
        if self.row.completed_at is not None:
            return "cancelled" if self.row.cancelled_at else "completed"
        if self.row.cancelled_at is not None:
            return "cancelling"  # its running runs are finishing
        return "paused" if self.row.is_paused else "running"


def make_request(
    dag_id: str,
    from_date: datetime,
    to_date: datetime,
    *,
    max_active_runs: int = 10,
    reprocess_behavior: str = "none",
    run_backwards: bool = False,
    conf: dict[str, Any] | None = None,
) -> BackfillRequest:
    """A checked request (the same rules for the CLI, the REST API and the web UI)."""
    check_reprocess_behavior(reprocess_behavior)
    if not 1 <= max_active_runs <= MAX_ACTIVE_RUNS_LIMIT:
        raise InvalidBackfillError(
            f"max_active_runs {max_active_runs} is out of range; use 1 to {MAX_ACTIVE_RUNS_LIMIT}"
        )
    for name, value in (("from_date", from_date), ("to_date", to_date)):
        if value.tzinfo is None:
            raise InvalidBackfillError(
                f"{name} {value.isoformat()} has no time zone; add one, e.g. +00:00"
            )
    return BackfillRequest(
        dag_id, from_date, to_date, reprocess_behavior, max_active_runs, run_backwards, conf
    )


def create_backfill(
    settings: Settings, request: BackfillRequest, *, source: str | None = None
) -> BackfillView:
    """Record the backfill and its dates; the scheduler starts the runs."""
    check_conf(request.dag_run_conf, JsonLimits.from_settings(settings), "dag_run_conf")
    with transaction(database(settings)) as session:
        spec = dag_store.get_spec(session, request.dag_id)
        # Refused now, not run by run later: the same message as `dags trigger` gives.
        merge_params(ParamsDict.from_spec(spec.param_specs), request.dag_run_conf)
        infos = backfill_dates(
            spec, request.from_date, request.to_date, run_backwards=request.run_backwards
        )
        row = store.create_backfill(
            session, request, infos, source=source or process_source("cli"), now=utcnow()
        )
        view = BackfillView(row, store.progress(session, [stored_id(row)])[stored_id(row)])
    wake_schedulers(settings)
    return view


def dry_run_backfill(settings: Settings, request: BackfillRequest) -> list[PlannedDate]:
    """The dates a backfill would cover and what it would do with each, as things are now."""
    with transaction(read_database(settings)) as session:
        spec = dag_store.get_spec(session, request.dag_id)
        infos = backfill_dates(
            spec, request.from_date, request.to_date, run_backwards=request.run_backwards
        )
        return preview(session, spec, infos, request.reprocess_behavior)


def list_backfills(
    settings: Settings,
    dag_id: str | None = None,
    *,
    active: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[BackfillView]:
    with transaction(read_database(settings)) as session:
        if dag_id is not None:
            dag_store.get_dag(session, dag_id)
        rows = store.list_backfills(session, dag_id, active=active, limit=limit, offset=offset)
        found = store.progress(session, [stored_id(r) for r in rows])
        return [BackfillView(r, found[stored_id(r)]) for r in rows]


def count_backfills(settings: Settings, dag_id: str | None = None) -> int:
    with transaction(read_database(settings)) as session:
        return store.count_backfills(session, dag_id)


def get_backfill(settings: Settings, backfill_id: int) -> BackfillView:
    with transaction(read_database(settings)) as session:
        row = store.get_backfill(session, backfill_id)
        return BackfillView(row, store.progress(session, [stored_id(row)])[stored_id(row)])


def cancel_backfill(
    settings: Settings, backfill_id: int, *, source: str | None = None
) -> BackfillView:
    """No more runs start; queued ones are failed by the scheduler, running ones finish."""
    with transaction(database(settings)) as session:
        row = store.cancel(
            session, backfill_id, source=source or process_source("cli"), now=utcnow()
        )
        view = BackfillView(row, store.progress(session, [stored_id(row)])[stored_id(row)])
    wake_schedulers(settings)
    return view


def set_backfill_paused(settings: Settings, backfill_id: int, paused: bool) -> BackfillView:
    """Pause (no new runs start; the active ones go on) or unpause a backfill."""
    with transaction(database(settings)) as session:
        row = store.get_backfill(session, backfill_id)
        if row.completed_at is not None or row.cancelled_at is not None:
            raise BackfillConflictError(
                f"backfill {backfill_id} has ended; only an active backfill can be "
                f"{'paused' if paused else 'unpaused'}"
            )
        row.is_paused = paused
        row.updated_at = utcnow()
        session.flush()
        view = BackfillView(row, store.progress(session, [stored_id(row)])[stored_id(row)])
    wake_schedulers(settings)
    return view


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
