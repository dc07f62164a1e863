"""The run page (/dags/<dag_id>/runs/<run_id>): what it shows, the links to it, and the run
actions (clear, mark, delete) with their role checks, CSRF refusals and events."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from scheduler import api
from scheduler.store.db import transaction
from scheduler.store.models import task_instance_table, task_try_table, xcom_table
from tests.webui.conftest import CONF_SECRET, BatonClient, WebUI


def _url(dag_id: str, run_id: str) -> str:
    return f"/dags/{dag_id}/runs/{run_id}"


def _states(webui: WebUI, dag_id: str, run_id: str) -> dict[str, str]:
    return {ti.task_id: ti.state for ti in api.list_task_instances(webui.settings, dag_id, run_id)}


def test_run_page_shows_state_trigger_conf_gantt_tasks_and_events(
    webui: WebUI, viewer_client: BatonClient
) -> None:
    page = viewer_client.get(_url("demo_etl", webui.seed.success_run))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="run-gantt"' in html
    assert re.search(r'data-testid="run-tasks".*extract.*transform.*load', html, re.S)
    assert "run_state" in html  # the event log slice
    assert "seeded" in html and CONF_SECRET not in html  # conf shown, its password masked
    assert 'data-testid="run-actions"' not in html  # a Viewer sees no actions


def test_run_page_names_the_user_who_triggered_it(admin_client: BatonClient) -> None:
    api_run = admin_client.submit("/dags/demo_etl/trigger", {"run_id": "by_admin", "conf": "{}"})
    assert api_run.status_code in (200, 302), api_run.get_data(as_text=True)
    html = admin_client.get(_url("demo_etl", "by_admin")).get_data(as_text=True)
    assert "user &#39;admin&#39; (web UI or REST API)" in html
    assert "manual" in html


def test_unknown_run_is_a_styled_404(viewer_client: BatonClient) -> None:
    page = viewer_client.get(_url("demo_etl", "no_such_run"))
    assert page.status_code == 404
    html = page.get_data(as_text=True)
    assert "DAG &#39;demo_etl&#39; has no run &#39;no_such_run&#39;" in html
    assert 'class="topbar"' in html


def test_runs_lists_and_task_page_link_to_the_run_page(
    webui: WebUI, viewer_client: BatonClient
) -> None:
    queued = f'href="{_url("demo_etl", "queued_run")}"'
    for url in ("/runs", "/dags/demo_etl/runs", "/dags", "/events?run_id=queued_run"):
        assert queued in viewer_client.get(url).get_data(as_text=True), url
    run_id = webui.seed.success_run
    task_page = viewer_client.get(f"/dags/demo_etl/runs/{run_id}/tasks/extract/")
    assert re.search(r'href="/dags/demo_etl/runs/test__[^"/]+"', task_page.get_data(as_text=True))


def test_viewer_cannot_act_on_a_run(webui: WebUI, viewer_client: BatonClient) -> None:
    run_id = webui.seed.failed_run
    for action, data in (("clear", {}), ("mark", {"state": "success"}), ("delete", {})):
        response = viewer_client.submit(f"{_url('demo_fail', run_id)}/{action}", data)
        assert response.status_code == 403, action
    assert api.get_run(webui.settings, "demo_fail", run_id).state == "failed"


def test_run_actions_need_the_csrf_token(webui: WebUI, op_client: BatonClient) -> None:
    run_id = webui.seed.failed_run
    response = op_client.post(f"{_url('demo_fail', run_id)}/delete", data={})
    assert response.status_code == 403
    assert "CSRF" in response.get_data(as_text=True)
    assert api.get_run(webui.settings, "demo_fail", run_id).state == "failed"


def test_clear_only_failed_reruns_the_failed_tasks(webui: WebUI, op_client: BatonClient) -> None:
    run_id = webui.seed.failed_run
    response = op_client.submit(
        f"{_url('demo_fail', run_id)}/clear", {"only_failed": "on"}, follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "Cleared 2 task(s): boom, after" in html
    states = {
        ti.task_id: ti.state for ti in api.list_task_instances(webui.settings, "demo_fail", run_id)
    }
    assert states == {"boom": "none", "after": "none"}
    assert api.get_run(webui.settings, "demo_fail", run_id).state == "queued"


def test_mark_success_sets_the_unsuccessful_tasks_and_logs_the_user(
    webui: WebUI, op_client: BatonClient
) -> None:
    run_id = webui.seed.failed_run
    response = op_client.submit(
        f"{_url('demo_fail', run_id)}/mark", {"state": "success"}, follow_redirects=True
    )
    assert "2 task instance(s) set success" in response.get_data(as_text=True)
    states = {
        ti.task_id: ti.state for ti in api.list_task_instances(webui.settings, "demo_fail", run_id)
    }
    assert states == {"boom": "success", "after": "success"}
    events = api.events_page(
        webui.settings, filters={"run_id": run_id, "event": "user_action"}, limit=10, offset=0
    ).rows
    assert any(e.source == "webui:operator" and "run marked success" in e.detail for e in events)


def test_mark_failed_of_a_finished_run_with_nothing_unfinished_sets_the_run(
    webui: WebUI, op_client: BatonClient
) -> None:
    run_id = webui.seed.success_run
    op_client.submit(f"{_url('demo_etl', run_id)}/mark", {"state": "failed"})
    assert api.get_run(webui.settings, "demo_etl", run_id).state == "failed"


def test_mark_refuses_other_states(webui: WebUI, op_client: BatonClient) -> None:
    run_id = webui.seed.success_run
    response = op_client.submit(
        f"{_url('demo_etl', run_id)}/mark", {"state": "running"}, follow_redirects=True
    )
    assert "a run can be marked success or failed, not &#39;running&#39;" in response.get_data(
        as_text=True
    )
    assert api.get_run(webui.settings, "demo_etl", run_id).state == "success"


def test_delete_removes_a_finished_run_and_refuses_an_active_one(
    webui: WebUI, op_client: BatonClient
) -> None:
    refused = op_client.submit(
        f"{_url('demo_etl', webui.seed.queued_run)}/delete", follow_redirects=True
    )
    assert "mark it failed (or wait for it to finish) before deleting it" in refused.get_data(
        as_text=True
    )
    run_id = webui.seed.failed_run
    done = op_client.submit(f"{_url('demo_fail', run_id)}/delete", follow_redirects=True)
    assert f"Deleted run &#39;{run_id}&#39;" in done.get_data(as_text=True)
    assert op_client.get(_url("demo_fail", run_id)).status_code == 404
    with transaction(api.database(webui.settings)) as session:
        for table in (task_instance_table, task_try_table, xcom_table):
            left = session.scalar(
                select(func.count()).select_from(table).where(table.c.run_id == run_id)
            )
            assert left == 0, table.name
    events = api.events_page(
        webui.settings, filters={"run_id": run_id, "event": "user_action"}, limit=10, offset=0
    ).rows
    assert any("run deleted (it was failed)" in (e.detail or "") for e in events)


def test_a_run_whose_state_its_tasks_do_not_explain_says_why(
    webui: WebUI, op_client: BatonClient
) -> None:
    run_id = webui.seed.success_run
    assert 'data-testid="run-explanation"' not in op_client.get(_url("demo_etl", run_id)).get_data(
        as_text=True
    )
    op_client.submit(f"{_url('demo_etl', run_id)}/mark", {"state": "failed"})
    html = op_client.get(_url("demo_etl", run_id)).get_data(as_text=True)
    assert 'data-testid="run-explanation"' in html


def test_graph_and_gantt_pickers_link_to_the_run_page(viewer_client: BatonClient) -> None:
    for tab in ("graph", "gantt"):
        html = viewer_client.get(f"/dags/demo_etl/{tab}?run_id=queued_run").get_data(as_text=True)
        assert f'href="{_url("demo_etl", "queued_run")}" data-testid="run-page-link"' in html, tab
