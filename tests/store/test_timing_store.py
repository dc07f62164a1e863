"""Deadlines and task histories in the store (SQLite and PostgreSQL): a run's deadlines are
written with the run, found by a range query when due, resolved once; a task's recent
successful durations come newest first, 30 at most; a try is flagged once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, update

from scheduler.spec import DagSpec, TaskSpec
from scheduler.store import deadlines, task_history
from scheduler.store.db import transaction
from scheduler.store.models import dag_run_table, dag_table, task_try_table
from scheduler.store.runs import NewRun, create_run

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FIXED = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)


def _spec() -> DagSpec:
    alerts = (
        {"reference": "DAGRUN_LOGICAL_DATE", "interval_s": 7200.0, "name": "2h", "callback": "x"},
        {"reference": "DAGRUN_QUEUED_AT", "interval_s": 60.0, "name": None, "callback": "x"},
        {"reference": "FIXED_DATETIME", "datetime": FIXED.isoformat(), "interval_s": -1800.0,
         "name": None, "callback": "x"},
    )  # fmt: skip
    task = TaskSpec(task_id="t", operator="EmptyOperator", upstream=())
    return DagSpec(dag_id="late", fileloc="/dags/late.py", tasks={"t": task}, deadlines=alerts)


def _run(session, spec: DagSpec, run_id: str, logical: datetime) -> None:  # type: ignore[no-untyped-def]
    new = NewRun(run_id, "manual", logical, logical, logical, {})
    create_run(session, spec, new, source="test", now=NOW)


def test_deadlines_are_written_with_the_run_and_resolved_once(db):
    spec = _spec()
    with transaction(db) as session:
        row = {"dag_id": "late", "fileloc": spec.fileloc, "spec": spec.to_dict(), "created_at": NOW}
        session.execute(insert(dag_table), [row])
        _run(session, spec, "r1", NOW - timedelta(hours=3))
    with transaction(db) as session:
        rows = deadlines.run_deadlines(session, "late", "r1")
        assert [(r["reference"], r["deadline_time"], r["state"]) for r in rows] == [
            ("DAGRUN_LOGICAL_DATE", NOW - timedelta(hours=1), "pending"),
            ("DAGRUN_QUEUED_AT", NOW + timedelta(minutes=1), "pending"),
            ("FIXED_DATETIME", FIXED - timedelta(minutes=30), "pending"),
        ]
        # only the one whose time has come: the range query on (state, deadline_time)
        (due,) = deadlines.due_deadlines(session, NOW)
        assert (due.run_id, due.alert_index, due.missed) == ("r1", 0, True)  # still queued
        assert deadlines.resolve(session, due.id, deadlines.MISSED, "scheduler:1@a", NOW)
    with transaction(db) as session:  # a second scheduler, or one restarted, resolves nothing
        assert not deadlines.resolve(session, due.id, deadlines.MISSED, "scheduler:2@b", NOW)
        assert deadlines.due_deadlines(session, NOW) == []
        later = deadlines.due_deadlines(session, NOW + timedelta(minutes=2))
        assert [d.alert_index for d in later] == [1]


def test_a_run_that_ended_in_time_meets_its_deadline_and_one_that_ended_late_misses_it(db):
    spec = _spec()
    with transaction(db) as session:
        _run(session, spec, "on-time", NOW)
        _run(session, spec, "late", NOW - timedelta(days=1))
        session.execute(update(dag_run_table).where(dag_run_table.c.run_id == "on-time")
                        .values(state="success", end_date=NOW + timedelta(seconds=30)))  # fmt: skip
        session.execute(update(dag_run_table).where(dag_run_table.c.run_id == "late")
                        .values(state="success", end_date=NOW + timedelta(minutes=5)))  # fmt: skip
    with transaction(db) as session:
        due = deadlines.due_deadlines(session, NOW + timedelta(minutes=10))
        missed = {(d.run_id, d.alert_index): d.missed for d in due}
    assert missed[("on-time", 1)] is False  # ended 30 s after queueing, deadline 60 s
    assert missed[("late", 1)] is True  # ended 5 min after, whatever a scheduler saw then


def _try(session, task_id: str, n: int, state: str, duration: float) -> None:  # type: ignore[no-untyped-def]
    end = NOW + timedelta(minutes=n)
    row = {"dag_id": "d", "run_id": f"r{n}", "task_id": task_id, "try_number": 1,
           "state": state, "duration": duration, "end_date": end}  # fmt: skip
    session.execute(insert(task_try_table), [row])


def test_recent_durations_are_the_last_thirty_successes(db):
    with transaction(db) as session:
        for n in range(35):
            _try(session, "a", n, "success", float(n))
        _try(session, "a", 99, "failed", 1000.0)
        _try(session, "b", 1, "success", 2.0)
    with transaction(db) as session:
        found = task_history.recent_durations(session, "d", ["a", "b", "none"])
    assert sorted(found["a"]) == [float(n) for n in range(5, 35)]  # the newest 30
    assert found["b"] == [2.0] and "none" not in found
    with transaction(db) as session:  # one task alone: what the long-try watch asks
        assert task_history.recent_durations(session, "d", ["b"]) == {"b": [2.0]}


def test_a_try_is_flagged_longer_than_usual_once(db):
    running = task_history.RunningTry("d", "r1", "t", -1, 2, NOW, "/dags/d.py")
    with transaction(db) as session:
        assert task_history.flag_long_try(session, running, 4.5, 30, "scheduler:1@a", NOW)
        assert not task_history.flag_long_try(session, running, 4.5, 30, "scheduler:2@b", NOW)
    with transaction(db) as session:
        flagged = task_history.long_tries(session, "d", "r1")
        assert set(flagged) == {("d", "r1", "t", -1, 2)}
        assert flagged[("d", "r1", "t", -1, 2)]["usual_s"] == 4.5
        assert task_history.flagged(session, [running]) == {("d", "r1", "t", -1, 2)}


def test_an_average_runtime_deadline_needs_min_runs_finished_runs(db):
    alert = {"reference": "AVERAGE_RUNTIME", "max_runs": 3, "min_runs": 2, "interval_s": 60.0,
             "name": None, "callback": "x"}  # fmt: skip
    task = TaskSpec(task_id="t", operator="EmptyOperator", upstream=())
    spec = DagSpec(dag_id="avg", fileloc="/dags/avg.py", tasks={"t": task}, deadlines=(alert,))
    took = {"old": 1000, "a": 10, "b": 20, "c": 30}  # "old" is the 4th newest: left out
    with transaction(db) as session:
        _run(session, spec, "first", NOW - timedelta(days=9))  # none finished yet: no deadline
        for n, (run_id, seconds) in enumerate(took.items()):
            logical = NOW - timedelta(days=8 - n)
            _run(session, spec, run_id, logical)
            session.execute(update(dag_run_table).where(dag_run_table.c.run_id == run_id)
                            .values(state="success", start_date=logical,
                                    end_date=logical + timedelta(seconds=seconds)))  # fmt: skip
        _run(session, spec, "next", NOW)
    with transaction(db) as session:
        assert deadlines.run_deadlines(session, "avg", "first") == []
        (row,) = deadlines.run_deadlines(session, "avg", "next")
    # created at NOW (queued) + the average of the last 3 finished runs (20 s) + 60 s
    assert row["deadline_time"] == NOW + timedelta(seconds=20 + 60)
