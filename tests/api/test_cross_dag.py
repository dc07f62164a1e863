"""The worker-side library functions of the cross-DAG operators, and the sensor's pokes
through them, on SQLite and PostgreSQL (``database_url`` from tests/conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler import DAG, ExternalTaskSensor, api
from scheduler.api import cross_dag
from scheduler.errors import BatonError, BatonSkipException, DagNotFoundError, TaskNotFoundError
from scheduler.settings import Settings
from scheduler.spec import DagSpec, TaskGroupSpec, TaskSpec
from scheduler.store import dags as dag_store
from scheduler.store.db import transaction

WHEN = datetime(2026, 7, 1, 6, tzinfo=UTC)
TARGET = DagSpec(
    "target",
    "/dags/target.py",
    {
        "a": TaskSpec("a", "PythonOperator"),
        "g.b": TaskSpec("g.b", "PythonOperator", upstream=("a",), task_group_id="g"),
    },
    task_groups={"g": TaskGroupSpec("g", children=("g.b",))},
)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    settings = Settings.from_env({"BATON_HOME": str(tmp_path), "BATON_DATABASE_URL": database_url})
    with transaction(api.database(settings)) as session:
        dag_store.sync_file(
            session, TARGET.fileloc, [TARGET], [], now=WHEN, paused_at_creation=True
        )
    yield settings
    api.database(settings).dispose()
    api.read_database(settings).dispose()


def trigger(settings: Settings, **kwargs) -> cross_dag.TriggerOutcome:
    args = {
        "run_id": None,
        "conf": {"k": 1},
        "logical_date": WHEN,
        "reset_dag_run": False,
        "fail_when_dag_is_paused": False,
        "triggered_by": "operator:up.t",
        **kwargs,
    }
    return cross_dag.trigger_for_task(settings, "target", **args)


def test_a_trigger_creates_a_manual_run_named_after_the_logical_date(settings) -> None:
    outcome = trigger(settings)
    assert outcome == cross_dag.TriggerOutcome("manual__2026-07-01T06:00:00+00:00", False)
    run = api.get_run(settings, "target", outcome.run_id)
    assert (run.run_type, run.triggered_by, run.conf, run.logical_date) == (
        "manual",
        "operator:up.t",
        {"k": 1},
        WHEN,
    )
    assert cross_dag.run_state(settings, "target", outcome.run_id) == "queued"
    assert trigger(settings).already_existed  # same logical date, same run id


def test_fail_when_dag_is_paused(settings) -> None:
    with pytest.raises(BatonError, match="DAG 'target' is paused"):
        trigger(settings, fail_when_dag_is_paused=True)
    api.set_paused(settings, ["target"], False)
    assert not trigger(settings, fail_when_dag_is_paused=True).already_existed


def test_reset_clears_every_task_of_the_existing_run(settings) -> None:
    run_id = trigger(settings, run_id="fixed").run_id
    api.mark_tasks(settings, "target", run_id, ["a", "g.b"], "success")
    outcome = trigger(settings, run_id="fixed", reset_dag_run=True, conf={"other": 2})
    assert outcome.already_existed
    states = {ti.task_id: ti.state for ti in api.list_task_instances(settings, "target", "fixed")}
    assert states == {"a": "none", "g.b": "none"}
    assert api.get_run(settings, "target", "fixed").conf == {"k": 1}  # conf is not reset


def test_existence_checks_name_what_is_missing(settings) -> None:
    cross_dag.check_existence(settings, "target", ["a"], "g")
    with pytest.raises(DagNotFoundError, match="no DAG 'nope'"):
        cross_dag.check_existence(settings, "nope", [])
    with pytest.raises(TaskNotFoundError, match="no task\\(s\\) zz"):
        cross_dag.check_existence(settings, "target", ["a", "zz"])
    with pytest.raises(TaskNotFoundError, match="no task group 'h'"):
        cross_dag.check_existence(settings, "target", [], "h")


def test_counts_for_tasks_groups_and_runs(settings) -> None:
    run_id = trigger(settings).run_id
    api.mark_tasks(settings, "target", run_id, ["g.b"], "success")
    assert cross_dag.count_matching(settings, "target", ["g.b"], [WHEN], ["success"]) == 1
    assert cross_dag.count_matching(settings, "target", ["a", "g.b"], [WHEN], ["success"]) == 1
    assert cross_dag.count_matching(settings, "target", None, [WHEN], ["queued"]) == 1
    assert cross_dag.count_group_matching(settings, "target", "g", [WHEN], ["success"]) == 1
    assert cross_dag.count_group_matching(settings, "unknown", "g", [WHEN], ["success"]) == 0


class _TI:
    """The part of ``context["ti"]`` the sensor reads: the try's database."""

    def __init__(self, settings: Settings) -> None:
        self.database_url = settings.database_url


def _sensor(**kwargs) -> ExternalTaskSensor:
    with DAG("waiting", schedule=None, start_date=WHEN):
        return ExternalTaskSensor(task_id="s", external_dag_id="target", **kwargs)


@pytest.fixture
def context(settings, monkeypatch) -> dict:
    monkeypatch.setenv("BATON_HOME", str(settings.home))
    return {"ti": _TI(settings), "logical_date": WHEN}


def test_the_sensor_pokes_until_the_external_task_succeeded(settings, context) -> None:
    run_id = trigger(settings).run_id
    sensor = _sensor(external_task_id="a")
    assert sensor.poke(context) is False
    api.mark_tasks(settings, "target", run_id, ["a"], "success")
    assert sensor.poke(context) is True
    assert _sensor(external_task_ids=["a", "g.b"]).poke(context) is False
    assert _sensor(external_task_group_id="g").poke(context) is False
    api.mark_tasks(settings, "target", run_id, ["g.b"], "success")
    assert _sensor(external_task_group_id="g").poke(context) is True
    assert _sensor(execution_delta=timedelta(hours=1), external_task_id="a").poke(context) is False


def test_the_sensor_fails_or_skips_on_the_states_it_was_given(settings, context) -> None:
    run_id = trigger(settings).run_id
    api.mark_tasks(settings, "target", run_id, ["a"], "failed")
    assert _sensor(external_task_id="a").poke(context) is False  # default: keep waiting
    with pytest.raises(BatonError, match="reached one of \\['failed'\\]"):
        _sensor(external_task_id="a", failed_states=["failed"]).poke(context)
    with pytest.raises(BatonSkipException, match="soft_fail"):
        _sensor(external_task_id="a", failed_states=["failed"], soft_fail=True).poke(context)
    with pytest.raises(BatonSkipException, match="skipped_states"):
        _sensor(external_task_id="a", skipped_states=["failed"]).poke(context)
    # Waiting for the whole run: run states.
    assert _sensor(allowed_states=["queued"]).poke(context) is True


def test_check_existence_stops_a_sensor_at_once(settings, context) -> None:
    with pytest.raises(TaskNotFoundError, match="no task\\(s\\) typo"):
        _sensor(external_task_id="typo", check_existence=True).poke(context)
    assert _sensor(external_task_id="typo").poke(context) is False  # without: it waits
