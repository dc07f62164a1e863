"""DAG-supplied text (params, doc_md, description, tags, task ids) is shown as text."""

from __future__ import annotations

from datetime import UTC, datetime

from scheduler import api
from scheduler.spec import DagSpec, TaskSpec
from scheduler.store import dags as dag_store
from scheduler.store.db import transaction

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def _add_evil_dag(settings, tmp_path) -> None:
    path = tmp_path / "evil.py"
    path.write_text(f"# {PAYLOAD}\nprint('dag baton')\n")
    spec = DagSpec(
        "evil",
        str(path),
        {"t": TaskSpec("t", "EmptyOperator")},
        params={"p": PAYLOAD},
        tags=(PAYLOAD,),
        description=PAYLOAD,
        doc_md=f"# Title\n{PAYLOAD}\n[x](javascript:alert(3))",
    )
    with transaction(api.database(settings)) as session:
        dag_store.sync_file(
            session, str(path), [spec], [], now=datetime.now(UTC), paused_at_creation=True
        )


def test_payloads_are_escaped_on_every_page(admin_client, webui, tmp_path) -> None:
    _add_evil_dag(webui.settings, tmp_path)
    api.trigger_dag(webui.settings, "evil", run_id="r", conf={"c": PAYLOAD})
    pages = [
        "/dags",
        "/dags/evil/grid",
        "/dags/evil/graph",
        "/dags/evil/code",
        "/dags/evil/details",
        "/dags/evil/trigger",
        "/dags/evil/runs/r/tasks/t/",
        "/events?dag_id=evil",
        "/runs",
    ]
    for url in pages:
        html = admin_client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url
        assert 'href="javascript:' not in html, url
    details = admin_client.get("/dags/evil/details").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in details  # shown, as text
    assert "<h1>Title</h1>" in details  # the doc is still rendered as Markdown


def test_pages_send_a_csp_without_inline_scripts(viewer_client) -> None:
    response = viewer_client.get("/dags/demo_etl/graph")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    html = response.get_data(as_text=True)
    assert "<script>" not in html and "onclick" not in html
