"""Backfills: which logical dates a backfill covers, and the scheduler's step that runs them.

Airflow 3's meaning (core-concepts/backfill): the runs cover the DAG's schedule between
``from_date`` and ``to_date`` (logical dates, both included); ``max_active_runs`` limits the
backfill's own active runs, apart from the DAG's ``max_active_runs``; ``reprocess_behavior``
says which dates that already have a run get it run again (``none``: never; ``failed``: a
failed run; ``completed``: any finished run), and a date whose run is queued or running is
never touched. Re-running means clearing the existing run (a DAG has one run per date).

The CLI, REST API and web UI only write the backfill and its dates; each scheduler pass
(``advance_backfills``) creates the next runs of the backfills of the DAGs it drives.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from scheduler.engine.catalog import DagCatalog
from scheduler.engine.driver import RunDriver
from scheduler.errors import BatonError, InvalidBackfillError
from scheduler.spec import DagSpec
from scheduler.states import FINISHED_RUN_STATES, RunState
from scheduler.store import backfills as store
from scheduler.store import ownership
from scheduler.store.actions import clear_tasks
from scheduler.store.models import DagRunRow
from scheduler.store.models_backfill import BackfillDagRunRow, BackfillRow
from scheduler.store.runs import ACTIVE_RUN_STATES, NewRun, create_run
from scheduler.store.sqlmodel_boundary import stored_id
from scheduler.store.transitions import change_run_state
from scheduler.timetables import RunInfo, TimeRestriction, timetable_for

log = logging.getLogger("baton.backfill")

REPROCESS_BEHAVIORS = ("none", "failed", "completed")
MAX_DATES = 10_000  # one backfill's dates; more is almost surely a typo in a date
MAX_DATES_PER_PASS = 500  # dates looked at per scheduler pass, so a pass stays short

CREATE, CLEAR = "create", "clear"
_FAILED = frozenset(FINISHED_RUN_STATES - {RunState.SUCCESS})


def backfill_dates(
    spec: DagSpec, from_date: datetime, to_date: datetime, *, run_backwards: bool = False
) -> list[RunInfo]:
    """The runs the DAG's schedule asks for with logical dates in ``[from_date, to_date]``,
    in the order the backfill starts them."""
    if to_date < from_date:
        raise InvalidBackfillError(
            f"--to-date {to_date.isoformat()} is before --from-date {from_date.isoformat()}; "
            "swap them (use --run-backwards to run the latest dates first)"
        )
    timetable = timetable_for(spec.schedule, spec.timezone)
    if not timetable.periodic:
        raise InvalidBackfillError(
            f"DAG '{spec.dag_id}' has no time-based schedule (schedule={spec.schedule!r}); "
            "a backfill needs one to know its dates: trigger runs with `baton dags trigger "
            "--logical-date` instead"
        )
    restriction = TimeRestriction(from_date, to_date, catchup=True)
    infos: list[RunInfo] = []
    last = None
    while True:
        info = timetable.next_dagrun_info(
            last_automated_data_interval=last, restriction=restriction, now=to_date
        )
        if info is None or info.logical_date > to_date:
            break
        if len(infos) == MAX_DATES:
            raise InvalidBackfillError(
                f"{from_date.isoformat()} to {to_date.isoformat()} holds more than "
                f"{MAX_DATES} runs of '{spec.dag_id}'; backfill a shorter range at a time"
            )
        infos.append(info)
        last = info.data_interval
    if not infos:
        raise InvalidBackfillError(
            f"no run of '{spec.dag_id}' (schedule {spec.schedule!r}) has a logical date "
            f"between {from_date.isoformat()} and {to_date.isoformat()}; widen the range"
        )
    return infos[::-1] if run_backwards else infos


def check_reprocess_behavior(value: str) -> str:
    if value not in REPROCESS_BEHAVIORS:
        raise InvalidBackfillError(
            f"reprocess_behavior {value!r} is not one of {', '.join(REPROCESS_BEHAVIORS)}"
        )
    return value


def decide(existing: DagRunRow | None, reprocess_behavior: str) -> str:
    """What the backfill does for a date: ``create`` a run, ``clear`` the existing one, or
    leave it (``in_flight`` / ``already_exists``, Airflow's exception reasons)."""
    if existing is None:
        return CREATE
    if existing.state in ACTIVE_RUN_STATES:
        return store.IN_FLIGHT
    if reprocess_behavior == "completed" or (
        reprocess_behavior == "failed" and existing.state in _FAILED
    ):
        return CLEAR
    return store.ALREADY_EXISTS


@dataclass(frozen=True)
class PlannedDate:
    """One line of a dry run: a date, the run it has now, and what a backfill would do."""

    logical_date: datetime
    data_interval_start: datetime
    data_interval_end: datetime
    existing_run_id: str | None
    existing_state: str | None
    action: str

    def as_dict(self) -> dict[str, str | None]:
        return {
            "logical_date": self.logical_date.isoformat(),
            "data_interval_start": self.data_interval_start.isoformat(),
            "data_interval_end": self.data_interval_end.isoformat(),
            "existing_run_id": self.existing_run_id,
            "existing_state": self.existing_state,
            "action": self.action,
        }


def preview(
    session: Session, spec: DagSpec, infos: list[RunInfo], reprocess_behavior: str
) -> list[PlannedDate]:
    """What a backfill over ``infos`` would do now (the states may change before it runs)."""
    existing = store.runs_at(session, spec.dag_id, [i.logical_date for i in infos])
    planned = []
    for info in infos:
        run = existing.get(info.logical_date)
        planned.append(
            PlannedDate(
                info.logical_date,
                info.data_interval.start,
                info.data_interval.end,
                run.run_id if run else None,
                run.state if run else None,
                decide(run, reprocess_behavior),
            )
        )
    return planned


# -- the scheduler's step ------------------------------------------------------------------
def advance_backfills(
    session: Session, driver: RunDriver, catalog: DagCatalog, owned: set[str], now: datetime
) -> None:
    """One scheduler pass over the active backfills of the DAGs this scheduler drives:
    start the next runs up to each backfill's max_active_runs, fail the queued runs of a
    cancelled one, and mark a backfill completed once all its runs have ended."""
    backfills = store.active_backfills(session, owned)
    if not backfills:  # the common case, in ~50 us: nothing else is computed
        return
    specs = catalog.specs
    backfills = [b for b in backfills if b.dag_id in specs]  # a DAG not parsed (yet)
    paused = catalog.paused()
    started = 0
    for backfill in backfills:
        if not ownership.lock_owned_dag(session, backfill.dag_id, driver.job_id):
            continue  # another scheduler took the DAG a moment ago
        active = store.active_runs_of(session, stored_id(backfill))
        if backfill.cancelled_at is not None:
            active = _fail_queued(session, driver, backfill, active, now)
        elif not backfill.is_paused and backfill.dag_id not in paused:
            spec = specs[backfill.dag_id]
            new = _start_next(session, driver, spec, backfill, len(active), now)
            active = store.active_runs_of(session, stored_id(backfill)) if new else active
            started += new
        if not active and not store.has_pending_dates(session, stored_id(backfill)):
            store.complete(session, backfill, source=driver.source, now=now)
            log.info("backfill %d of %s completed", stored_id(backfill), backfill.dag_id)
    if started:  # plan the new runs now: their first tasks go out in this pass's dispatch
        driver.plan(session, now)


def _start_next(
    session: Session,
    driver: RunDriver,
    spec: DagSpec,
    backfill: BackfillRow,
    active: int,
    now: datetime,
) -> int:
    """Create (or clear) runs for the next dates while the backfill has room; returns how
    many runs started. Dates left alone do not take room."""
    started, looked = 0, 0
    while active + started < backfill.max_active_runs and looked < MAX_DATES_PER_PASS:
        dates = store.pending_dates(
            session, stored_id(backfill), backfill.max_active_runs - active - started
        )
        if not dates:
            break
        for date in dates:
            looked += 1
            row = _run_for_date(session, driver, spec, backfill, date, now)
            if row is None:
                continue
            driver.adopt_runs(session, [row], {spec.dag_id: spec})
            live = driver.live.get(row.dag_id, row.run_id)
            if live is not None and live.state == RunState.QUEUED:
                driver.start_run(session, live, now)
            started += 1
    return started


def _run_for_date(
    session: Session,
    driver: RunDriver,
    spec: DagSpec,
    backfill: BackfillRow,
    date: BackfillDagRunRow,
    now: datetime,
) -> DagRunRow | None:
    """The queued run of ``date`` (new, or an existing one cleared), or None if the date is
    left alone; records which in the date's row."""
    existing = store.latest_run_at(session, spec.dag_id, date.logical_date)
    action = decide(existing, backfill.reprocess_behavior)
    try:
        row = _act(session, driver.source, spec, backfill, date, existing, action, now)
    except BatonError as exc:
        # A run_id taken by a run of another date, a task that cannot be cleared: this one
        # date is left alone, and the scheduler's transaction goes on.
        log.warning(
            "backfill %d: leaving %s alone: %s", stored_id(backfill), date.logical_date, exc
        )
        row, action = None, store.ALREADY_EXISTS
    if row is None:
        store.record_date(session, stored_id(date), reason=action)
        return None
    store.claim_run(session, stored_id(row), stored_id(backfill))
    session.refresh(row)
    store.record_date(session, stored_id(date), dag_run_id=stored_id(row))
    log.info("backfill %d: %s run %s/%s", stored_id(backfill), action, row.dag_id, row.run_id)
    return row


def _act(
    session: Session,
    source: str,
    spec: DagSpec,
    backfill: BackfillRow,
    date: BackfillDagRunRow,
    existing: DagRunRow | None,
    action: str,
    now: datetime,
) -> DagRunRow | None:
    """Create the date's run, or clear the existing one; None for a date left alone."""
    if action == CREATE:
        new = NewRun(
            run_id=f"backfill__{date.logical_date.isoformat()}",
            run_type="backfill",
            logical_date=date.logical_date,
            data_interval_start=date.data_interval_start,
            data_interval_end=date.data_interval_end,
            conf=dict(backfill.dag_run_conf or {}),
            triggered_by=backfill.created_by,
        )
        return create_run(session, spec, new, source=source, now=now)
    if action == CLEAR:
        assert existing is not None
        clear_tasks(session, spec, existing.run_id, list(spec.tasks), source=source, now=now)
        return existing
    return None


def _fail_queued(
    session: Session,
    driver: RunDriver,
    backfill: BackfillRow,
    active: list[DagRunRow],
    now: datetime,
) -> list[DagRunRow]:
    """A cancelled backfill's queued runs never start (Airflow fails them); its running
    runs finish. Returns the runs still active."""
    still = []
    for row in active:
        if row.state != RunState.QUEUED:
            still.append(row)
            continue
        change_run_state(
            session,
            row.dag_id,
            row.run_id,
            RunState.QUEUED,
            RunState.FAILED,
            source=driver.source,
            now=now,
            values={"end_date": now},
            detail=f"backfill {stored_id(backfill)} cancelled",
        )
        live = driver.live.get(row.dag_id, row.run_id)
        if live is not None:
            driver.live.remove(live)
    return still


__all__ = [
    "MAX_DATES",
    "REPROCESS_BEHAVIORS",
    "PlannedDate",
    "advance_backfills",
    "backfill_dates",
    "check_reprocess_behavior",
    "decide",
    "preview",
]
