"""Notifications through the real scheduler: task callbacks in the worker (from the task
and from default_args, with a list), DAG callbacks in their own process, received by a real
SMTP server and a real HTTP receiver; a notifier that fails never fails its task."""

from __future__ import annotations

import hmac

import pytest
from sqlalchemy import select

from scheduler.notifications import SIGNATURE_HEADER, sign
from scheduler.store.db import make_engine
from scheduler.store.models_notifications import dag_callback_table
from tests.e2e.harness import Baton
from tests.notifications.receivers import free_port, http_receiver, smtp_server

pytestmark = pytest.mark.e2e

SECRET = "dag-hook-secret"

DAGS = """
import os
from datetime import datetime, timedelta, timezone
from scheduler import DAG, PythonOperator
from scheduler.notifications import SmtpNotifier, WebhookNotifier

HOOK = os.environ["TEST_HOOK_URL"]
DEAD = os.environ["TEST_DEAD_URL"]
START = datetime(2026, 1, 1, tzinfo=timezone.utc)

def charge():
    raise ValueError("card declined")

mail = SmtpNotifier(to="ops@example.com", from_email="baton@example.com",
                    subject="{{ ti.task_id }} {{ ti.state }} (try {{ ti.try_number }})")
dag_hook = WebhookNotifier(HOOK + "/dag", secret="SECRET")

with DAG("billing", schedule=None, start_date=START,
         on_failure_callback=[dag_hook],
         default_args={"on_failure_callback": mail,
                       "on_retry_callback": [WebhookNotifier(HOOK + "/retry")]}):
    ok = PythonOperator(
        task_id="ok", python_callable=lambda: 1,
        on_success_callback=WebhookNotifier(DEAD, retries=1, retry_delay=0.05))
    bad = PythonOperator(task_id="charge", python_callable=charge, retries=1,
                         retry_delay=timedelta(seconds=0))
    ok >> bad

with DAG("reports", schedule=None, start_date=START, on_success_callback=dag_hook):
    PythonOperator(task_id="build", python_callable=lambda: "done")
""".replace("SECRET", SECRET)


def test_failure_retry_and_success_notifications_reach_real_servers(baton: Baton) -> None:
    with smtp_server() as (smtp_port, mails), http_receiver() as hooks:
        baton.env.update(
            TEST_HOOK_URL=hooks.url,
            TEST_DEAD_URL=f"http://127.0.0.1:{free_port()}/gone",
            BATON_CONN_SMTP_DEFAULT=f"smtp://127.0.0.1:{smtp_port}?disable_ssl=true&disable_tls=true",
            BATON_WEBUI_BASE_URL="https://baton.example.com",
        )
        baton.write_dag("notify.py", DAGS)
        baton.start()
        baton.wait_for_dag("billing", timeout=180)  # generous: a loaded machine is slow
        baton.wait_for_dag("reports", timeout=180)
        failed = baton.trigger("billing")
        done = baton.trigger("reports")
        assert baton.wait_for_run("billing", failed, timeout=180) == "failed"
        assert baton.wait_for_run("reports", done, timeout=180) == "success"
        baton.wait_until("the DAG callbacks", lambda: len(_paths(hooks, "/dag")) == 2, 120)

        # on_retry_callback from default_args (a list), after try 1
        (retry,) = _paths(hooks, "/retry")
        assert retry.json()["task_id"] == "charge" and retry.json()["state"] == "up_for_retry"
        # on_failure_callback from default_args: the mail, after try 2
        baton.wait_until("the mail", lambda: mails, 30)
        ((recipients, message),) = mails
        assert recipients == ["ops@example.com"]
        assert message["Subject"] == "charge failed (try 2)"
        # DAG callbacks, in their own process: signed, with Airflow's context and the run link
        by_run = {r.json()["run_id"]: r for r in _paths(hooks, "/dag")}
        fail_hook, success_hook = by_run[failed], by_run[done]
        assert hmac.compare_digest(
            fail_hook.headers[SIGNATURE_HEADER], sign(SECRET, fail_hook.body)
        )
        body = fail_hook.json()
        assert body["dag_id"] == "billing" and body["task_id"] == "charge"
        assert body["state"] == "failed" and body["error"].startswith("ValueError: card declined")
        assert body["run_url"] == f"https://baton.example.com/dags/billing/runs/{failed}"
        assert success_hook.json()["state"] == "success" and success_hook.json()["task_id"] == ""

    # the notifier of "ok" could reach nobody: logged in its try, the task still succeeded
    assert baton.task_states("billing", failed)["ok"] == "success"
    log = baton.task_log("billing", failed, "ok")
    assert "WebhookNotifier failed (attempt 2 of 2)" in log
    assert "giving up, the task's outcome is unchanged" in log
    claims = _claims(baton)
    assert {(c["dag_id"], c["callback"], c["state"]) for c in claims} == {
        ("billing", "on_failure_callback", "success"),
        ("reports", "on_success_callback", "success"),
    }


def _paths(hooks, path: str) -> list:  # type: ignore[no-untyped-def]
    return [r for r in list(hooks.requests) if r.path == path]


def _claims(baton: Baton) -> list[dict]:
    engine = make_engine(baton.settings.database_url, write=False)
    try:
        with engine.connect() as c:
            return [dict(r._mapping) for r in c.execute(select(dag_callback_table))]
    finally:
        engine.dispose()
