"""Run deadlines: written with the run, found when due by a range query, resolved once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, insert, select, update
from sqlalchemy.orm import Session

from scheduler.spec import DagSpec
from scheduler.store.models import dag_run_table, dag_table
from scheduler.store.models_timing import deadline_table

PENDING, MISSED, MET = "pending", "missed", "met"


def deadline_time(
    alert: dict[str, Any],
    logical_date: datetime,
    queued_at: datetime,
    average_s: float | None = None,
) -> datetime | None:
    """The alert's reference time plus its interval (``DagSpec.deadlines`` entries); None
    for ``AVERAGE_RUNTIME`` without enough finished runs (``average_s`` None)."""
    reference = alert["reference"]
    if reference == "DAGRUN_LOGICAL_DATE":
        start = logical_date
    elif reference == "DAGRUN_QUEUED_AT":
        start = queued_at
    elif reference == "FIXED_DATETIME":
        start = datetime.fromisoformat(alert["datetime"])
    elif reference == "AVERAGE_RUNTIME":
        if average_s is None:
            return None
        start = queued_at + timedelta(seconds=average_s)
    else:  # a spec written by a newer Baton: say so rather than guess
        raise ValueError(f"unknown deadline reference {reference!r}")
    return start + timedelta(seconds=alert["interval_s"])


def average_runtime(session: Session, dag_id: str, max_runs: int, min_runs: int) -> float | None:
    """Seconds the DAG's last ``max_runs`` finished runs (by logical date) took on average;
    None when fewer than ``min_runs`` have finished (Airflow then creates no deadline)."""
    run = dag_run_table
    rows = session.execute(
        select(run.c.start_date, run.c.end_date)
        .where(run.c.dag_id == dag_id, run.c.start_date.is_not(None), run.c.end_date.is_not(None))
        .order_by(run.c.logical_date.desc())
        .limit(max_runs)
    ).all()
    if len(rows) < min_runs:
        return None
    return sum((end - start).total_seconds() for start, end in rows) / len(rows)


def create_deadlines(
    session: Session, spec: DagSpec, run_id: str, logical_date: datetime, queued_at: datetime
) -> None:
    """One ``pending`` row per alert of ``spec``, written in the run's own transaction."""
    rows = []
    for index, alert in enumerate(spec.deadlines):
        average = None
        if alert["reference"] == "AVERAGE_RUNTIME":
            average = average_runtime(session, spec.dag_id, alert["max_runs"], alert["min_runs"])
        when = deadline_time(alert, logical_date, queued_at, average)
        if when is None:
            continue
        rows.append(
            {
                "dag_id": spec.dag_id,
                "run_id": run_id,
                "alert_index": index,
                "name": alert.get("name"),
                "reference": alert["reference"],
                "deadline_time": when,
                "state": PENDING,
            }
        )
    if rows:
        session.execute(insert(deadline_table), rows)


@dataclass(frozen=True)
class DueDeadline:
    """A pending deadline whose time has come, with what decides whether it was missed."""

    id: int
    dag_id: str
    run_id: str
    alert_index: int
    deadline_time: datetime
    run_state: str | None
    run_end: datetime | None
    fileloc: str | None

    @property
    def missed(self) -> bool:
        """Not finished by its deadline: still running, or ended after it (a scheduler that
        was down at the deadline still calls back). A deleted run misses nothing."""
        if self.run_state is None:
            return False
        return self.run_end is None or self.run_end > self.deadline_time


def due_deadlines(session: Session, now: datetime, limit: int = 200) -> list[DueDeadline]:
    """Pending deadlines at or before ``now``, earliest first (the ``ix_deadline_due`` range)."""
    d, run, dag = deadline_table, dag_run_table, dag_table
    query = (
        select(
            d.c.id, d.c.dag_id, d.c.run_id, d.c.alert_index, d.c.deadline_time,
            run.c.state, run.c.end_date, dag.c.fileloc,
        )
        .join(run, (run.c.dag_id == d.c.dag_id) & (run.c.run_id == d.c.run_id), isouter=True)
        .join(dag, dag.c.dag_id == d.c.dag_id, isouter=True)
        .where(d.c.state == PENDING, d.c.deadline_time <= now)
        .order_by(d.c.deadline_time)
        .limit(limit)
    )  # fmt: skip
    return [DueDeadline(*row) for row in session.execute(query)]


def resolve(session: Session, deadline_id: int, state: str, source: str, now: datetime) -> bool:
    """Move a pending deadline to ``missed`` or ``met``; False when another scheduler did."""
    # An UPDATE's result is a CursorResult (it has rowcount); Session.execute says Result.
    result = cast(
        CursorResult[Any],
        session.execute(
            update(deadline_table)
            .where(deadline_table.c.id == deadline_id, deadline_table.c.state == PENDING)
            .values(state=state, source=source, resolved_at=now)
        ),
    )
    return result.rowcount == 1


def set_callback_state(
    session: Session,
    deadline_id: int,
    state: str,
    *,
    log_path: str | None = None,
    error: str | None = None,
) -> None:
    values: dict[str, Any] = {"callback_state": state, "error": error}
    if log_path is not None:
        values["log_path"] = log_path
    session.execute(
        update(deadline_table).where(deadline_table.c.id == deadline_id).values(**values)
    )


def get_deadline(session: Session, deadline_id: int) -> dict[str, Any]:
    row = session.execute(select(deadline_table).where(deadline_table.c.id == deadline_id)).one()
    return dict(row._mapping)


def run_deadlines(session: Session, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    """A run's deadlines in alert order (the run page and the REST API)."""
    d = deadline_table
    query = select(d).where(d.c.dag_id == dag_id, d.c.run_id == run_id).order_by(d.c.alert_index)
    return [dict(row._mapping) for row in session.execute(query)]
