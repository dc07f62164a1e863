"""``HITLTrigger`` against a real SQLite database, as the triggerer runs it: an answer given
before the task deferred is found at once; past the timeout the defaults become the answer
(given by nobody), or without defaults the event is the timeout error."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from scheduler import api
from scheduler.api import hitl
from scheduler.api.hitl import HitlKey, Responder
from scheduler.api.hitl_trigger import TIMEOUT_ERROR, HITLTrigger
from scheduler.errors import HITLForbiddenError
from scheduler.settings import Settings
from scheduler.store.db import make_engine, transaction
from scheduler.store.migrate import migrate
from scheduler.store.models import task_instance_table

DAG = """
from datetime import UTC, datetime
from scheduler import DAG, EmptyOperator
with DAG("asks", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=UTC)):
    EmptyOperator(task_id="ask")
"""


@pytest.fixture
def waiting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Settings, HitlKey]]:
    """A run whose task ``ask`` waits deferred on a question; the triggerer's settings."""
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "asks.py").write_text(DAG)
    env = {"BATON_HOME": str(tmp_path), "BATON_DAGS_FOLDER": str(tmp_path / "dags"),
           "BATON_DATABASE_URL": f"sqlite:///{tmp_path / 'baton.db'}"}  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)  # HITLTrigger reads the triggerer's environment
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    migrate(engine)
    engine.dispose()
    api.sync_dags(settings)
    run = api.trigger_dag(settings, "asks", run_id="r1", logical_date=datetime.now(UTC))
    key = HitlKey("asks", run.run_id, "ask")
    with transaction(api.database(settings)) as session:
        session.execute(update(task_instance_table).values(state="deferred", try_number=1))
    question = {"subject": "?", "body": None, "options": ["a", "b"], "defaults": ["b"],
                "multiple": False, "params": {}, "assigned_users": []}  # fmt: skip
    hitl.ask(settings, key, question, try_number=1)
    yield settings, key
    api.database(settings).dispose()


def _first_event(trigger: HITLTrigger) -> Any:
    async def first() -> Any:
        async for event in trigger.run():
            return event.payload

    return asyncio.run(asyncio.wait_for(first(), timeout=30))


def _trigger(key: HitlKey, **kwargs: Any) -> HITLTrigger:
    return HITLTrigger(dag_id=key.dag_id, run_id=key.run_id, task_id=key.task_id,
                       options=["a", "b"], poke_interval=0.05, **kwargs)  # fmt: skip


def test_an_answer_given_before_the_wait_is_found(waiting: tuple[Settings, HitlKey]) -> None:
    settings, key = waiting
    hitl.respond(settings, key, ["a"], {}, responder=Responder("7", "ann"), source="test")
    event = _first_event(_trigger(key))
    assert event["chosen_options"] == ["a"] and event["responded_by_user"] == {
        "id": "7",
        "name": "ann",
    }
    assert event["timedout"] is False


def test_past_the_timeout_the_defaults_answer(waiting: tuple[Settings, HitlKey]) -> None:
    settings, key = waiting
    past = datetime.now(UTC) - timedelta(seconds=1)
    event = _first_event(_trigger(key, defaults=["b"], timeout_datetime=past))
    assert event["chosen_options"] == ["b"] and event["responded_by_user"] is None
    assert event["timedout"] is True
    detail = hitl.get_hitl_detail(settings, key)
    assert detail["response_received"] and detail["chosen_options"] == ["b"]
    assert detail["responded_by_user"] is None


def test_past_the_timeout_without_defaults_the_event_is_an_error(
    waiting: tuple[Settings, HitlKey],
) -> None:
    _settings, key = waiting
    past = datetime.now(UTC) - timedelta(seconds=1)
    event = _first_event(_trigger(key, timeout_datetime=past))
    assert event == {"error": TIMEOUT_ERROR, "error_type": "timeout"}


def test_the_cli_answers_as_a_user_of_role_op_or_above(waiting: tuple[Settings, HitlKey]) -> None:
    settings, _key = waiting
    for name, role in (("vic", "Viewer"), ("olga", "Op"), ("ada", "Admin")):
        api.create_user(settings, name, "a-long-password-1", role)
    with pytest.raises(HITLForbiddenError, match=r"role Viewer; answering needs .* Op or above"):
        hitl.responder_named(settings, "vic")
    assert hitl.responder_named(settings, "olga").name == "olga"
    assert hitl.responder_named(settings, "ada").name == "ada"
