"""Mapped task instances in the web UI: the grid's aggregate cell with its counts, the list
of a run's instances (paged, filtered), one instance's page by ``?map_index=`` (its tries,
XCom and log), the graph's "[n]" node, clear and mark of one instance."""

from __future__ import annotations

import html
import re
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from sqlalchemy import insert

from scheduler import api
from scheduler.store.db import transaction
from scheduler.store.models import task_instance_table, task_try_table
from tests.webui.conftest import WebUI
from tests.webui.mapped_seed import MappedSeed


def _url(mapped: MappedSeed, tail: str = "") -> str:
    return f"/dags/demo_map/runs/{mapped.run_id}/tasks/square/{tail}"


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_grid_shows_a_mapped_cell_with_its_counts(
    mapped_webui: WebUI, mapped: MappedSeed
) -> None:
    page = mapped_webui.client("Viewer").get("/dags/demo_map/grid")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    cells = re.findall(r'<a class="s-(\w+) mapped" href="([^"]+)" data-map-count="(\d+)"', body)
    assert len(cells) == 1  # the queued run's square is not expanded yet
    state, href, count = cells[0]
    assert (state, count) == ("failed", "6")
    assert href == _url(mapped, "mapped")
    assert "square in " + mapped.run_id + ": success 5/6, failed 1" in html.unescape(body)
    # The unexpanded square of the queued run is an ordinary cell; the row says it is mapped.
    assert "[ ]" in body


def test_the_instances_list_shows_each_instance(mapped_webui: WebUI, mapped: MappedSeed) -> None:
    page = mapped_webui.client("Viewer").get(_url(mapped, "mapped"))
    assert page.status_code == 200
    body = _text(page)
    assert "success 5/6, failed 1" in body
    rows = re.findall(r'<tr data-map-index="(\d+)">(.*?)</tr>', body, re.S)
    assert [int(i) for i, _ in rows] == list(range(6))
    assert "s-failed" in rows[4][1] and "four is unlucky" in rows[4][1]
    assert f'{_url(mapped)}?map_index=3"' in body
    failed = _text(mapped_webui.client("Viewer").get(_url(mapped, "mapped?state=failed")))
    assert re.findall(r'<tr data-map-index="(\d+)">', failed) == ["4"]


def test_the_instances_list_pages_10000_instances_fast(mapped_webui: WebUI) -> None:
    """A run with 10,000 instances: the grid, the list's last page and the graph answer
    without loading them all (each well under a second here)."""
    run = api.trigger_dag(mapped_webui.settings, "demo_map", run_id="big")
    with transaction(api.database(mapped_webui.settings)) as session:
        rows = [
            {
                "dag_run_id": run.id,
                "dag_id": "demo_map",
                "run_id": "big",
                "task_id": "square",
                "map_index": i,
                "state": "failed" if i % 1000 == 7 else "success",
                "try_number": 1,
                "max_tries": 1,
                "priority_weight": 1,
                "operator": "@task",
                "start_date": datetime(2026, 3, 1, tzinfo=UTC),
            }
            for i in range(10_000)
        ]
        session.execute(
            task_instance_table.delete().where(
                task_instance_table.c.dag_run_id == run.id,
                task_instance_table.c.task_id == "square",
            )
        )
        session.execute(insert(task_instance_table), rows)
        started = datetime(2026, 3, 1, tzinfo=UTC)
        tries = [
            {
                "dag_id": "demo_map",
                "run_id": "big",
                "task_id": "square",
                "map_index": i,
                "try_number": 1,
                "kind": "task",
                "state": rows[i]["state"],
                "queued_at": started,
                "start_date": started + timedelta(milliseconds=i),
                "end_date": started + timedelta(milliseconds=i + 5),
            }
            for i in range(10_000)
        ]
        session.execute(insert(task_try_table), tries)
    client = mapped_webui.client("Viewer")
    for url in (
        "/dags/demo_map/grid",
        "/dags/demo_map/runs/big/tasks/square/mapped?page=100",
        "/dags/demo_map/graph?run_id=big",
        "/dags/demo_map/gantt?run_id=big",
        "/dags/demo_map/runs/big/states.json",
    ):
        started = time.monotonic()
        response = client.get(url)
        assert response.status_code == 200, url
        assert time.monotonic() - started < 1.0, url
    last = _text(client.get("/dags/demo_map/runs/big/tasks/square/mapped?page=100"))
    assert "9901\u201310000 of 10000" in last
    assert "success 9990/10000, failed 10" in last
    gantt = client.get("/dags/demo_map/gantt?run_id=big").get_data(as_text=True)
    # One bar for the mapped task's try 1 (its instances' span), not 10,000.
    assert len(re.findall(r'data-task-id="square"', gantt)) == 1
    assert re.search(r'class="try st-failed" data-task-id="square" data-try="1"', gantt)
    states = client.get("/dags/demo_map/runs/big/states.json").get_json()
    assert states["tasks"]["square"]["state"] == "failed"
    assert states["tasks"]["square"]["map_count"] == 10_000


def test_one_instance_page_has_its_tries_xcom_and_log(
    mapped_webui: WebUI, mapped: MappedSeed
) -> None:
    client = mapped_webui.client("Op")  # sees the clear and mark forms too
    page = client.get(_url(mapped, "?map_index=3"))
    assert page.status_code == 200
    body = _text(page)
    assert 'data-testid="map-index">[3]' in body
    assert "squaring 3" in body and "squaring 2" not in body
    assert re.search(r'data-testid="xcoms">.*return_value.*<pre class="json">9</pre>', body, re.S)
    assert "6 mapped instances" in body and "success 5/6, failed 1" in body
    assert '<input type="hidden" name="map_index" value="3">' in body
    assert "?map_index=3&try=1" in body  # the try links keep the instance
    log_url = re.search(r'data-log-url="([^"]+)"', body).group(1)
    assert "map_index=3" in log_url
    chunk = client.get(log_url).get_json()
    assert "squaring 3" in chunk["text"] and chunk["state"] == "success"
    failed = _text(client.get(_url(mapped, "?map_index=4")))
    assert "four is unlucky" in failed and "s-failed" in failed


def test_a_mapped_task_without_map_index_goes_to_its_instances(
    mapped_webui: WebUI, mapped: MappedSeed
) -> None:
    response = mapped_webui.client("Viewer").get(_url(mapped))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(_url(mapped, "mapped"))
    # The queued run's square is not expanded: its page is its single (-1) instance.
    queued = mapped_webui.client("Viewer").get(
        f"/dags/demo_map/runs/{mapped.queued_run}/tasks/square/"
    )
    assert queued.status_code == 200
    listing = _text(
        mapped_webui.client("Viewer").get(
            f"/dags/demo_map/runs/{mapped.queued_run}/tasks/square/mapped"
        )
    )
    assert "not expanded" in listing


def test_a_bad_or_missing_map_index_is_an_error_page(
    mapped_webui: WebUI, mapped: MappedSeed
) -> None:
    client = mapped_webui.client("Viewer")
    for bad in ("x", "-5", "1.5"):
        response = client.get(_url(mapped, f"?map_index={bad}"))
        assert response.status_code == 400, bad
        assert "is not a map index" in _text(response)
    missing = client.get(_url(mapped, "?map_index=6"))
    assert missing.status_code == 404
    assert "0..5" in _text(missing)
    assert client.get(_url(mapped, "log.json?map_index=zz")).status_code == 400
    load = client.get(
        f"/dags/demo_map/runs/{quote(mapped.run_id, safe='')}/tasks/load/?map_index=0"
    )
    assert load.status_code == 404 and "not mapped" in _text(load)


def test_the_graph_node_shows_the_count_and_aggregate_state(
    mapped_webui: WebUI, mapped: MappedSeed
) -> None:
    client = mapped_webui.client("Viewer")
    body = client.get(f"/dags/demo_map/graph?run_id={quote(mapped.run_id, safe='')}").get_data(
        as_text=True
    )
    node = re.search(r'<g class="node st-(\w+)" data-task-id="square">(.*?)</g>', body, re.S)
    assert node is not None and node.group(1) == "failed"
    assert '<text class="map-count"' in node.group(2) or 'class="map-count"' in node.group(2)
    assert ">[6]</text>" in node.group(2)
    assert _url(mapped, "mapped") in html.unescape(node.group(2))
    states = client.get(f"/dags/demo_map/runs/{quote(mapped.run_id, safe='')}/states.json")
    square = states.get_json()["tasks"]["square"]
    assert square == {
        "state": "failed",
        "try_number": 1,
        "map_count": 6,
        "map_summary": "success 5/6, failed 1",
    }
    queued = client.get(f"/dags/demo_map/graph?run_id={mapped.queued_run}").get_data(as_text=True)
    assert ">[ ]</text>" in queued


def test_clear_and_mark_one_instance(mapped_webui: WebUI, mapped: MappedSeed) -> None:
    client = mapped_webui.client("Op")
    marked = client.submit(_url(mapped, "mark"), {"state": "success", "map_index": "4"})
    assert marked.status_code == 302
    assert marked.headers["Location"].endswith(_url(mapped, "?map_index=4"))
    states = {
        ti.map_index: ti.state
        for ti in api.list_mapped_instances(
            mapped_webui.settings, "demo_map", mapped.run_id, "square"
        )
    }
    assert states == dict.fromkeys(range(6), "success")
    cleared = client.submit(_url(mapped, "clear"), {"map_index": "2"})
    assert cleared.status_code == 302
    states = {
        ti.map_index: ti.state
        for ti in api.list_mapped_instances(
            mapped_webui.settings, "demo_map", mapped.run_id, "square"
        )
    }
    assert states[2] == "none" and states[1] == "success" and states[4] == "success"
    bad = client.submit(_url(mapped, "clear"), {"map_index": "nope"})
    assert bad.status_code == 400
    # "Clear all" from the list clears every instance and returns to the list.
    every = client.submit(_url(mapped, "clear"), {"next": "instances"})
    assert every.headers["Location"].endswith(_url(mapped, "mapped"))
    states = {
        ti.map_index: ti.state
        for ti in api.list_mapped_instances(
            mapped_webui.settings, "demo_map", mapped.run_id, "square"
        )
    }
    assert set(states.values()) == {"none"}


def test_user_text_stays_escaped_on_the_list(mapped_webui: WebUI, mapped: MappedSeed) -> None:
    response = mapped_webui.client("Viewer").get(
        _url(mapped, "mapped?state=%3Cscript%3Ealert(1)%3C/script%3E&page=%3Cb%3E")
    )
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.get_data(as_text=True)


def test_the_event_log_names_the_instance(mapped_webui: WebUI, mapped: MappedSeed) -> None:
    body = _text(mapped_webui.client("Viewer").get("/events?task_id=square"))
    assert "square [4]" in body
    assert f"{_url(mapped)}?map_index=4" in body
