"""The RunDriver on SQLite and PostgreSQL (``db`` from tests/conftest.py), with the clock
in the test's hands: dagrun_timeout sets the engine's wake-up and ends the run;
depends_on_past links each run to the previous one and re-plans the waiting task when that
one finishes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from scheduler.engine.driver import RunDriver
from scheduler.executor import TaskFinished, TaskStarted
from scheduler.spec import DagSpec, TaskSpec
from scheduler.states import RunState, TaskState
from scheduler.store import runs as run_store
from scheduler.store.db import transaction
from scheduler.store.runs import NewRun

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def spec_of(*tasks: TaskSpec, **dag: object) -> DagSpec:
    return DagSpec(dag_id="d", fileloc="/dags/d.py", tasks={t.task_id: t for t in tasks}, **dag)


def driver_for(tmp_path: Path) -> RunDriver:
    return RunDriver(logs_folder=tmp_path / "logs", database_url="sqlite://", source="test")


def add_run(db, driver: RunDriver, spec: DagSpec, day: int, run_type: str = "scheduled") -> str:
    when = T0 + timedelta(days=day)
    new = NewRun(f"{run_type}__{day}", run_type, when, when, when, {})
    with transaction(db) as session:
        row = run_store.create_run(session, spec, new, source="test", now=T0)
        driver.adopt_runs(session, [row], {spec.dag_id: spec})
        driver.start_run(session, driver.live.get(spec.dag_id, row.run_id), T0)
    return row.run_id


def step(db, driver: RunDriver, now: datetime, events=()) -> list:
    with transaction(db) as session:
        driver.apply_events(session, list(events), now)
        driver.plan(session, now)
        return driver.dispatch(session, 8, now)


def finish(request, state: str, now: datetime) -> list:
    return [
        TaskStarted(request.key, now, 1, "host"),
        TaskFinished(request.key, state, now, now),
    ]


def states(db, run_id: str) -> dict[str, str]:
    with transaction(db) as session:
        return {ti.task_id: ti.state for ti in run_store.list_task_instances(session, "d", run_id)}


def test_the_timeout_is_the_runs_wakeup_and_ends_it(db, tmp_path: Path) -> None:
    spec = spec_of(
        TaskSpec("slow", "X"), TaskSpec("after", "X", upstream=("slow",)), dagrun_timeout_s=60.0
    )
    driver = driver_for(tmp_path)
    run_id = add_run(db, driver, spec, 0)
    [request] = step(db, driver, T0)
    assert driver.next_wakeup() == T0 + timedelta(seconds=60)  # nothing else to wait for
    step(db, driver, T0 + timedelta(seconds=59), [TaskStarted(request.key, T0, 1, "host")])
    assert driver.take_cancels() == []
    step(db, driver, T0 + timedelta(seconds=60))
    assert driver.take_cancels() == [request.key]  # the running try is stopped
    assert states(db, run_id) == {"slow": "skipped", "after": "skipped"}
    with transaction(db) as session:
        assert run_store.get_run(session, "d", run_id).state == RunState.FAILED
    assert driver.live.runs == {} and driver.next_wakeup() is None


def test_a_retry_due_before_the_timeout_wakes_first(db, tmp_path: Path) -> None:
    spec = spec_of(TaskSpec("t", "X", retries=1, retry_delay_s=10.0), dagrun_timeout_s=60.0)
    driver = driver_for(tmp_path)
    add_run(db, driver, spec, 0)
    [request] = step(db, driver, T0)
    step(db, driver, T0 + timedelta(seconds=1), finish(request, "failed", T0))
    assert driver.next_wakeup() == T0 + timedelta(seconds=10)


def test_depends_on_past_waits_for_the_previous_run_and_is_replanned_when_it_ends(
    db, tmp_path: Path
) -> None:
    spec = spec_of(TaskSpec("t", "X", depends_on_past=True), catchup=True)
    driver = driver_for(tmp_path)
    first = add_run(db, driver, spec, 0)
    second = add_run(db, driver, spec, 1)
    manual = add_run(db, driver, spec, 2, run_type="manual")
    requests = step(db, driver, T0)
    # Only the first run's t may run; with catchup the manual run's previous run is the
    # second (scheduled) one, and a manual run is nobody's previous run.
    assert [r.run_id for r in requests] == [first]
    assert driver.live.get("d", manual).prev_run_id == second
    [request] = requests
    later = step(db, driver, T0 + timedelta(seconds=1), finish(request, "success", T0))
    assert [r.run_id for r in later] == [second]  # re-planned at once, no polling
    assert states(db, first)["t"] == "success" and states(db, second)["t"] == "queued"


def test_a_failed_previous_run_keeps_the_task_waiting_from_its_snapshot(db, tmp_path: Path):
    spec = spec_of(TaskSpec("t", "X", depends_on_past=True))
    driver = driver_for(tmp_path)
    first = add_run(db, driver, spec, 0)
    [request] = step(db, driver, T0)
    step(db, driver, T0, finish(request, "failed", T0))
    assert driver.live.get("d", first) is None  # the first run ended: failed
    second = add_run(db, driver, spec, 1)  # linked from the database, not the mirror
    assert step(db, driver, T0) == []
    assert states(db, second)["t"] == TaskState.NONE
    assert driver.live.get("d", second).past_snapshot == {"t": {TaskState.FAILED: 1}}
