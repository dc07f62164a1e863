"""``baton tasks test`` as a library call (``scheduler.api.task_test``): one try here, its
request built from the DAG's spec, its log read back masked, nothing recorded."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler.api.databases import database
from scheduler.api.local_run import find_dag_spec
from scheduler.api.task_test import run_task_test, task_test_request
from scheduler.errors import BatonError, TaskNotFoundError
from scheduler.masking import clear_secrets
from scheduler.settings import Settings
from scheduler.store import runs as run_store
from scheduler.store.db import make_engine, transaction
from scheduler.store.migrate import migrate

DAG = """
from datetime import datetime, timezone
from scheduler import DAG, task
from scheduler.masking import mask_secret

with DAG(dag_id="probe", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)):

    @task(execution_timeout=__import__("datetime").timedelta(seconds=30))
    def hello(ds=None, params=None):
        mask_secret("hidden-value-123")
        print(f"hello {ds} {params.get('who')} hidden-value-123")
        return 1

    @task
    def fail():
        raise ValueError("on purpose")

    @task
    def square(x):
        return x * x

    hello()
    fail()
    square.expand(x=[1, 2])
"""


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    dags, home = tmp_path / "dags", tmp_path / "home"
    dags.mkdir()
    home.mkdir()
    (dags / "probe.py").write_text(textwrap.dedent(DAG))
    config = Settings.from_env(
        {
            "BATON_HOME": str(home),
            "BATON_DAGS_FOLDER": str(dags),
            "BATON_DATABASE_URL": f"sqlite:///{home / 'baton.db'}",
            "BATON_DAG_FILE_IMPORT_TIMEOUT": "60",
        }
    )
    engine = make_engine(config.database_url)
    migrate(engine)
    engine.dispose()
    yield config
    clear_secrets()


def test_a_try_runs_here_and_records_nothing(settings: Settings) -> None:
    result = run_task_test(
        settings, "probe", "hello", logical_date="2026-03-04", conf='{"who": "me"}'
    )
    assert result.succeeded and result.error is None
    assert "hello 2026-03-04 me ***" in result.log and "hidden-value-123" not in result.log
    with transaction(make_engine(settings.database_url)) as session:
        assert run_store.list_runs(session, "probe") == []


def test_a_failing_try_says_why(settings: Settings) -> None:
    result = run_task_test(settings, "probe", "fail")
    assert not result.succeeded and "on purpose" in (result.error or "")
    assert "ValueError" in result.log


def test_a_mapped_task_needs_its_instance(settings: Settings) -> None:
    with pytest.raises(BatonError, match="is mapped: name an instance with --map-index"):
        run_task_test(settings, "probe", "square")
    with pytest.raises(BatonError, match="is not mapped: leave out --map-index"):
        run_task_test(settings, "probe", "hello", map_index=0)
    with pytest.raises(TaskNotFoundError, match="has no task 'nope'; its tasks: hello, fail"):
        run_task_test(settings, "probe", "nope")


def test_the_request_is_try_one_of_a_test_run_at_one_instant(settings: Settings) -> None:
    spec = find_dag_spec(settings, database(settings), "probe")
    when = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)
    request = task_test_request(spec, "square", when, {"a": 1}, 1, "/tmp/x.log")
    assert (request.dag_id, request.task_id, request.try_number) == ("probe", "square", 1)
    assert request.run_id == f"test__{when.isoformat()}" and request.run_type == "test"
    assert request.logical_date == request.data_interval_start == request.data_interval_end
    assert (request.map_index, request.conf, request.fileloc) == (1, {"a": 1}, spec.fileloc)
    hello = task_test_request(spec, "hello", when, {}, None, "/tmp/y.log")
    assert hello.map_index == -1 and hello.execution_timeout_s == 30
