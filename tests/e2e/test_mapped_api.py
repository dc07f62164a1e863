"""The REST API on mapped instances against a running scheduler: clearing one instance by
``[task_id, map_index]`` reruns only that instance (and, with include_downstream, the reduce),
and marking one instance through ``PATCH .../{task_id}/{map_index}`` is what the run sees."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from scheduler import api
from tests.e2e.harness import Baton
from webui import create_app

pytestmark = pytest.mark.e2e

HALVES = """
from datetime import datetime, timezone
from scheduler import DAG, task

with DAG("halves", start_date=datetime(2026, 1, 1, tzinfo=timezone.utc), schedule=None):
    @task
    def numbers():
        return [10, 20, 30, 40]

    @task
    def halve(x, ti=None):
        if x == 30 and ti.try_number == 1:
            raise ValueError("thirty refuses the first time")
        return x // 2

    @task
    def total(values):
        return sum(values)

    total(halve.expand(x=numbers()))
"""


@pytest.fixture
def client(baton: Baton) -> Iterator[tuple[FlaskClient, dict[str, str]]]:
    user = api.create_user(baton.settings, "ops", "ops-password-123", "Op")
    token = api.create_token(baton.settings, user.id, "e2e", source="test")[1]
    app = create_app({"BATON_SETTINGS": baton.settings, "TESTING": True})
    yield app.test_client(), {"Authorization": f"Bearer {token}"}
    api.read_database(baton.settings).dispose()
    api.database(baton.settings).dispose()


def _instances(client: FlaskClient, headers: dict[str, str], run_id: str) -> list[dict[str, Any]]:
    url = f"/api/v1/dags/halves/dagRuns/{quote(run_id, safe='')}/taskInstances/halve/listMapped"
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.json
    return response.json["task_instances"]


def test_clearing_one_instance_reruns_only_it(
    baton: Baton, client: tuple[FlaskClient, dict[str, str]]
) -> None:
    http, headers = client
    baton.write_dag("halves.py", HALVES)
    baton.start()
    baton.wait_for_dag("halves")
    run_id = baton.trigger("halves")
    assert baton.wait_for_run("halves", run_id) == "failed"
    before = _instances(http, headers, run_id)
    assert [(t["map_index"], t["state"], t["try_number"]) for t in before] == [
        (0, "success", 1),
        (1, "success", 1),
        (2, "failed", 1),
        (3, "success", 1),
    ]

    body = {"dag_run_id": run_id, "task_ids": [["halve", 2]], "include_downstream": True}
    response = http.post("/api/v1/dags/halves/clearTaskInstances", json=body, headers=headers)
    assert response.status_code == 200, response.json
    assert baton.wait_for_run("halves", run_id) == "success"
    after = _instances(http, headers, run_id)
    assert [(t["map_index"], t["state"], t["try_number"]) for t in after] == [
        (0, "success", 1),
        (1, "success", 1),
        (2, "success", 2),
        (3, "success", 1),
    ]
    base = f"/api/v1/dags/halves/dagRuns/{quote(run_id, safe='')}/taskInstances"
    xcoms = http.get(f"{base}/total/xcomEntries", headers=headers).json["xcom_entries"]
    assert [x["value"] for x in xcoms if x["key"] == "return_value"] == [5 + 10 + 15 + 20]
    log = http.get(f"{base}/halve/logs?map_index=2&try_number=1", headers=headers).json
    assert "thirty refuses the first time" in log["content"]


def test_marking_one_instance_lets_the_run_go_on(
    baton: Baton, client: tuple[FlaskClient, dict[str, str]]
) -> None:
    http, headers = client
    baton.write_dag("halves.py", HALVES)
    baton.start()
    baton.wait_for_dag("halves")
    run_id = baton.trigger("halves")
    assert baton.wait_for_run("halves", run_id) == "failed"
    base = f"/api/v1/dags/halves/dagRuns/{quote(run_id, safe='')}/taskInstances"
    marked = http.patch(f"{base}/halve/2", json={"new_state": "success"}, headers=headers)
    assert marked.status_code == 200, marked.json
    assert (marked.json["map_index"], marked.json["state"]) == (2, "success")
    # total was upstream_failed; clearing it now runs it over the marked instances.
    body = {"dag_run_id": run_id, "task_ids": ["total"]}
    assert (
        http.post("/api/v1/dags/halves/clearTaskInstances", json=body, headers=headers).status_code
        == 200
    )
    assert baton.wait_for_run("halves", run_id) == "success"
    states = {t["map_index"]: t["state"] for t in _instances(http, headers, run_id)}
    assert states == dict.fromkeys(range(4), "success")
    assert http.get(f"{base}/total", headers=headers).json["state"] == "success"
