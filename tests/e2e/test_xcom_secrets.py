"""A task that returns a connection's password: the downstream task gets it, nobody else sees it.

The real scheduler runs the DAG; then every GET route of the web UI and the REST API (read
from the app's url_map, so a route added later is covered too), the CLI, the logs and the
database files are searched for the cleartext.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from scheduler import api
from tests.e2e.harness import Baton
from webui import create_app
from webui.auth.csrf import SESSION_KEY as CSRF_SESSION_KEY
from webui.auth.identity import SESSION_LOGIN_AT_KEY, SESSION_USER_KEY

PASSWORD = "S3cr3t-Pa55word"
TOKEN = "tok-XYZ-98765"  # pushed under a sensitive key, never registered by a connection


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# No secret is written in the DAG file (the code page shows it): the token is assembled at
# run time and the downstream task compares digests.
DAG = f'''
import hashlib
from datetime import UTC, datetime
from scheduler import DAG, BaseHook, BashOperator, task

def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()

with DAG(dag_id="leaky", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=UTC)) as dag:
    @task
    def fetch(ti=None):
        conn = BaseHook.get_connection("warehouse")
        ti.xcom_push(key="api_token", value="-".join(["tok", "XYZ", "98765"]))
        return {{"login": conn.login, "password": conn.password,
                "dsn": f"pg://{{conn.login}}:{{conn.password}}@db/x"}}

    @task
    def use(creds, ti=None):
        print("connecting with", creds["password"])
        token = ti.xcom_pull(task_ids="fetch", key="api_token")
        return {{"same": sha(creds["password"]) == "{_sha(PASSWORD)}",
                "pushed_ok": sha(token) == "{_sha(TOKEN)}"}}

    render = BashOperator(
        task_id="render",
        bash_command="echo pw={{{{ ti.xcom_pull(task_ids='fetch')['password'] }}}} && "
        "test {{{{ ti.xcom_pull(task_ids='fetch')['password'] | length }}}} -eq {len(PASSWORD)}",
    )
    creds = fetch()
    use(creds)
    creds >> render
'''


@pytest.fixture
def leaky(tmp_path: Path) -> Baton:
    baton = Baton(tmp_path, conn_warehouse=f"postgres://app:{PASSWORD}@db.internal:5432/wh")
    baton.write_dag("leaky.py", DAG)
    baton.start()
    baton.wait_for_dag("leaky")
    return baton


def test_downstream_tasks_get_the_secret_and_no_page_response_log_or_file_shows_it(
    leaky: Baton,
) -> None:
    run_id = leaky.trigger("leaky")
    assert leaky.wait_for_run("leaky", run_id) == "success", leaky.task_states("leaky", run_id)
    states = leaky.task_states("leaky", run_id)
    assert states == dict.fromkeys(("fetch", "use", "render"), "success")
    used = api.list_xcoms(leaky.settings, "leaky", run_id, "use")
    assert json.loads(used[0].value) == {"same": True, "pushed_ok": True}

    fetched = api.list_xcoms(leaky.settings, "leaky", run_id, "fetch")
    shown = {x.key: json.loads(x.value) for x in fetched}
    assert shown == {
        "return_value": {"login": "app", "password": "***", "dsn": "pg://app:***@db/x"},
        "api_token": "***",
    }
    leaky.stop()  # checkpoints nothing away: the WAL file is searched too, if it is left

    cli = leaky.cli("tasks", "xcom", "leaky", run_id, "fetch").stdout
    cli += leaky.cli("tasks", "xcom", "leaky", run_id, "fetch", "-o", "json").stdout
    assert "pg://app:***@db/x" in cli
    for task_id in ("fetch", "use", "render"):
        log = leaky.task_log("leaky", run_id, task_id)
        cli += log
    assert "connecting with ***" in cli and "pw=***" in cli
    _assert_hidden(cli, "the CLI and the task logs")

    pages = _every_get_route(leaky, run_id)
    assert len(pages) > 30, sorted(pages)
    api_url = f"/api/v1/dags/leaky/dagRuns/{run_id}/taskInstances/fetch/xcomEntries"
    entries = json.loads(pages[api_url])
    assert {e["key"]: e["value"] for e in entries["xcom_entries"]} == shown
    assert "pg://app:***@db/x" in pages[f"/dags/leaky/runs/{run_id}/tasks/fetch/"]
    for url, body in pages.items():
        _assert_hidden(body, url)

    for path in leaky.home.rglob("*"):
        if path.is_file() and "venvs" not in path.parts:
            _assert_hidden(path.read_bytes().decode("latin-1"), str(path))


def _assert_hidden(text: str, where: str) -> None:
    for secret in (PASSWORD, TOKEN):
        assert secret not in text, f"{secret} in cleartext in {where}"


def _every_get_route(baton: Baton, run_id: str) -> dict[str, str]:
    """Every GET route of the app, logged in as an admin, with this run's ids filled in."""
    app = create_app({"BATON_SETTINGS": baton.settings, "TESTING": True})
    user = api.create_user(baton.settings, "admin", "admin-password-1", "Admin")
    client = app.test_client()
    with client.session_transaction() as session:
        session[CSRF_SESSION_KEY] = "csrf"
        session[SESSION_USER_KEY] = user.id
        session[SESSION_LOGIN_AT_KEY] = time.time()
    values: dict[str, Any] = {
        "dag_id": "leaky",
        "run_id": run_id,
        "dag_run_id": run_id,
        "map_index": -1,
        "pool_name": "default_pool",
    }
    pages: dict[str, str] = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if "task_id" in rule.arguments:
            urls = [_build(rule.rule, {**values, "task_id": t}) for t in ("fetch", "use", "render")]
        else:
            urls = [_build(rule.rule, values)]
        for url in urls:
            for query in ("", "?full_content=true&try_number=1", "?limit=1000"):
                response = client.get(url + query)
                assert response.status_code != 500, url  # 503: health, the scheduler stopped
                pages[url + query] = response.get_data(as_text=True)
    return pages


def _build(rule: str, values: dict[str, Any]) -> str:
    """The rule with its arguments filled; one not in ``values`` (a backfill id, a version
    number, a connection...) gets 1: a page that answers 404 still must not leak or 500."""
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m.group(1), 1)), rule)
