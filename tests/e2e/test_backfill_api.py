"""``/api/v1/backfills`` against a running scheduler: a dry run, a backfill created over
REST and run by the scheduler to completion, Airflow's fields, and refusals as 4xx JSON
(unknown ids, bad input, a second active backfill, a role too low, no token)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from scheduler import api
from tests.e2e.harness import Baton
from tests.e2e.test_backfill import DAILY
from webui import create_app

pytestmark = pytest.mark.e2e

AIRFLOW_FIELDS = {
    "id",
    "dag_id",
    "from_date",
    "to_date",
    "dag_run_conf",
    "is_paused",
    "reprocess_behavior",
    "max_active_runs",
    "created_at",
    "completed_at",
}
# For the refusals: parsed in this process, so no BATON_HOME lookups at import.
PLAIN_DAILY = """
from datetime import datetime, timezone
from scheduler import DAG, PythonOperator

with DAG("daily", schedule="@daily", catchup=False,
         start_date=datetime(2025, 1, 1, tzinfo=timezone.utc)):
    PythonOperator(task_id="work", python_callable=lambda: None)
"""
BODY = {"dag_id": "daily", "from_date": "2025-05-01T00:00:00Z", "to_date": "2025-05-04T00:00:00Z"}


@pytest.fixture
def client(baton: Baton) -> Iterator[tuple[FlaskClient, dict[str, str], dict[str, str]]]:
    op = api.create_user(baton.settings, "ops", "ops-password-123", "Op")
    viewer = api.create_user(baton.settings, "look", "look-password-123", "Viewer")
    op_token = api.create_token(baton.settings, op.id, "e2e", source="test")[1]
    viewer_token = api.create_token(baton.settings, viewer.id, "e2e", source="test")[1]
    app = create_app({"BATON_SETTINGS": baton.settings, "TESTING": True})
    yield (
        app.test_client(),
        {"Authorization": f"Bearer {op_token}"},
        {"Authorization": f"Bearer {viewer_token}"},
    )
    api.read_database(baton.settings).dispose()
    api.database(baton.settings).dispose()


def test_backfill_over_rest(baton: Baton, client: Any) -> None:
    http, op, viewer = client
    baton.write_dag("daily.py", DAILY)
    baton.start()
    baton.wait_for_dag("daily")

    dry = http.post("/api/v1/backfills/dry_run", json=BODY, headers=op)
    assert dry.status_code == 200, dry.json
    assert dry.json["total_entries"] == 4
    assert [b["logical_date"][:10] for b in dry.json["backfills"]] == [
        "2025-05-01",
        "2025-05-02",
        "2025-05-03",
        "2025-05-04",
    ]
    assert http.get("/api/v1/backfills", headers=op).json == {"backfills": [], "total_entries": 0}

    body = {**BODY, "run_backwards": True, "max_active_runs": 1, "dag_run_conf": {"k": "v"}}
    assert http.post("/api/v1/backfills", json=body, headers=viewer).status_code == 403
    created = http.post("/api/v1/backfills", json=body, headers=op)
    assert created.status_code == 200, created.json
    backfill = created.json
    assert set(backfill) >= AIRFLOW_FIELDS
    assert backfill["dag_run_conf"] == {"k": "v"} and backfill["reprocess_behavior"] == "none"
    assert backfill["created_by"].endswith("ops") and backfill["completed_at"] is None
    again = http.post("/api/v1/backfills", json=BODY, headers=op)
    assert again.status_code == 409 and "already has an active backfill" in again.json["error"]

    url = f"/api/v1/backfills/{backfill['id']}"
    done = baton.wait_until(
        "the REST backfill to complete",
        lambda: (b := http.get(url, headers=viewer).json)["completed_at"] and b,
        60,
    )
    assert done["state"] == "completed"
    assert done["progress"] | {"total": 4, "success": 4, "remaining": 0} == done["progress"]
    runs = [r for r in api.list_runs(baton.settings, "daily") if r.backfill_id == backfill["id"]]
    assert len(runs) == 4 and all(r.conf == {"k": "v"} for r in runs)
    # run_backwards: the latest date started first.
    by_start = sorted(runs, key=lambda r: r.start_date)
    assert by_start[0].logical_date.date().isoformat() == "2025-05-04"

    cancel = http.put(f"{url}/cancel", headers=op)
    assert cancel.status_code == 409 and "has completed already" in cancel.json["error"]
    listed = http.get("/api/v1/backfills?dag_id=daily&active=false", headers=viewer).json
    assert [b["id"] for b in listed["backfills"]] == [backfill["id"]]
    active = http.get("/api/v1/backfills?dag_id=daily&active=true", headers=viewer).json
    assert active["backfills"] == []
    refused = http.get("/api/v1/backfills?active=maybe", headers=viewer)
    assert (refused.status_code, refused.json["error"]) == (400, "active must be true or false")


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({**BODY, "reprocess_behavior": "all"}, 400, "is not one of none, failed, completed"),
        ({**BODY, "max_active_runs": 0}, 400, "max_active_runs 0 is out of range"),
        ({**BODY, "from_date": "yesterday"}, 400, "is not an ISO 8601 date-time"),
        ({**BODY, "to_date": "2025-04-01T00:00:00Z"}, 400, "is before --from-date"),
        ({**BODY, "dag_id": "missing"}, 404, "missing"),
        ({**BODY, "dag_run_conf": [1]}, 400, "dag_run_conf"),
        ({**BODY, "colour": "red"}, 400, "unknown field 'colour'"),
    ],
)
def test_bad_requests_are_4xx_json(
    baton: Baton, client: Any, body: dict[str, Any], status: int, words: str
) -> None:
    http, op, _ = client
    baton.write_dag("daily.py", PLAIN_DAILY)
    api.sync_dags(baton.settings)
    answer = http.post("/api/v1/backfills", json=body, headers=op)
    assert answer.status_code == status, answer.json
    assert words in answer.json["error"]


def test_unknown_ids_and_no_token(baton: Baton, client: Any) -> None:
    http, op, _ = client
    missing = http.get("/api/v1/backfills/999", headers=op)
    assert missing.status_code == 404 and missing.json["field"] == "backfill_id"
    assert http.put("/api/v1/backfills/999/cancel", headers=op).status_code == 404
    assert http.get("/api/v1/backfills").status_code == 401
