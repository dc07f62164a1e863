"""Deferrable tasks through real processes: scheduler, workers and ``baton triggerer``.

A deferred task frees its worker slot (state ``deferred``), its trigger runs in the
triggerer, and the task resumes on a worker in ``method_name`` with the event; sensors in
``mode="reschedule"`` give their slot back between pokes; a triggerer killed with -9 has
its triggers picked up by its restart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler import api
from tests.e2e.harness import Baton
from tests.e2e.triggerer_support import Triggerer

pytestmark = pytest.mark.e2e

HEAD = """
import json, time
from datetime import datetime, timedelta, timezone
from scheduler import DAG, BaseOperator, PythonOperator, TimeDeltaTrigger, DateTimeTrigger
"""

DEFER_DAG = (
    HEAD
    + """
class WaitThenReport(BaseOperator):
    def __init__(self, *, seconds, **kwargs):
        super().__init__(**kwargs)
        self.seconds = seconds

    def execute(self, context):
        print("deferring", context["ti"].try_number)
        self.defer(
            trigger=TimeDeltaTrigger(timedelta(seconds=self.seconds)),
            method_name="resume",
            kwargs={{"started": time.time()}},
        )

    def resume(self, context, event, started):
        waited = time.time() - started
        print("resumed after", waited)
        return {{"event": event.isoformat(), "waited": waited, "try": context["ti"].try_number}}

with DAG("defer", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    for i in range({count}):
        WaitThenReport(task_id=f"wait_{{i}}", seconds={seconds}, retries=1)
"""
)


@pytest.fixture
def triggerer(baton: Baton) -> Iterator[Triggerer]:
    instance = Triggerer(baton)
    try:
        yield instance
    finally:
        instance.stop()


def _claimed(triggerer_log: str) -> int:
    """How many triggers a triggerer's log says it claimed, over all its claims."""
    return sum(int(n) for n in re.findall(r"claimed (\d+) trigger", triggerer_log))


def _returned(baton: Baton, dag_id: str, run_id: str, task_id: str) -> object:
    rows = api.list_xcoms(baton.settings, dag_id, run_id, task_id)
    return next(json.loads(r.value) for r in rows if r.key == "return_value")


def test_a_deferred_task_frees_its_slot_and_resumes_with_the_event(
    baton: Baton, triggerer: Triggerer
) -> None:
    baton.write_dag("defer.py", DEFER_DAG.format(count=6, seconds=8))
    baton.start()
    triggerer.start()
    baton.wait_for_dag("defer")
    run_id = baton.trigger("defer")
    # Six tasks, two slots: all six defer at once, since a deferred task holds no slot.
    baton.wait_until(
        "every task deferred",
        lambda: set(baton.task_states("defer", run_id).values()) == {"deferred"},
        timeout=30,
    )
    assert baton.wait_for_run("defer", run_id, timeout=60) == "success", triggerer.text()
    for i in range(6):
        ti = baton.task_instance("defer", run_id, f"wait_{i}")
        assert ti.try_number == 1  # a resume is the same try (Airflow's)
        tries = baton.tries("defer", run_id, f"wait_{i}")
        assert [t.try_number for t in tries] == [1]
        log = baton.task_log("defer", run_id, f"wait_{i}")
        assert "deferring 1" in log and "resumed after" in log
        returned = _returned(baton, "defer", run_id, f"wait_{i}")
        assert returned["try"] == 1 and returned["waited"] >= 8.0
        assert returned["event"] <= ti.end_date.isoformat()


def test_a_triggerer_killed_with_minus_9_has_its_triggers_resumed_by_its_restart(
    tmp_path: Path,
) -> None:
    baton = Baton(tmp_path, triggerer_health_threshold="2", triggerer_heartbeat_sec="0.5")
    first, second = Triggerer(baton, "first"), Triggerer(baton, "second")
    try:
        baton.write_dag("defer.py", DEFER_DAG.format(count=3, seconds=12))
        baton.start()
        first.start()
        baton.wait_for_dag("defer")
        run_id = baton.trigger("defer")
        # Three deferrals with two slots reach the database at different moments: the
        # triggerer may claim them in one go or in several (2 + 1).
        baton.wait_until("triggers claimed", lambda: _claimed(first.text()) == 3, timeout=30)
        first.kill()  # SIGKILL: no clean stop, its triggerer_job row says running
        assert set(baton.task_states("defer", run_id).values()) == {"deferred"}
        second.start()
        assert baton.wait_for_run("defer", run_id, timeout=60) == "success", second.text()
        assert "claimed 3 trigger(s)" in second.text()
        for i in range(3):
            returned = _returned(baton, "defer", run_id, f"wait_{i}")
            # The restarted trigger kept its moment: 12 s after the deferral (long enough
            # that the kill lands before it on a loaded machine), not after the restart
            # (which took over within the 2 s health threshold + a heartbeat).
            assert 12.0 <= returned["waited"] < 12.0 + 8.0
            assert returned["try"] == 1
    finally:
        first.stop()
        second.stop()
        baton.stop()


RESCHEDULE_AND_BUSY = (
    HEAD
    + """
import os
from scheduler import BaseSensorOperator, FileSensor

class FlagSensor(BaseSensorOperator):
    def poke(self, context):
        with open({pokes!r}, "a") as out:
            out.write(context["ti"].task_id + "\\n")
        return os.path.exists({flag!r})

with DAG("waiters", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    for i in range(25):
        FlagSensor(task_id=f"poke_{{i}}", mode="reschedule", poke_interval=1, timeout=120)
    for i in range(25):
        FileSensor(task_id=f"file_{{i}}", filepath={flag!r}, deferrable=True, poke_interval=0.5)

def step():
    time.sleep(0.2)

with DAG("busy", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as busy:
    previous = None
    for i in range(6):
        current = PythonOperator(task_id=f"step_{{i}}", python_callable=step)
        if previous is not None:
            previous >> current
        previous = current
"""
)


def test_fifty_waiting_sensors_leave_two_slots_to_another_dag(
    baton: Baton, triggerer: Triggerer, tmp_path: Path
) -> None:
    flag, pokes = tmp_path / "flag", tmp_path / "pokes.txt"
    baton.write_dag("waiters.py", RESCHEDULE_AND_BUSY.format(flag=str(flag), pokes=str(pokes)))
    baton.start()
    triggerer.start()
    baton.wait_for_dag("waiters")
    waiting = baton.trigger("waiters")

    def all_waiting() -> bool:
        states = baton.task_states("waiters", waiting)
        return (
            all(
                s in ("deferred", "up_for_reschedule", "scheduled", "queued", "running")
                for s in states.values()
            )
            and "deferred" in states.values()
        )

    baton.wait_until("the sensors waiting", all_waiting, timeout=60)
    busy = baton.trigger("busy")
    assert baton.wait_for_run("busy", busy, timeout=90) == "success"
    states = baton.task_states("waiters", waiting)
    assert not any(s in ("success", "failed") for s in states.values()), states
    assert [s for t, s in states.items() if t.startswith("file_")] == ["deferred"] * 25
    flag.write_text("here")
    assert baton.wait_for_run("waiters", waiting, timeout=120) == "success", triggerer.text()
    poked = pokes.read_text().split()
    assert all(poked.count(f"poke_{i}") >= 2 for i in range(25))  # each poked again
    for i in range(25):
        tries = baton.tries("waiters", waiting, f"poke_{i}")
        assert [t.try_number for t in tries] == [1]  # reschedules keep the try (Airflow's)


TIMEOUT_DAG = (
    HEAD
    + """
from scheduler import DateTimeSensor

class Forever(BaseOperator):
    def execute(self, context):
        far = datetime(2100, 1, 1, tzinfo=timezone.utc)
        self.defer(trigger=DateTimeTrigger(far), method_name="never", timeout=1.5)

    def never(self, context, event):
        raise AssertionError("resumed without an event")

with DAG("timeouts", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)):
    Forever(task_id="custom", retries=1, retry_delay=timedelta(seconds=0))
    DateTimeSensor(task_id="sensor", target_time=datetime(2100, 1, 1, tzinfo=timezone.utc),
                   deferrable=True, timeout=1.5, retries=2)
    DateTimeSensor(task_id="soft", target_time="2100-01-01T00:00:00+00:00",
                   deferrable=True, timeout=1.5, soft_fail=True)
"""
)


def test_a_deferral_past_its_timeout_fails_as_airflow_does(
    baton: Baton, triggerer: Triggerer
) -> None:
    baton.write_dag("timeouts.py", TIMEOUT_DAG)
    baton.start()
    triggerer.start()
    baton.wait_for_dag("timeouts")
    run_id = baton.trigger("timeouts")
    assert baton.wait_for_run("timeouts", run_id, timeout=90) == "failed"
    states = baton.task_states("timeouts", run_id)
    assert states == {"custom": "failed", "sensor": "failed", "soft": "skipped"}
    custom = baton.tries("timeouts", run_id, "custom")
    # TaskDeferralTimeout is an ordinary failure: the retry runs execute() again.
    assert [t.try_number for t in custom] == [1, 2]
    assert all("TaskDeferralTimeout" in t.error for t in custom)
    (sensor,) = baton.tries("timeouts", run_id, "sensor")  # a sensor timeout: no retry
    assert "BatonSensorTimeout" in sensor.error and "timed out" in sensor.error


def test_dags_test_runs_the_triggers_in_its_own_process(baton: Baton) -> None:
    baton.write_dag("defer.py", DEFER_DAG.format(count=2, seconds=1))
    result = baton.cli("dags", "test", "defer", timeout=120)
    assert "success" in result.stdout.splitlines()[-1], result.stdout + result.stderr


def test_on_postgresql_a_second_triggerer_takes_over_from_one_killed(tmp_path: Path) -> None:
    from tests.databases import migrated_postgres

    with migrated_postgres() as url:
        baton = Baton(
            tmp_path,
            database_url=url,
            triggerer_health_threshold="2",
            triggerer_heartbeat_sec="0.5",
        )
        first, second = Triggerer(baton, "first"), Triggerer(baton, "second")
        try:
            baton.write_dag("defer.py", DEFER_DAG.format(count=8, seconds=30))
            baton.start()
            first.start()
            baton.wait_for_dag("defer")
            run_id = baton.trigger("defer")
            baton.wait_until("claimed", lambda: _owned(url) == {"first": 8}, timeout=60)
            second.start()  # alive beside the first: it claims nothing the first owns
            baton.wait_until("the second heartbeating", lambda: _alive(url) == 2, timeout=30)
            assert _owned(url) == {"first": 8}
            first.kill()
            baton.wait_until("the take-over", lambda: _owned(url) == {"second": 8}, timeout=30)
            assert baton.wait_for_run("defer", run_id, timeout=90) == "success", second.text()
            for i in range(8):
                returned = _returned(baton, "defer", run_id, f"wait_{i}")
                assert returned["try"] == 1 and returned["waited"] >= 30.0
        finally:
            first.stop()
            second.stop()
            baton.stop()


def _owned(url: str) -> dict[str, int]:
    """How many triggers each triggerer owns right now, by its name (its pid's process)."""
    from sqlalchemy import func, select

    from scheduler.store.db import make_engine
    from scheduler.store.models_triggers import trigger_table as t
    from scheduler.store.models_triggers import triggerer_job_table as j

    engine = make_engine(url)
    try:
        with engine.connect() as c:
            query = (
                select(j.c.started_at, func.count())
                .select_from(t)
                .join(j, j.c.id == t.c.triggerer_id)
                .group_by(j.c.id, j.c.started_at)
                .order_by(j.c.started_at)
            )
            rows = list(c.execute(query))
            starts = list(c.execute(select(j.c.started_at).order_by(j.c.started_at)).scalars())
    finally:
        engine.dispose()
    names = dict(zip(starts, ("first", "second"), strict=False))
    return {names[started]: int(n) for started, n in rows}


def _alive(url: str) -> int:
    from sqlalchemy import func, select

    from scheduler.store.db import make_engine
    from scheduler.store.models_triggers import triggerer_job_table as j

    engine = make_engine(url)
    try:
        with engine.connect() as c:
            return int(c.execute(select(func.count()).where(j.c.state == "running")).scalar_one())
    finally:
        engine.dispose()
