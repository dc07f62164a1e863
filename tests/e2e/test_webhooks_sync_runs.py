"""Synchronous runs and inbound webhooks through a live ``baton webui`` and scheduler.

``POST .../dagRuns?wait=true`` answers with the finished run and its leaf task's return
value (202 when the timeout comes first); ``POST /hooks/<name>`` starts a run from a signed
delivery, and refuses bad, stale and replayed signatures, malformed, too deep and oversized
bodies, each with its status and a JSON error. The secret never shows in a reply or a log.
"""

from __future__ import annotations

import json
import time

import pytest

from scheduler.api.webhooks import sign
from tests.e2e.harness import Baton
from tests.e2e.http_calls import Reply, api_token, call
from tests.e2e.webserver import running_webui
from tests.test_json_limits import nested

pytestmark = pytest.mark.e2e

SECRET = "whsec-9f8e7d6c5b4a-very-secret"
DAGS = """
import time
from datetime import UTC, datetime
from scheduler import DAG, Webhook, task

with DAG("orders", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=UTC),
         webhooks=[Webhook("shop-orders", secret_conn_id="shop_hook")]):
    @task
    def amount(dag_run=None):
        return dag_run.conf.get("amount", 1)

    @task
    def doubled(n):
        return n * 2

    @task
    def receipt(n, dag_run=None):
        return {"total": n, "order": dag_run.conf.get("order")}

    receipt(doubled(amount()))

with DAG("slow", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=UTC)):
    @task
    def nap():
        time.sleep(4)

    nap()
"""


def _deliver(url: str, body: bytes, *, secret: str = SECRET, at: float | None = None,
             signature: str | None = None, name: str = "shop-orders") -> Reply:  # fmt: skip
    timestamp = str(int(at if at is not None else time.time()))
    headers = {
        "X-Baton-Timestamp": timestamp,
        "X-Baton-Signature": signature or sign(secret, timestamp, body),
    }
    return call("POST", f"{url}/hooks/{name}", body, headers=headers)


def test_synchronous_runs_and_signed_webhooks(baton: Baton) -> None:
    baton.write_dag("orders.py", DAGS)
    baton.cli("connections", "add", "shop_hook", "--conn-type", "generic",
              "--conn-password", SECRET)  # fmt: skip
    token = api_token(baton, "Op")
    baton.start()
    baton.wait_for_dag("orders")
    baton.wait_for_dag("slow")
    with running_webui(baton) as url:
        # -- a synchronous run: the leaf's return value in the answer -----------------------
        runs = f"{url}/api/v1/dags/orders/dagRuns"
        body = json.dumps({"conf": {"amount": 21, "order": "A-1"}})
        reply = call("POST", f"{runs}?wait=true&timeout=60", body, token=token)
        assert reply.status == 200, reply.body
        assert reply.json["state"] == "success" and reply.json["end_date"] is not None
        assert reply.json["leaf_task_ids"] == ["receipt"]
        assert reply.json["return_value"] == {"total": 42, "order": "A-1"}

        slow = call(
            "POST", f"{url}/api/v1/dags/slow/dagRuns?wait=true&timeout=0.5", "{}", token=token
        )
        assert slow.status == 202 and slow.json["state"] in {"queued", "running"}
        assert "did not finish within 0.5 s" in slow.json["message"]
        bad_timeout = call("POST", f"{runs}?wait=true&timeout=999", "{}", token=token)
        assert bad_timeout.status == 400 and bad_timeout.json["field"] == "timeout"

        # -- a signed delivery starts a run with the body as its conf ------------------------
        delivery = json.dumps({"amount": 5, "order": "W-7"}).encode()
        timestamp = time.time()
        accepted = _deliver(url, delivery, at=timestamp)
        assert accepted.status == 200, accepted.body
        run_id = accepted.json["dag_run_id"]
        assert run_id.startswith("webhook__shop-orders__")
        assert baton.wait_for_run("orders", run_id) == "success"
        assert baton.cli_json("runs", "list", "orders")  # listed like any run
        xcoms = baton.cli_json("tasks", "xcom", "orders", run_id, "receipt")
        assert [x["value"] for x in xcoms] == [{"total": 10, "order": "W-7"}]

        replay = _deliver(url, delivery, at=timestamp)  # the same request, sent again
        assert replay.status == 409 and "already received" in replay.json["error"]

        wrong = _deliver(url, delivery, secret="not-the-secret")
        assert (
            wrong.status == 401 and wrong.json["error"] == "the signature does not match the body"
        )
        tampered = _deliver(url, delivery, signature=sign(SECRET, str(int(time.time())), b"{}"))
        assert tampered.status == 401
        stale = _deliver(url, delivery, at=time.time() - 301)
        assert stale.status == 401 and "replay window" in stale.json["error"]
        unsigned = call("POST", f"{url}/hooks/shop-orders", delivery)
        assert unsigned.status == 401 and "X-Baton-Signature" in unsigned.json["error"]

        malformed = _deliver(url, b'{"amount": ')
        assert malformed.status == 400 and malformed.json["error"].startswith(
            "the body is not valid JSON"
        )
        not_object = _deliver(url, b"[1, 2]")
        assert not_object.status == 400 and "must be a JSON object" in not_object.json["error"]
        deep = _deliver(url, json.dumps(nested(100)).encode())
        assert deep.status == 400 and "BATON_MAX_CONF_DEPTH" in deep.json["error"]
        huge = _deliver(url, json.dumps({"blob": "x" * 70_000}).encode())
        assert huge.status == 413 and "BATON_MAX_CONF_SIZE" in huge.json["error"]
        unknown = _deliver(url, delivery, name="no-such-hook")
        assert unknown.status == 404

        runs_now = {run["run_id"] for run in baton.cli_json("runs", "list", "orders")}
        assert sum(r.startswith("webhook__") for r in runs_now) == 1  # only the good one
    logs = (baton.root / "webui.log").read_text() + baton.log_text()
    assert SECRET not in logs
