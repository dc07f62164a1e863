"""One rule for run ids: the CLI, the REST API and the web UI's trigger form refuse the same
ids with the same message, and nothing is created."""

from __future__ import annotations

import html
import time

import pytest

from scheduler import api
from scheduler.errors import InvalidRunIdError
from scheduler.run_ids import check_run_id
from tests.e2e.harness import Baton
from webui import create_app
from webui.auth.csrf import SESSION_KEY as CSRF_SESSION_KEY
from webui.auth.identity import SESSION_LOGIN_AT_KEY, SESSION_USER_KEY

pytestmark = pytest.mark.e2e

DAG = """
from datetime import datetime, timezone
from scheduler import DAG, EmptyOperator
with DAG("ids", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    EmptyOperator(task_id="only")
"""


def _message(run_id: str) -> str:
    with pytest.raises(InvalidRunIdError) as info:
        check_run_id(run_id)
    return str(info.value)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "<script>alert(1)</script>"])
def test_cli_api_and_ui_refuse_a_bad_run_id_with_the_same_words(baton: Baton, bad: str) -> None:
    baton.write_dag("ids.py", DAG)
    baton.start()
    baton.wait_for_dag("ids")
    expected = _message(bad)

    cli = baton.cli("dags", "trigger", "ids", "--run-id", bad, check=False)
    assert cli.returncode != 0
    assert expected in cli.stderr + cli.stdout

    app = create_app({"BATON_SETTINGS": baton.settings, "TESTING": True})
    user = api.create_user(baton.settings, "op", "op-password-12345", "Op")
    token = api.create_token(baton.settings, user.id, "e2e", source="test")[1]
    client = app.test_client()
    refused = client.post(
        "/api/v1/dags/ids/dagRuns",
        json={"dag_run_id": bad},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 400
    assert refused.get_json() == {"error": expected, "field": "dag_run_id"}

    with client.session_transaction() as session:
        session[CSRF_SESSION_KEY] = "csrf"
        session[SESSION_USER_KEY] = user.id
        session[SESSION_LOGIN_AT_KEY] = time.time()
    form = client.post(
        "/dags/ids/trigger", data={"run_id": bad, "conf": "{}", "csrf_token": "csrf"}
    )
    assert form.status_code == 400
    page = form.get_data(as_text=True)
    assert expected in html.unescape(page)
    assert "<script>alert(1)" not in page  # shown escaped, as text

    assert api.list_runs(baton.settings, "ids") == []
    good = baton.cli_json("dags", "trigger", "ids", "--run-id", "nightly-2026.01_v2")
    assert baton.wait_for_run("ids", good["run_id"]) == "success"
