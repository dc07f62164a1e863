"""Mapped task instances in the REST API, with Airflow's routes and answers: ``map_index`` in
every task instance, ``listMapped``, ``{task_id}/{map_index}``, logs and XComs per instance,
clear and mark of one instance; a bad or missing map index is a 4xx JSON error."""

from __future__ import annotations

import pytest

from scheduler import api
from tests.webui.conftest import WebUI
from tests.webui.mapped_seed import MappedSeed

PREFIX = "/api/v1/dags/demo_map/dagRuns"


def _get(webui: WebUI, path: str, **query: object):
    return webui.client().get(
        f"{PREFIX}/{path}", headers=webui.bearer("Viewer"), query_string=query
    )


def test_every_task_instance_has_its_map_index(mapped_webui: WebUI, mapped: MappedSeed) -> None:
    response = _get(mapped_webui, f"{mapped.run_id}/taskInstances")
    assert response.status_code == 200
    keys = [(t["task_id"], t["map_index"]) for t in response.json["task_instances"]]
    assert ("numbers", -1) in keys and ("load", -1) in keys and ("total", -1) in keys
    assert [i for t, i in keys if t == "square"] == [0, 1, 2, 3, 4, 5]


def test_list_mapped_pages_in_map_index_order(mapped_webui: WebUI, mapped: MappedSeed) -> None:
    path = f"{mapped.run_id}/taskInstances/square/listMapped"
    page = _get(mapped_webui, path, limit=2, offset=3)
    assert page.status_code == 200
    assert page.json["total_entries"] == 6
    assert [(t["map_index"], t["state"]) for t in page.json["task_instances"]] == [
        (3, "success"),
        (4, "failed"),
    ]
    failed = _get(mapped_webui, path, state="failed")
    assert [t["map_index"] for t in failed.json["task_instances"]] == [4]
    assert failed.json["total_entries"] == 1
    both = mapped_webui.client().get(
        f"{PREFIX}/{path}?state=failed&state=success", headers=mapped_webui.bearer("Viewer")
    )
    assert both.json["total_entries"] == 6


def test_list_mapped_of_an_unexpanded_task_is_empty(
    mapped_webui: WebUI, mapped: MappedSeed
) -> None:
    response = _get(mapped_webui, f"{mapped.queued_run}/taskInstances/square/listMapped")
    assert response.status_code == 200
    assert response.json == {"task_instances": [], "total_entries": 0}


def test_list_mapped_refuses_an_unmapped_task_and_bad_states(
    mapped_webui: WebUI, mapped: MappedSeed
) -> None:
    unmapped = _get(mapped_webui, f"{mapped.run_id}/taskInstances/load/listMapped")
    assert unmapped.status_code == 404
    assert "not mapped" in unmapped.json["error"] and unmapped.json["field"] == "task_id"
    unknown = _get(mapped_webui, f"{mapped.run_id}/taskInstances/nope/listMapped")
    assert unknown.status_code == 404 and unknown.json["field"] == "task_id"
    bad = _get(mapped_webui, f"{mapped.run_id}/taskInstances/square/listMapped", state="great")
    assert bad.status_code == 400 and bad.json["field"] == "state"


def test_get_one_instance_by_map_index(mapped_webui: WebUI, mapped: MappedSeed) -> None:
    response = _get(mapped_webui, f"{mapped.run_id}/taskInstances/square/4")
    assert response.status_code == 200
    assert (response.json["map_index"], response.json["state"]) == (4, "failed")
    assert "four is unlucky" in response.json["error"]
    # -1 names an unmapped task on the same route.
    load = _get(mapped_webui, f"{mapped.run_id}/taskInstances/load/-1")
    assert (load.status_code, load.json["map_index"]) == (200, -1)


def test_a_mapped_task_without_map_index_is_a_404_asking_for_one(
    mapped_webui: WebUI, mapped: MappedSeed
) -> None:
    response = _get(mapped_webui, f"{mapped.run_id}/taskInstances/square")
    assert response.status_code == 404
    assert response.json["field"] == "map_index"
    assert "mapped into 6 instances" in response.json["error"]
    assert "{map_index}" in response.json["error"] and "listMapped" in response.json["error"]


@pytest.mark.parametrize(
    ("segment", "status", "words"),
    [
        ("abc", 400, "not an integer"),
        ("1.5", 400, "not an integer"),
        ("-2", 400, "out of range"),
        ("99999999999", 400, "out of range"),
        ("6", 404, "no mapped instance 6; its map indexes are 0..5"),
    ],
)
def test_a_bad_map_index_is_a_4xx(
    mapped_webui: WebUI, mapped: MappedSeed, segment: str, status: int, words: str
) -> None:
    response = _get(mapped_webui, f"{mapped.run_id}/taskInstances/square/{segment}")
    assert response.status_code == status
    assert response.json["field"] == "map_index"
    assert words in response.json["error"]


def test_a_map_index_on_an_unmapped_task_is_a_404(mapped_webui: WebUI, mapped: MappedSeed) -> None:
    response = _get(mapped_webui, f"{mapped.run_id}/taskInstances/load/0")
    assert response.status_code == 404
    assert "is not mapped" in response.json["error"]


def test_logs_per_map_index(mapped_webui: WebUI, mapped: MappedSeed) -> None:
    path = f"{mapped.run_id}/taskInstances/square/logs"
    three = _get(mapped_webui, path, map_index=3)
    assert three.status_code == 200
    assert "squaring 3" in three.json["content"] and "squaring 2" not in three.json["content"]
    missing = _get(mapped_webui, path)
    assert missing.status_code == 404 and missing.json["field"] == "map_index"
    assert "?map_index=" in missing.json["error"]
    bad = _get(mapped_webui, path, map_index="x")
    assert bad.status_code == 400 and bad.json["field"] == "map_index"
    beyond = _get(mapped_webui, path, map_index=7)
    assert beyond.status_code == 404 and "0..5" in beyond.json["error"]


def test_xcom_entries_of_every_instance_or_one(mapped_webui: WebUI, mapped: MappedSeed) -> None:
    path = f"{mapped.run_id}/taskInstances/square/xcomEntries"
    every = _get(mapped_webui, path)
    assert every.status_code == 200
    values = {(x["map_index"], x["value"]) for x in every.json["xcom_entries"]}
    assert values == {(0, 0), (1, 1), (2, 4), (3, 9), (5, 25)}  # 4 failed: no return value
    one = _get(mapped_webui, path, map_index=5)
    assert [(x["map_index"], x["key"], x["value"]) for x in one.json["xcom_entries"]] == [
        (5, "return_value", 25)
    ]
    assert _get(mapped_webui, path, map_index=9).status_code == 404


def test_patch_marks_one_instance(mapped_webui: WebUI, mapped: MappedSeed) -> None:
    client = mapped_webui.client()
    url = f"{PREFIX}/{mapped.run_id}/taskInstances/square/4"
    viewer = client.patch(url, json={"new_state": "success"}, headers=mapped_webui.bearer("Viewer"))
    assert viewer.status_code == 403
    response = client.patch(url, json={"new_state": "success"}, headers=mapped_webui.bearer("Op"))
    assert response.status_code == 200
    assert (response.json["map_index"], response.json["state"]) == (4, "success")
    states = {
        ti.map_index: ti.state
        for ti in api.list_mapped_instances(
            mapped_webui.settings, "demo_map", mapped.run_id, "square"
        )
    }
    assert states == dict.fromkeys(range(6), "success")
    whole = client.patch(
        f"{PREFIX}/{mapped.run_id}/taskInstances/square",
        json={"new_state": "failed"},
        headers=mapped_webui.bearer("Op"),
    )
    assert whole.status_code == 404 and whole.json["field"] == "map_index"
    bad = client.patch(
        f"{url[:-1]}x", json={"new_state": "failed"}, headers=mapped_webui.bearer("Op")
    )
    assert bad.status_code == 400


def test_clear_takes_task_id_and_map_index_pairs(mapped_webui: WebUI, mapped: MappedSeed) -> None:
    client = mapped_webui.client()
    body = {"dag_run_id": mapped.run_id, "task_ids": [["square", 4], ["square", 2]]}
    response = client.post(
        "/api/v1/dags/demo_map/clearTaskInstances", json=body, headers=mapped_webui.bearer("Op")
    )
    assert response.status_code == 200, response.json
    assert {r["task_id"] for r in response.json["task_instances"]} == {"square"}
    states = {
        ti.map_index: ti.state
        for ti in api.list_mapped_instances(
            mapped_webui.settings, "demo_map", mapped.run_id, "square"
        )
    }
    assert states == {0: "success", 1: "success", 2: "none", 3: "success", 4: "none", 5: "success"}


@pytest.mark.parametrize(
    "task_ids",
    [
        [["square"]],
        [["square", -1]],
        [["square", "1"]],
        [["square", True]],
        [["", 1]],
        [3],
        ["square", ["square", 1]],
    ],
)
def test_clear_refuses_malformed_pairs(
    mapped_webui: WebUI, mapped: MappedSeed, task_ids: list
) -> None:
    body = {"dag_run_id": mapped.run_id, "task_ids": task_ids}
    response = mapped_webui.client().post(
        "/api/v1/dags/demo_map/clearTaskInstances", json=body, headers=mapped_webui.bearer("Op")
    )
    assert response.status_code == 400
    assert response.json["field"] == "task_ids"


def test_clear_of_a_missing_instance_is_a_404(mapped_webui: WebUI, mapped: MappedSeed) -> None:
    body = {"dag_run_id": mapped.run_id, "task_ids": [["square", 9]]}
    response = mapped_webui.client().post(
        "/api/v1/dags/demo_map/clearTaskInstances", json=body, headers=mapped_webui.bearer("Op")
    )
    assert response.status_code == 404
    assert "9" in response.json["error"]


def test_event_log_entries_have_map_index(mapped_webui: WebUI, mapped: MappedSeed) -> None:
    response = mapped_webui.client().get(
        "/api/v1/eventLogs",
        headers=mapped_webui.bearer("Viewer"),
        query_string={"task_id": "square", "limit": 1000},
    )
    assert response.status_code == 200
    indexes = {e["map_index"] for e in response.json["event_logs"]}
    assert {0, 5} <= indexes
