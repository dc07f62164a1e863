"""The task instance page: tries, XCom, rendered fields, log and its tail; clear and mark."""

from __future__ import annotations

from pathlib import Path

from flask import url_for

from scheduler import api
from webui.queries.tasks import rendered_fields


def ti_url(webui, run_id: str, task_id: str, endpoint: str = "tasks.task_instance", **kw) -> str:
    with webui.app.test_request_context():
        return url_for(endpoint, dag_id="demo_etl", run_id=run_id, task_id=task_id, **kw)


def test_page_shows_tries_xcom_and_log(viewer_client, webui, seed) -> None:
    html = viewer_client.get(ti_url(webui, seed.success_run, "extract")).get_data(as_text=True)
    assert html.count('<td><a href="?try=') == 1  # one try
    assert "row_count" in html and "return_value" in html  # XComs
    assert "extracting rows" in html  # the log
    assert 'data-live="false"' in html  # finished: no tail


def test_rendered_fields_come_from_the_log(viewer_client, webui, seed) -> None:
    html = viewer_client.get(ti_url(webui, seed.success_run, "load")).get_data(as_text=True)
    assert "bash_command" in html and "echo loading done" in html


def test_log_json_continues_from_an_offset(viewer_client, webui, seed) -> None:
    url = ti_url(webui, seed.success_run, "extract", "tasks.log_tail")
    whole = viewer_client.get(url).get_json()
    assert whole["exists"] and not whole["running"] and "extracting rows" in whole["text"]
    rest = viewer_client.get(f"{url}?offset=10").get_json()
    assert rest["text"] == whole["text"].encode()[10:].decode()
    assert rest["offset"] == whole["offset"]
    assert viewer_client.get(f"{url}?offset=abc").status_code == 400


def test_a_task_not_started_has_no_log_yet(viewer_client, webui) -> None:
    html = viewer_client.get(ti_url(webui, "queued_run", "extract")).get_data(as_text=True)
    assert "Not started yet" in html and 'data-live="true"' in html
    data = viewer_client.get(ti_url(webui, "queued_run", "extract", "tasks.log_tail")).get_json()
    assert data == {
        "text": "",
        "offset": 0,
        "exists": False,
        "more": False,
        "running": True,
        "state": "none",
        "try_number": None,
    }


def test_clear_with_downstream_reruns_the_tasks(op_client, webui, seed) -> None:
    url = ti_url(webui, seed.success_run, "transform", "tasks.clear")
    response = op_client.submit(url, {"downstream": "on"})
    assert response.status_code == 302
    states = {
        t.task_id: t.state
        for t in api.list_task_instances(webui.settings, "demo_etl", seed.success_run)
    }
    assert states["extract"] == "success"
    assert states["transform"] != "success" and states["load"] != "success"
    page = op_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cleared 2 task(s)" in page


def test_mark_failed_then_success(op_client, webui, seed) -> None:
    url = ti_url(webui, seed.success_run, "load", "tasks.mark")
    op_client.submit(url, {"state": "failed"})
    ti = {
        t.task_id: t for t in api.list_task_instances(webui.settings, "demo_etl", seed.success_run)
    }
    assert ti["load"].state == "failed"
    response = op_client.submit(url, {"state": "running"})
    assert "cannot mark a task" in op_client.get(response.headers["Location"]).get_data(
        as_text=True
    )


def test_actions_need_op(viewer_client, webui, seed) -> None:
    assert (
        viewer_client.submit(ti_url(webui, seed.success_run, "load", "tasks.clear")).status_code
        == 403
    )
    html = viewer_client.get(ti_url(webui, seed.success_run, "load")).get_data(as_text=True)
    assert 'data-testid="clear-form"' not in html


def test_unknown_task_is_a_404(viewer_client, webui, seed) -> None:
    response = viewer_client.get(ti_url(webui, seed.success_run, "nope"))
    assert response.status_code == 404 and "has no task &#39;nope&#39;" in response.get_data(
        as_text=True
    )


def test_rendered_fields_parses_the_runner_lines() -> None:
    text = "[ts] INFO - Rendered bash_command: 'echo 1'\nother\n"
    assert rendered_fields(text) == [("bash_command", "'echo 1'")]


def test_log_download_is_the_whole_log_masked(viewer_client, webui, seed) -> None:
    from scheduler.masking import clear_secrets, mask_secret

    url = ti_url(webui, seed.success_run, "extract", "tasks.log_download")
    (log_path,) = [
        t.log_path for t in api.list_tries(webui.settings, "demo_etl", seed.success_run, "extract")
    ]
    original = Path(log_path).read_bytes()  # the seed's log, shared by every test
    with open(log_path, "a", encoding="utf-8") as log:  # a secret the writer did not know yet
        log.write("late line with tok-7f3a9-secret in it\n")
    mask_secret("tok-7f3a9-secret")
    try:
        response = viewer_client.get(url)
    finally:
        clear_secrets()
        Path(log_path).write_bytes(original)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="demo_etl_')
    assert disposition.endswith('_extract_try1.log"') and ":" not in disposition.split("=", 1)[1]
    text = response.get_data(as_text=True)
    assert "extracting rows" in text and "late line with *** in it" in text
    assert "tok-7f3a9-secret" not in text


def test_log_download_refuses_a_bad_try_and_a_missing_log(viewer_client, webui, seed) -> None:
    url = ti_url(webui, seed.success_run, "extract", "tasks.log_download")
    bad = viewer_client.get(f"{url}?try=first")
    assert bad.status_code == 400 and "is not a try number" in bad.get_data(as_text=True)
    assert viewer_client.get(f"{url}?try=9").status_code == 404
    queued = viewer_client.get(ti_url(webui, "queued_run", "extract", "tasks.log_download"))
    assert queued.status_code == 404
    page = viewer_client.get(ti_url(webui, seed.success_run, "extract")).get_data(as_text=True)
    assert 'data-testid="log-download"' in page and "log.txt?try=1" in page
