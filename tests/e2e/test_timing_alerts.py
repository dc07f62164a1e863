"""Timing alerts through the real scheduler: a deadline missed reaches a real HTTP receiver
once, even across a kill -9 and restart of the scheduler, and one met calls nobody; a try
running past its task's usual p95 gets an event, its callback and a badge; a running run
has a predicted finish and critical path in the REST API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from scheduler import api
from scheduler.store.db import make_engine, transaction
from scheduler.store.events import list_events
from tests.e2e.harness import Baton
from tests.notifications.receivers import http_receiver
from webui import create_app

pytestmark = pytest.mark.e2e

DEADLINE_DAGS = """
import os, time
from datetime import datetime, timedelta, timezone
from scheduler import DAG, AsyncCallback, DeadlineAlert, DeadlineReference, PythonOperator
from scheduler.notifications import WebhookNotifier

HOOK = os.environ["TEST_HOOK_URL"]
START = datetime(2026, 1, 1, tzinfo=timezone.utc)
PAYLOAD = {"dag_id": "{{ dag_run.dag_id }}", "run_id": "{{ dag_run.dag_run_id }}",
           "state": "{{ dag_run.state }}", "deadline": "{{ deadline.deadline_time }}",
           "run_url": "{{ run_url }}"}

def alert(reference, seconds, path):
    return DeadlineAlert(
        reference=reference,
        interval=timedelta(seconds=seconds),
        callback=AsyncCallback(WebhookNotifier, kwargs={"url": HOOK + path, "payload": PAYLOAD}),
    )

with DAG("slow", schedule=None, start_date=START,
         deadline=alert(DeadlineReference.DAGRUN_QUEUED_AT, 1, "/slow")):
    PythonOperator(task_id="crawl", python_callable=lambda: time.sleep(4))

# due as soon as the run exists: a second before its logical date
with DAG("quick", schedule=None, start_date=START,
         deadline=alert(DeadlineReference.DAGRUN_LOGICAL_DATE, -1, "/quick")):
    PythonOperator(task_id="ping", python_callable=lambda: None)
"""


def _events(baton: Baton, event: str, dag_id: str) -> list[Any]:
    engine = make_engine(baton.settings.database_url, write=False)
    try:
        with transaction(engine) as session:
            return list_events(session, dag_id=dag_id, event=event)
    finally:
        engine.dispose()


@pytest.fixture
def client(baton: Baton) -> Iterator[tuple[FlaskClient, dict[str, str]]]:
    user = api.create_user(baton.settings, "look", "look-password-123", "Viewer")
    token = api.create_token(baton.settings, user.id, "e2e", source="test")[1]
    app = create_app({"BATON_SETTINGS": baton.settings, "TESTING": True})
    yield app.test_client(), {"Authorization": f"Bearer {token}"}
    api.read_database(baton.settings).dispose()
    api.database(baton.settings).dispose()


def test_a_missed_deadline_calls_back_once_across_a_restart(baton: Baton, client: Any) -> None:
    web, auth = client
    with http_receiver() as hooks:
        _start(baton, hooks, DEADLINE_DAGS, "slow", "quick")
        slow = _trigger(baton, "slow")
        baton.wait_until("the deadline callback", lambda: _posts(hooks, "/slow"), 60)
        (missed,) = _posts(hooks, "/slow")
        body = missed.json()
        assert body["dag_id"] == "slow" and body["run_id"] == slow
        assert body["run_url"].endswith(f"/dags/slow/runs/{slow}")
        (event,) = _events(baton, "deadline_missed", "slow")
        assert event.run_id == slow
        assert "the run was queued" in event.detail or "the run was running" in event.detail

        baton.kill()  # kill -9 with the alert fired: the new scheduler must not fire again
        baton.start()
        quick = _trigger(baton, "quick")
        # quick's deadline is called back only once the new scheduler's watch polled, when
        # slow's would have been seen again had its claim not held
        baton.wait_until("quick's deadline callback", lambda: _posts(hooks, "/quick"), 60)
        assert _posts(hooks, "/quick")[0].json()["run_id"] == quick
        assert len(_posts(hooks, "/slow")) == 1
    assert len(_events(baton, "deadline_missed", "slow")) == 1
    (row,) = _deadlines(web, auth, "slow", slow)
    assert row["state"] == "missed" and row["callback_state"] == "success"
    assert row["reference"] == "DAGRUN_QUEUED_AT"


def _start(baton: Baton, hooks: Any, source: str, *dag_ids: str) -> None:
    """The scheduler on ``source``, whose callbacks post to ``hooks``."""
    baton.env["TEST_HOOK_URL"] = hooks.url
    baton.write_dag("timing.py", source)
    baton.start()
    for dag_id in dag_ids:
        baton.wait_for_dag(dag_id, timeout=180)  # generous: a loaded machine is slow


def _trigger(baton: Baton, dag_id: str, conf: dict[str, Any] | None = None) -> str:
    return api.trigger_dag(baton.settings, dag_id, conf=conf, source="test").run_id


def _posts(hooks: Any, path: str) -> list[Any]:
    return [r for r in list(hooks.requests) if r.path == path]


def _deadlines(web: FlaskClient, auth: dict[str, str], dag_id: str, run_id: str) -> list[dict]:
    reply = web.get(f"/api/v1/dags/{dag_id}/dagRuns/{run_id}", headers=auth)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    return reply.get_json()["baton_deadlines"]


USUAL_DAG = """
import os, time
from datetime import datetime, timezone
from scheduler import DAG, PythonOperator
from scheduler.notifications import WebhookNotifier

HOOK = os.environ["TEST_HOOK_URL"]

def work(dag_run):
    time.sleep(float(dag_run.conf.get("sleep", 0.2)))

with DAG("etl", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
         max_active_runs=6):
    extract = PythonOperator(
        task_id="extract", python_callable=work,
        on_longer_than_usual_callback=WebhookNotifier(HOOK + "/long"))
    load = PythonOperator(task_id="load", python_callable=lambda: time.sleep(0.2))
    extract >> load
"""


def test_longer_than_usual_and_predicted_finish(baton: Baton, client: Any) -> None:
    web, auth = client
    with http_receiver() as hooks:
        _start(baton, hooks, USUAL_DAG, "etl")
        # five successful histories (triggered as the CLI does, without a process each)
        usual = [_trigger(baton, "etl") for _ in range(5)]
        for run_id in usual:
            assert baton.wait_for_run("etl", run_id, timeout=180) == "success"
        slow = _trigger(baton, "etl", {"sleep": 15})

        def running_long() -> Any:
            return _events(baton, "longer_than_usual", "etl")

        (event,) = baton.wait_until("the longer-than-usual event", running_long, 60)
        assert (event.run_id, event.task_id, event.try_number) == (slow, "extract", 1)
        assert "longer than usual: p95" in event.detail and "last 5 successful" in event.detail
        baton.wait_until("its callback", lambda: _posts(hooks, "/long"), 60)
        (posted,) = _posts(hooks, "/long")
        assert posted.json()["task_id"] == "extract" and posted.json()["state"] == "running"

        # the predicted finish of the running run, along its critical path
        reply = web.get(f"/api/v1/dags/etl/dagRuns/{slow}", headers=auth).get_json()
        assert reply["state"] == "running"
        assert reply["baton_critical_path"] == ["extract", "load"]
        assert reply["baton_predicted_finish"] > reply["start_date"]
        assert 0 <= reply["baton_predicted_remaining_s"] < 15  # it knows only the usual time
        assert reply["baton_unpredicted_tasks"] == []
        # the badge: on the grid, the run page and the task page
        grid = web.get("/dags/etl/grid", headers=auth).get_data(as_text=True)
        assert grid.count('data-testid="longer-than-usual"') == 1
        live = web.get("/dags/etl/grid.json", headers=auth).get_json()  # what grid.js polls
        assert live["tasks"]["extract"][slow]["longer_than_usual"] is True
        assert "longer_than_usual" not in live["tasks"]["extract"][usual[0]]
        run_page = web.get(f"/dags/etl/runs/{slow}", headers=auth).get_data(as_text=True)
        assert 'data-testid="longer-than-usual"' in run_page
        assert 'data-testid="run-predicted-finish"' in run_page
        task_page = web.get(f"/dags/etl/runs/{slow}/tasks/extract/", headers=auth)
        assert 'data-testid="longer-than-usual"' in task_page.get_data(as_text=True)
        graph = web.get("/dags/etl/graph", query_string={"run_id": slow}, headers=auth)
        graph = graph.get_data(as_text=True)
        assert graph.count('data-critical="true"') == 3  # two nodes and the edge between
        finished = web.get(f"/api/v1/dags/etl/dagRuns/{usual[0]}", headers=auth).get_json()
        assert finished["baton_predicted_finish"] is None
        # done: stop the slow try (the scheduler cancels it) rather than wait for it at exit
        api.mark_run(baton.settings, "etl", slow, "failed", source="test")
        assert baton.wait_for_run("etl", slow, timeout=60) == "failed"
