"""Human in the loop through real processes: scheduler, triggerer, workers and ``baton webui``.

An ``ApprovalOperator`` waits deferred (no worker slot) until a person answers through the
REST API or the CLI: "Approve" lets the downstream task run with the answer in the XCom,
"Reject" skips it. A Viewer gets 403, a wrong option 400, a second answer 409. Past
``execution_timeout`` the defaults are taken; without defaults the task fails. A notifier is
called when the wait starts, with a link to the form.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from scheduler import api
from tests.e2e.harness import Baton
from tests.e2e.http_calls import call
from tests.e2e.triggerer_support import Triggerer
from tests.e2e.webserver import running_webui

pytestmark = pytest.mark.e2e

DAGS = """
import os
from datetime import UTC, datetime, timedelta
from scheduler import (DAG, ApprovalOperator, BaseNotifier, HITLEntryOperator, HITLOperator,
                       Param, task)

class Tell(BaseNotifier):  # what a Slack notifier would send: the subject and the link
    template_fields = ("message",)

    def __init__(self, message):
        super().__init__()
        self.message = message

    def notify(self, context):
        link = HITLOperator.generate_link_to_ui_from_context(context=context,
                                                             base_url="https://ui.example")
        with open(os.path.join(os.path.dirname(__file__), "told.txt"), "a") as out:
            out.write(f"{self.message} {link}\\n")

with DAG("refund", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=UTC)):
    approve = ApprovalOperator(
        task_id="approve",
        subject="Refund {{ dag_run.conf.get('amount', 0) }} EUR?",
        body="Order {{ dag_run.conf.get('order') }}",
        params={"note": Param("", type="string")},
        notifiers=[Tell("waiting: {{ task.subject }}")],
    )

    @task
    def pay(answer):
        return {"paid": True, "note": answer["params_input"]["note"]}

    approve >> pay(approve.output)

with DAG("timeouts", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=UTC)):
    HITLEntryOperator(task_id="entry", subject="Anything to add?",
                      params={"n": Param(3, type="integer")},
                      execution_timeout=timedelta(seconds=3))
    HITLOperator(task_id="no_defaults", subject="Pick", options=["a", "b"],
                 execution_timeout=timedelta(seconds=3))
"""


@pytest.fixture
def triggerer(baton: Baton) -> Iterator[Triggerer]:
    instance = Triggerer(baton)
    try:
        yield instance.start()
    finally:
        instance.stop()


def _pending(baton: Baton, url: str, token: str, run_id: str) -> dict:
    def found() -> dict | None:
        reply = call("GET", f"{url}/api/v1/dags/~/dagRuns/{run_id}/hitlDetails"
                     "?response_received=false", token=token)  # fmt: skip
        assert reply.status == 200, reply.body
        return reply.json["hitl_details"][0] if reply.json["hitl_details"] else None

    return baton.wait_until(f"the question of run {run_id}", found)


def _token(baton: Baton, role: str) -> str:
    """A user of ``role`` and an API token, made in-process (a CLI call costs seconds here)."""
    user = api.create_user(baton.settings, f"{role.lower()}-e2e", "a-long-password-1", role)
    return api.create_token(baton.settings, user.id, "e2e", source="test")[1]


def _trigger(url: str, token: str, dag_id: str, conf: dict | None = None) -> str:
    reply = call("POST", f"{url}/api/v1/dags/{dag_id}/dagRuns", json.dumps({"conf": conf or {}}),
                 token=token)  # fmt: skip
    assert reply.status == 200, reply.body
    return reply.json["dag_run_id"]


def _returned(baton: Baton, dag_id: str, run_id: str, task_id: str) -> object:
    rows = api.list_xcoms(baton.settings, dag_id, run_id, task_id)
    return next(json.loads(r.value) for r in rows if r.key == "return_value")


def test_approve_reject_and_timeouts(baton: Baton, triggerer: Triggerer) -> None:
    baton.write_dag("refund.py", DAGS)
    op, viewer = _token(baton, "Op"), _token(baton, "Viewer")
    baton.start()
    baton.wait_for_dag("refund")
    with running_webui(baton) as url:
        timeouts = _trigger(url, op, "timeouts")  # 3 s timeouts, checked at the end
        # -- approve through the REST API --------------------------------------------------
        run_id = _trigger(url, op, "refund", {"amount": 120, "order": "A-7"})
        detail = _pending(baton, url, viewer, run_id)
        assert detail["subject"] == "Refund 120 EUR?" and detail["body"] == "Order A-7"
        assert detail["options"] == ["Approve", "Reject"] and detail["multiple"] is False
        assert detail["params"]["note"]["schema"] == {"type": "string"}
        told = (baton.dags / "told.txt").read_text()
        assert "waiting: Refund 120 EUR? https://ui.example/dags/refund/runs/" in told
        assert "/tasks/approve/required_actions?map_index=-1" in told
        deferred = lambda: baton.task_states("refund", run_id)["approve"] == "deferred"  # noqa: E731
        baton.wait_until("approve deferred", deferred)
        path = f"{url}/api/v1/dags/refund/dagRuns/{run_id}/taskInstances/approve/-1/hitlDetails"
        answer = json.dumps({"chosen_options": ["Approve"], "params_input": {"note": "ok"}})
        assert call("PATCH", path, answer, token=viewer).status == 403
        wrong = call("PATCH", path, json.dumps({"chosen_options": ["Maybe"]}), token=op)
        assert wrong.status == 400 and "not offered" in wrong.json["error"]
        bad_param = json.dumps({"chosen_options": ["Approve"], "params_input": {"note": 5}})
        assert call("PATCH", path, bad_param, token=op).status == 400
        reply = call("PATCH", path, answer, token=op)
        assert reply.status == 200, reply.body
        assert reply.json["responded_by"]["name"] == "op-e2e"
        assert reply.json["chosen_options"] == ["Approve"]
        assert call("PATCH", path, answer, token=op).status == 409
        assert baton.wait_for_run("refund", run_id) == "success"
        assert _returned(baton, "refund", run_id, "pay") == {"paid": True, "note": "ok"}
        xcom = _returned(baton, "refund", run_id, "approve")
        assert xcom["chosen_options"] == ["Approve"] and xcom["params_input"] == {"note": "ok"}
        assert xcom["responded_by_user"]["name"] == "op-e2e" and xcom["responded_at"]
        said = api.events_page(
            baton.settings, limit=10, offset=0, filters={"run_id": run_id, "event": "hitl_response"}
        ).rows
        assert said and "op-e2e" in said[0].detail and "Approve" in said[0].detail
        assert said[0].source == "webui:op-e2e"
        got = call("GET", path, token=viewer).json
        assert got["response_received"] is True and got["responded_by_user"]["name"] == "op-e2e"

        # -- reject through the REST API: the downstream task is skipped -----------------
        run_id = _trigger(url, op, "refund", {"amount": 9000})
        _pending(baton, url, op, run_id)
        path = f"{url}/api/v1/dags/refund/dagRuns/{run_id}/taskInstances/approve/-1/hitlDetails"
        reply = call("PATCH", path, json.dumps({"chosen_options": ["Reject"]}), token=op)
        assert reply.status == 200, reply.body
        assert baton.wait_for_run("refund", run_id) == "success"
        assert baton.task_states("refund", run_id) == {"approve": "success", "pay": "skipped"}

        # -- approve through the CLI (its Viewer refusal: tests/api/test_hitl_trigger.py) ---
        run_id = _trigger(url, op, "refund", {"amount": 5})
        _pending(baton, url, op, run_id)
        listed = baton.cli_json("hitl", "list", "--run-id", run_id)
        assert [d["task_instance"]["task_id"] for d in listed] == ["approve"]
        baton.cli("hitl", "respond", "refund", run_id, "approve", "--option", "Approve",
                  "--params-input", '{"note": "by cli"}', "--username", "op-e2e")  # fmt: skip
        assert baton.wait_for_run("refund", run_id) == "success"
        assert _returned(baton, "refund", run_id, "pay") == {"paid": True, "note": "by cli"}

        # -- timeouts: defaults taken, or the task fails without them --------------------
        run_id = timeouts
        assert baton.wait_for_run("timeouts", run_id) == "failed"
        states = baton.task_states("timeouts", run_id)
        assert states == {"entry": "success", "no_defaults": "failed"}
        entry = _returned(baton, "timeouts", run_id, "entry")
        assert entry["chosen_options"] == ["OK"] and entry["params_input"] == {"n": 3}
        assert entry["responded_by_user"] is None
        assert "HITLTimeoutError" in baton.task_log("timeouts", run_id, "no_defaults")
