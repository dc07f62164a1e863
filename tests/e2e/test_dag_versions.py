"""DAG versions through the real scheduler: the first parse makes version 1, an unchanged
re-parse makes none, an edit makes version 2; a run keeps the version it was created with;
the CLI, the REST API and the web UI (Versions tab, code, diff, run page) answer."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from scheduler import api
from scheduler.api import dag_versions
from tests.e2e.harness import Baton
from tests.webui.conftest import BatonClient
from webui import create_app
from webui.auth.identity import SESSION_LOGIN_AT_KEY, SESSION_USER_KEY

pytestmark = pytest.mark.e2e

V1 = """
from datetime import datetime, timezone
from scheduler import DAG, EmptyOperator
with DAG("shop", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    EmptyOperator(task_id="extract")
"""
V2 = V1 + '    EmptyOperator(task_id="load_v2")\n'


@pytest.fixture
def clients(baton: Baton) -> Iterator[tuple[BatonClient, dict[str, str]]]:
    user = api.create_user(baton.settings, "look", "look-password-123", "Viewer")
    token = api.create_token(baton.settings, user.id, "e2e", source="test")[1]
    app = create_app({"BATON_SETTINGS": baton.settings, "TESTING": True})
    app.test_client_class = BatonClient
    client = app.test_client()
    with client.session_transaction() as session:
        session[SESSION_USER_KEY] = user.id
        session[SESSION_LOGIN_AT_KEY] = time.time()
    yield client, {"Authorization": f"Bearer {token}"}
    api.read_database(baton.settings).dispose()
    api.database(baton.settings).dispose()


def _versions(baton: Baton) -> list[dict[str, Any]]:
    return baton.cli_json("dags", "versions", "shop", "-o", "json")


def _parsed_at(baton: Baton) -> Any:
    return api.get_dag(baton.settings, "shop").last_parsed_at


def test_versions_follow_edits_and_runs_keep_theirs(baton: Baton, clients: Any) -> None:
    http, token = clients
    path = baton.write_dag("shop.py", V1)
    baton.start()
    baton.wait_for_dag("shop")
    first = baton.wait_until("version 1", lambda: _versions(baton))
    assert [v["version_number"] for v in first] == [1]
    old_run = baton.trigger("shop")
    assert baton.wait_for_run("shop", old_run) == "success"

    # The same file parsed again (a new mtime, the same bytes): no new version.
    parsed = _parsed_at(baton)
    later = time.time() + 5
    os.utime(path, (later, later))
    baton.wait_until("a re-parse", lambda: _parsed_at(baton) != parsed)
    assert [v["version_number"] for v in _versions(baton)] == [1]

    path.write_text(V2)
    versions = baton.wait_until(
        "version 2", lambda: len(_versions(baton)) == 2 and _versions(baton)
    )
    assert versions[1]["file_hash"] != versions[0]["file_hash"]
    assert versions[1]["spec_hash"] != versions[0]["spec_hash"]
    new_run = baton.trigger("shop")
    assert baton.wait_for_run("shop", new_run) == "success"
    assert set(baton.task_states("shop", new_run)) == {"extract", "load_v2"}

    assert dag_versions.run_version(baton.settings, "shop", old_run).version_number == 1
    assert dag_versions.run_version(baton.settings, "shop", new_run).version_number == 2
    table = baton.cli("dags", "versions", "shop").stdout
    assert "VERSION_NUMBER" in table and versions[1]["file_hash"] in table

    # REST: Airflow's fields and shape, 404 JSON for what does not exist.
    listed = http.get("/api/v1/dags/shop/dagVersions", headers=token)
    assert listed.status_code == 200, listed.json
    assert listed.json["total_entries"] == 2
    one = listed.json["dag_versions"][0]
    assert {"id", "version_number", "dag_id", "bundle_name", "bundle_version", "created_at"} <= set(
        one
    )
    assert (one["dag_id"], one["bundle_name"], one["bundle_version"]) == (
        "shop",
        "dags-folder",
        None,
    )
    second = http.get("/api/v1/dags/shop/dagVersions/2", headers=token)
    assert second.json == listed.json["dag_versions"][1]
    missing = http.get("/api/v1/dags/shop/dagVersions/9", headers=token)
    assert missing.status_code == 404 and missing.json["field"] == "version_number"
    assert "baton dags versions shop" in missing.json["error"]
    assert http.get("/api/v1/dags/nope/dagVersions", headers=token).status_code == 404

    # Web UI: the tab, the code as of version 1, the diff, each run's version.
    page = http.get("/dags/shop/versions").get_data(as_text=True)
    assert "v1" in page and "v2" in page and "diff with v1" in page
    code = http.get("/dags/shop/versions/1").get_data(as_text=True)
    assert "extract" in code and "load_v2" not in code
    diff = http.get("/dags/shop/versions/diff?from=1&to=2").get_data(as_text=True)
    assert '<div class="add">+    EmptyOperator(task_id=&#34;load_v2&#34;)</div>' in diff
    assert http.get("/dags/shop/versions/diff?from=x&to=2").status_code == 400
    assert http.get("/dags/shop/versions/7").status_code == 404
    old_page = http.get(f"/dags/shop/runs/{old_run}").get_data(as_text=True)
    assert 'href="/dags/shop/versions/1">version 1</a>' in old_page
    new_page = http.get(f"/dags/shop/runs/{new_run}").get_data(as_text=True)
    assert 'href="/dags/shop/versions/2">version 2</a>' in new_page


def test_a_run_adopted_after_an_edit_keeps_its_versions_tasks(baton: Baton) -> None:
    """Clearing a run makes the scheduler mirror it again from the database: it takes the
    tasks of the run's own version (1), not those of the edited file (version 2)."""
    path = baton.write_dag("shop.py", V1)
    baton.start()
    baton.wait_for_dag("shop")
    old_run = baton.trigger("shop")
    assert baton.wait_for_run("shop", old_run) == "success"
    path.write_text(V2)
    baton.wait_until("version 2", lambda: len(_versions(baton)) == 2)

    api.clear_run(baton.settings, "shop", old_run, source="test")
    baton.cli("dags", "trigger", "shop", "--run-id", "after_edit")  # pokes the scheduler
    assert baton.wait_for_run("shop", "after_edit") == "success"
    assert baton.wait_for_run("shop", old_run) == "success"
    assert baton.task_states("shop", old_run) == {"extract": "success"}
    assert [t.try_number for t in baton.tries("shop", old_run, "extract")] == [1, 2]
    assert set(baton.task_states("shop", "after_edit")) == {"extract", "load_v2"}
    assert "Traceback" not in baton.log_text()
