"""A DAG's tabs: grid, graph (and its live JSON), Gantt, code, run history, details."""

from __future__ import annotations

from urllib.parse import quote

from flask import url_for

from scheduler import api
from scheduler.store.db import transaction
from webui.queries import runs as run_queries


def url(webui, endpoint: str, **values: str) -> str:
    with webui.app.test_request_context():
        return url_for(endpoint, **values)


def test_grid_has_a_cell_per_task_and_run_linking_to_the_task(viewer_client, webui, seed) -> None:
    html = viewer_client.get("/dags/demo_etl/grid").get_data(as_text=True)
    link = url(
        webui, "tasks.task_instance", dag_id="demo_etl", run_id=seed.success_run, task_id="extract"
    )
    assert f'href="{link}"' in html
    assert html.count('class="s-success" href="/dags/demo_etl/runs/') == 3
    assert 'class="s-none" href="/dags/demo_etl/runs/queued_run/tasks/load/"' in html


def test_graph_colours_tasks_by_the_chosen_run(viewer_client, seed) -> None:
    url = f"/dags/demo_fail/graph?run_id={quote(seed.failed_run)}"
    html = viewer_client.get(url).get_data(as_text=True)
    assert '<g class="node st-failed" data-task-id="boom">' in html
    assert '<g class="node st-upstream_failed" data-task-id="after">' in html
    assert 'data-states-url="/dags/demo_fail/runs/' in html
    assert '<script src="/static/graph.js"' in html


def test_graph_defaults_to_the_run_with_the_latest_logical_date(viewer_client, seed) -> None:
    html = viewer_client.get("/dags/demo_etl/graph").get_data(as_text=True)
    assert f'<option value="{seed.success_run}" selected>' in html
    assert '<g class="node st-success" data-task-id="extract">' in html
    html = viewer_client.get("/dags/demo_etl/graph?run_id=queued_run").get_data(as_text=True)
    assert '<g class="node st-none" data-task-id="extract">' in html


def test_states_json_reports_each_task(viewer_client, seed) -> None:
    run = quote(seed.failed_run, safe="")
    data = viewer_client.get(f"/dags/demo_fail/runs/{run}/states.json").get_json()
    assert data["state"] == "failed" and data["finished"] is True
    boom = data["tasks"]["boom"]
    assert {k: boom[k] for k in ("state", "try_number")} == {"state": "failed", "try_number": 1}
    if "start_date" in boom:  # a started task: the graph shows its duration
        assert boom["duration"] is None or boom["duration"] >= 0
    assert viewer_client.get("/dags/demo_fail/runs/nope/states.json").status_code == 404


def test_gantt_draws_one_bar_per_try(viewer_client, seed) -> None:
    html = viewer_client.get(f"/dags/demo_etl/gantt?run_id={quote(seed.success_run)}").get_data(
        as_text=True
    )
    assert html.count('<g class="try st-success"') == 3
    html = viewer_client.get("/dags/demo_etl/gantt?run_id=queued_run").get_data(as_text=True)
    assert "No task of this run has started yet" in html


def test_code_is_highlighted_and_escaped(viewer_client) -> None:
    html = viewer_client.get("/dags/demo_etl/code").get_data(as_text=True)
    assert 'class="highlight"' in html
    assert "demo_etl" in html and "<span" in html
    assert "def _extract(ti=None)" not in html  # tokens are wrapped in spans...
    assert "_extract" in html  # ...but every word is there


def test_run_history_filters_by_state_and_date(viewer_client, seed) -> None:
    html = viewer_client.get("/dags/demo_etl/runs?state=queued").get_data(as_text=True)
    assert "queued_run" in html and seed.success_run not in html
    html = viewer_client.get("/dags/demo_etl/runs?since=2026-02-01&until=2026-02-01").get_data(
        as_text=True
    )
    assert "queued_run" in html and seed.success_run not in html
    html = viewer_client.get("/dags/demo_etl/runs?state=bogus&since=not-a-date").get_data(
        as_text=True
    )
    assert "queued_run" in html and seed.success_run in html  # bad filters are ignored


def test_all_runs_page_lists_every_dag(viewer_client, seed) -> None:
    html = viewer_client.get("/runs").get_data(as_text=True)
    assert seed.failed_run in html and "queued_run" in html
    html = viewer_client.get("/runs?dag_id=demo_fail").get_data(as_text=True)
    assert seed.failed_run in html and "queued_run" not in html


def test_details_show_params_and_tasks(viewer_client) -> None:
    html = viewer_client.get("/dags/demo_etl/details").get_data(as_text=True)
    assert "&#34;region&#34;: &#34;eu&#34;" in html
    assert "PythonOperator" in html and "BashOperator" in html


def test_unknown_dag_or_run_is_a_404_page_saying_what_is_missing(viewer_client) -> None:
    for url in ("/dags/nope/grid", "/dags/nope/graph", "/dags/demo_etl/graph?run_id=nope"):
        response = viewer_client.get(url)
        assert response.status_code == 404
        assert "nope" in response.get_data(as_text=True)


def test_grid_query_returns_latest_runs_oldest_first(webui, seed) -> None:
    with transaction(api.read_database(webui.settings)) as session:
        grid = run_queries.grid(session, "demo_etl", limit=1)
    assert [r.run_id for r in grid.runs] == [seed.success_run]
