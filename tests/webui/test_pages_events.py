"""The event log page: filters and paging by id; every user action made in the UI is there."""

from __future__ import annotations

from scheduler import api
from scheduler.store.db import transaction
from webui.queries.events import EventFilters, events


def test_event_log_lists_state_changes_with_links(viewer_client, seed) -> None:
    html = viewer_client.get("/events?dag_id=demo_fail").get_data(as_text=True)
    assert "task_state" in html and "run_state" in html
    assert "this task always fails" in html  # the error, as the detail
    assert "demo_etl" not in html.split('data-testid="events"')[1]


def test_filters_by_event_type_and_task(viewer_client) -> None:
    html = viewer_client.get("/events?dag_id=demo_fail&task_id=boom&event=task_state").get_data(
        as_text=True
    )
    rows = html.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<tr>") >= 2 and "run_state" not in rows and ">after<" not in rows


def test_ui_actions_are_logged_with_the_user(op_client, webui) -> None:
    op_client.submit("/dags/demo_fail/pause", {"is_paused": "false"})
    html = op_client.get("/events?event=unpause").get_data(as_text=True)
    assert "webui:operator" in html


def test_paging_by_id_walks_back_through_the_log(webui) -> None:
    with transaction(api.read_database(webui.settings)) as session:
        everything, _ = events(session, EventFilters(), None, limit=10_000)
        first, older = events(session, EventFilters(), None, limit=3)
        second, _ = events(session, EventFilters(), older, limit=3)
    assert [e.id for e in first + second] == [e.id for e in everything[:6]]


def test_older_link_and_empty_result(viewer_client, webui) -> None:
    for i in range(55):
        api.record_event(webui.settings, "test_event", "test", detail=f"event {i}")
    html = viewer_client.get("/events?event=test_event").get_data(as_text=True)
    assert "event 54" in html and "event 4<" not in html
    older = html.split('data-testid="older-events"')[0].rsplit('href="', 1)[1].split('"')[0]
    html = viewer_client.get(older.replace("&amp;", "&")).get_data(as_text=True)
    assert "event 4<" in html and "event 54" not in html
    assert 'data-testid="older-events"' not in html
    html = viewer_client.get("/events?dag_id=no_such_dag").get_data(as_text=True)
    assert "No event matches" in html
