"""The grid's data (grid.json: runs with durations and explanations, each row's cells) and
the REST calls its details panel makes: a task instance with its rendered fields, its
tries, clear with upstream / downstream / recursive, and the run actions (mark, clear,
delete)."""

from __future__ import annotations

from urllib.parse import quote

from scheduler import api
from tests.webui.conftest import BatonClient, WebUI

V1 = "/api/v1"


def test_grid_json_has_every_run_and_cell(viewer_client: BatonClient, seed) -> None:
    data = viewer_client.get("/dags/demo_etl/grid.json").get_json()
    # Oldest logical date on the left: the queued run is dated 2026-02-01, the other today.
    assert [r["run_id"] for r in data["runs"]] == ["queued_run", seed.success_run]
    queued, done = data["runs"]
    assert done["state"] == "success" and done["duration"] > 0 and done["bar_px"] == 56
    assert queued["state"] == "queued" and queued["duration"] is None
    assert data["active"] is True  # the queued run is not finished
    assert [t["px"] for t in data["ticks"]] == [56, 28]
    assert data["tasks"]["extract"][seed.success_run] == {"state": "success", "try_number": 1}
    assert data["tasks"]["load"]["queued_run"]["state"] == "none"
    assert done["explanation"] is None
    assert viewer_client.get("/dags/nope/grid.json").status_code == 404


def test_grid_page_has_the_duration_scale_dates_and_panel(viewer_client: BatonClient, seed) -> None:
    html = viewer_client.get("/dags/demo_etl/grid").get_data(as_text=True)
    assert '<th class="scale" title="run duration"><span class="tick" style="bottom: 56px">' in html
    assert f'data-run-id="{seed.success_run}"><a class="bar s-success" style="height: 56px"' in html
    assert 'class="dates"' in html and 'id="details"' in html
    assert '<script src="/static/grid.js"' in html
    assert 'data-json-url="/dags/demo_etl/grid.json"' in html


def test_a_grid_without_runs_still_draws_its_rows(webui: WebUI, viewer_client) -> None:
    for run in api.list_runs(webui.settings, "demo_fail"):
        api.delete_run(webui.settings, "demo_fail", run.run_id)
    html = viewer_client.get("/dags/demo_fail/grid").get_data(as_text=True)
    assert 'id="no-runs"' in html and 'id="grid-table"' in html
    assert '<tr data-task-id="boom">' in html and 'class="bar s-' not in html
    assert viewer_client.get("/dags/demo_fail/grid.json").get_json()["runs"] == []


def test_a_failed_run_with_consistent_tasks_has_no_explanation(viewer_client, seed) -> None:
    data = viewer_client.get("/dags/demo_fail/grid.json").get_json()
    assert [r["explanation"] for r in data["runs"]] == [None]
    assert data["active"] is False


def test_the_panel_reads_rendered_fields_and_tries(viewer_client: BatonClient, seed) -> None:
    run = quote(seed.success_run, safe="")
    base = f"{V1}/dags/demo_etl/dagRuns/{run}/taskInstances/load"
    ti = viewer_client.get(base).get_json()
    assert ti["state"] == "success"
    assert ti["rendered_fields"] == {"bash_command": "'echo loading done'"}  # as logged
    queued = viewer_client.get(f"{V1}/dags/demo_etl/dagRuns/queued_run/taskInstances/load")
    assert queued.get_json()["rendered_fields"] == {}
    tries = viewer_client.get(f"{base}/tries").get_json()
    assert tries["total_entries"] == 1
    [first] = tries["task_instances"]
    assert (first["try_number"], first["state"], first["task_id"]) == (1, "success", "load")
    assert first["duration"] is not None and first["start_date"]
    missing = viewer_client.get(f"{V1}/dags/demo_etl/dagRuns/{run}/taskInstances/nope/tries")
    assert missing.status_code == 404 and missing.get_json()["field"] == "task_id"


def test_clear_with_upstream_and_without_downstream(webui: WebUI, op_client) -> None:
    run = webui.seed.success_run
    body = {"dag_run_id": run, "task_ids": ["transform"], "include_upstream": True}
    response = op_client.json_call("POST", f"{V1}/dags/demo_etl/clearTaskInstances", body)
    assert response.status_code == 200, response.get_json()
    cleared = sorted(t["task_id"] for t in response.get_json()["task_instances"])
    assert cleared == ["extract", "transform"]  # upstream, not downstream (load)
    states = {
        ti.task_id: ti.state for ti in api.list_task_instances(webui.settings, "demo_etl", run)
    }
    assert states["load"] == "success" and states["extract"] != "success"
    bad = op_client.json_call(
        "POST",
        f"{V1}/dags/demo_etl/clearTaskInstances",
        {"dag_run_id": run, "task_ids": ["load"], "recursive": "yes"},
    )
    assert bad.status_code == 400 and bad.get_json()["field"] == "recursive"


def test_clear_not_recursive_clears_only_this_dag(webui: WebUI, op_client) -> None:
    run = webui.seed.success_run
    body = {"dag_run_id": run, "task_ids": ["load"], "recursive": False, "include_downstream": True}
    response = op_client.json_call("POST", f"{V1}/dags/demo_etl/clearTaskInstances", body)
    assert [t["task_id"] for t in response.get_json()["task_instances"]] == ["load"]


def test_run_actions_mark_clear_and_delete(webui: WebUI, op_client, viewer_client) -> None:
    run = quote(webui.seed.failed_run, safe="")
    url = f"{V1}/dags/demo_fail/dagRuns/{run}"
    refused = viewer_client.json_call("PATCH", url, {"state": "success"})
    assert refused.status_code == 403
    bad = op_client.json_call("PATCH", url, {"state": "running"})
    assert bad.status_code == 400 and bad.get_json()["field"] == "state"
    marked = op_client.json_call("PATCH", url, {"state": "success"})
    assert marked.status_code == 200, marked.get_json()
    assert marked.get_json()["state"] == "success"
    cleared = op_client.json_call("POST", f"{url}/clear", {"only_failed": False})
    assert sorted(t["task_id"] for t in cleared.get_json()["task_instances"]) == ["after", "boom"]
    # An unfinished run cannot be deleted (the scheduler still holds it); a finished one can.
    busy = op_client.json_call("DELETE", f"{V1}/dags/demo_etl/dagRuns/queued_run")
    assert busy.status_code == 409 and busy.get_json()["field"] == "dag_run_id"
    done = f"{V1}/dags/demo_etl/dagRuns/{quote(webui.seed.success_run, safe='')}"
    assert op_client.json_call("DELETE", done).status_code == 204
    assert viewer_client.get(done).status_code == 404
    assert op_client.json_call("DELETE", done).status_code == 404


def test_cell_links_match_url_for(webui: WebUI) -> None:
    from flask import url_for

    from webui.views.grid_data import cell_links

    odd = [("manual__2026-01-01T00:00:00+00:00", "a.b"), ("r x/ü%?#", "t&<>\"'"), ("RUN_", "TASK_")]
    with webui.app.test_request_context():
        for endpoint in ("tasks.task_instance", "mapped.instances"):
            link = cell_links(endpoint, "d/ag x")
            for run_id, task_id in odd:
                expected = url_for(endpoint, dag_id="d/ag x", run_id=run_id, task_id=task_id)
                assert link(run_id, task_id) == expected
