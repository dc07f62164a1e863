"""REST API reads against the seeded database: DAGs, runs, task instances, logs, XComs,
import errors, the event log. Field names follow Airflow's REST API."""

from __future__ import annotations

from urllib.parse import quote

from tests.webui.conftest import CONF_SECRET, BatonClient, WebUI

V1 = "/api/v1"


def _run_url(webui: WebUI, run_id: str | None = None, dag_id: str = "demo_etl") -> str:
    return f"{V1}/dags/{dag_id}/dagRuns/{quote(run_id or webui.seed.success_run, safe='')}"


def test_list_dags_with_pagination(viewer_client: BatonClient) -> None:
    body = viewer_client.get(f"{V1}/dags").json
    assert body["total_entries"] == 2
    assert [d["dag_id"] for d in body["dags"]] == ["demo_etl", "demo_fail"]
    etl = body["dags"][0]
    assert etl["is_paused"] is True and etl["tags"] == [{"name": "demo"}, {"name": "example"}]
    assert set(etl["task_ids"]) == {"extract", "transform", "load"}
    second = viewer_client.get(f"{V1}/dags?limit=1&offset=1").json
    assert second["total_entries"] == 2 and [d["dag_id"] for d in second["dags"]] == ["demo_fail"]
    assert viewer_client.get(f"{V1}/dags?offset=5").json == {"dags": [], "total_entries": 2}


def test_get_one_dag(viewer_client: BatonClient) -> None:
    body = viewer_client.get(f"{V1}/dags/demo_fail").json
    assert body["dag_id"] == "demo_fail" and body["task_ids"] == ["boom", "after"]


def test_runs_newest_first_with_state_filter(webui: WebUI, viewer_client: BatonClient) -> None:
    body = viewer_client.get(f"{V1}/dags/demo_etl/dagRuns").json
    assert body["total_entries"] == 2
    assert [r["dag_run_id"] for r in body["dag_runs"]] == ["queued_run", webui.seed.success_run]
    success = viewer_client.get(f"{V1}/dags/demo_etl/dagRuns?state=success").json
    assert [r["dag_run_id"] for r in success["dag_runs"]] == [webui.seed.success_run]
    assert success["total_entries"] == 1
    paged = viewer_client.get(f"{V1}/dags/demo_etl/dagRuns?limit=1").json
    assert len(paged["dag_runs"]) == 1 and paged["total_entries"] == 2


def test_get_run_masks_secrets_in_conf(webui: WebUI, viewer_client: BatonClient) -> None:
    response = viewer_client.get(_run_url(webui))
    assert response.json["state"] == "success"
    assert response.json["conf"] == {"note": "seeded", "password": "***"}
    assert CONF_SECRET not in response.get_data(as_text=True)


def test_task_instances_of_a_run(webui: WebUI, viewer_client: BatonClient) -> None:
    body = viewer_client.get(
        f"{_run_url(webui, webui.seed.failed_run, 'demo_fail')}/taskInstances"
    ).json
    states = {ti["task_id"]: ti["state"] for ti in body["task_instances"]}
    assert states == {"boom": "failed", "after": "upstream_failed"}
    one = viewer_client.get(f"{_run_url(webui)}/taskInstances/extract").json
    assert (
        one["state"] == "success"
        and one["try_number"] == 1
        and one["dag_run_id"] == webui.seed.success_run
    )


def test_logs_of_a_try(webui: WebUI, viewer_client: BatonClient) -> None:
    url = f"{_run_url(webui)}/taskInstances/extract/logs"
    latest = viewer_client.get(url).json
    assert latest["try_number"] == 1 and "extracting rows" in latest["content"]
    assert latest["truncated"] is False
    assert viewer_client.get(f"{url}?try_number=1").json == latest
    missing = viewer_client.get(f"{url}?try_number=2")
    assert missing.status_code == 404 and missing.json["field"] == "try_number"
    never = viewer_client.get(f"{_run_url(webui, 'queued_run')}/taskInstances/extract/logs")
    assert never.status_code == 404 and "not started" in never.json["error"]
    assert latest["kind"] == "task"
    no_compensation = viewer_client.get(f"{url}?kind=compensate")  # extract has none
    assert no_compensation.status_code == 404


def test_xcom_entries(webui: WebUI, viewer_client: BatonClient) -> None:
    body = viewer_client.get(f"{_run_url(webui)}/taskInstances/extract/xcomEntries").json
    values = {x["key"]: x["value"] for x in body["xcom_entries"]}
    assert values == {"return_value": {"rows": [1, 2, 3]}, "row_count": 3}
    assert body["total_entries"] == 2


def test_import_errors(viewer_client: BatonClient) -> None:
    body = viewer_client.get(f"{V1}/importErrors").json
    assert body["total_entries"] == 1
    error = body["import_errors"][0]
    assert error["filename"].endswith("demo_broken.py") and "SyntaxError" in error["stack_trace"]


def test_event_log_filters_and_pages(webui: WebUI, viewer_client: BatonClient) -> None:
    everything = viewer_client.get(f"{V1}/eventLogs?limit=1000").json
    assert everything["total_entries"] == len(everything["event_logs"]) > 5
    run = webui.seed.failed_run
    body = viewer_client.get(
        f"{V1}/eventLogs", query_string={"dag_id": "demo_fail", "run_id": run, "task_id": "boom"}
    ).json
    assert body["event_logs"] and all(
        (e["dag_id"], e["run_id"], e["task_id"]) == ("demo_fail", run, "boom")
        for e in body["event_logs"]
    )
    assert body["event_logs"][0]["new_state"] == "failed"  # newest first
    created = viewer_client.get(f"{V1}/eventLogs?event=run_created&limit=1").json
    assert len(created["event_logs"]) == 1 and created["total_entries"] == 3


def test_health_in_the_api(viewer_client: BatonClient) -> None:
    response = viewer_client.get(f"{V1}/health")
    assert response.status_code == 503  # no scheduler ever ran in the seeded home
    assert response.json["metadatabase"] == {"status": "healthy"}
    assert response.json["schedulers"] == []  # the live ones: none
