"""The DAG list: filters, run summaries, the import errors banner, pagination, pause."""

from __future__ import annotations

from scheduler import api
from scheduler.store.db import transaction
from scheduler.store.events import list_events
from webui.queries import dags as dag_queries


def test_list_shows_every_dag_with_its_runs_and_success_rate(viewer_client, seed) -> None:
    page = viewer_client.get("/dags")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for dag_id in seed.dag_ids:
        assert f'data-dag-id="{dag_id}"' in html
    assert "extract, transform, load" in html  # description
    assert f'title="{seed.failed_run}: failed"' in html  # a recent-run mark
    assert "0%" in html  # demo_fail: no run succeeded


def test_home_page_is_the_dag_list(viewer_client) -> None:
    assert 'id="dag-table"' in viewer_client.get("/").get_data(as_text=True)


def test_search_and_tag_filters(viewer_client) -> None:
    html = viewer_client.get("/dags?search=ETL").get_data(as_text=True)
    assert 'data-dag-id="demo_etl"' in html and 'data-dag-id="demo_fail"' not in html
    html = viewer_client.get("/dags?tag=example").get_data(as_text=True)
    assert 'data-dag-id="demo_etl"' in html and 'data-dag-id="demo_fail"' not in html
    html = viewer_client.get("/dags?search=nothing-like-this").get_data(as_text=True)
    assert "No DAG matches" in html


def test_banner_links_to_import_errors(viewer_client) -> None:
    html = viewer_client.get("/dags").get_data(as_text=True)
    assert 'data-testid="import-error-banner"' in html
    errors = viewer_client.get("/import-errors").get_data(as_text=True)
    assert "demo_broken.py" in errors


def test_pagination_splits_the_list(webui) -> None:
    with transaction(api.read_database(webui.settings)) as session:
        page, _ = dag_queries.dag_list(session, dag_queries.DagListFilters(), 1, 1)
        page2, _ = dag_queries.dag_list(session, dag_queries.DagListFilters(), "2", 1)
    assert [d.dag_id for d in [*page.rows, *page2.rows]] == ["demo_etl", "demo_fail"]
    assert (page.pages, page.has_next, page2.has_prev, page2.has_next) == (2, True, True, False)


def test_op_pauses_and_unpauses_with_an_event(op_client, webui) -> None:
    response = op_client.submit("/dags/demo_etl/pause", {"is_paused": "false", "next": "/dags"})
    assert response.status_code == 302 and response.headers["Location"] == "/dags"
    assert api.get_dag(webui.settings, "demo_etl").is_paused is False
    op_client.submit("/dags/demo_etl/pause", {"is_paused": "true"})
    assert api.get_dag(webui.settings, "demo_etl").is_paused is True
    with transaction(api.database(webui.settings)) as session:
        events = list_events(session, dag_id="demo_etl")
    assert [e.event for e in events][:2] == ["pause", "unpause"]
    assert events[0].source == "webui:operator"


def test_pause_needs_op_and_csrf(viewer_client, op_client, webui) -> None:
    before = api.get_dag(webui.settings, "demo_etl").is_paused
    change = {"is_paused": "false" if before else "true"}
    assert viewer_client.submit("/dags/demo_etl/pause", change).status_code == 403
    assert op_client.post("/dags/demo_etl/pause", data=change).status_code == 403
    assert api.get_dag(webui.settings, "demo_etl").is_paused is before


def test_pause_redirect_never_leaves_the_site(op_client) -> None:
    response = op_client.submit(
        "/dags/demo_etl/pause", {"is_paused": "true", "next": "//evil.example/"}
    )
    assert response.headers["Location"] == "/dags"


def test_viewer_sees_no_trigger_or_toggle_forms(viewer_client) -> None:
    html = viewer_client.get("/dags").get_data(as_text=True)
    assert "/trigger" not in html and 'action="/dags/demo_etl/pause"' not in html
