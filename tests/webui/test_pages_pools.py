"""The Pools page: slots used/queued/open per pool; Ops set and delete pools (CSRF)."""

from __future__ import annotations

from sqlalchemy import update

from scheduler import api
from scheduler.store.db import transaction
from scheduler.store.models import task_instance_table
from tests.webui.conftest import BatonClient, WebUI


def _row(html: str, pool: str) -> str:
    start = html.index(f'<tr data-pool="{pool}">')
    return html[start : html.index("</tr>", start)]


def test_the_page_shows_each_pools_slots_and_what_its_tasks_take(
    webui: WebUI, viewer_client: BatonClient
) -> None:
    # The seed's queued demo_etl run: make one of its tasks queued and one running.
    ti = task_instance_table.c
    with transaction(api.database(webui.settings)) as session:
        for task_id, state in (("extract", "running"), ("load", "queued")):
            session.execute(
                update(task_instance_table)
                .where(ti.run_id == webui.seed.queued_run, ti.task_id == task_id)
                .values(state=state)
            )
    response = viewer_client.get("/pools")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    row = _row(html, "default_pool")
    assert '<td class="num" data-testid="pool-slots">128</td>' in row
    assert '<td class="num" data-testid="pool-running">1</td>' in row
    assert '<td class="num" data-testid="pool-queued">1</td>' in row
    assert '<td class="num" data-testid="pool-open">126</td>' in row
    assert 'href="/pools"' in html  # in the nav
    assert 'data-testid="pool-form"' not in html  # Viewers cannot change pools


def test_an_op_sets_and_deletes_a_pool_with_the_csrf_token(
    webui: WebUI, viewer_client: BatonClient, op_client: BatonClient
) -> None:
    form = {"name": "partner_api", "slots": "2", "description": "<b>API</b>"}
    assert viewer_client.submit("/pools/set", form).status_code == 403
    assert op_client.post("/pools/set", data=form).status_code == 403  # no CSRF token
    assert [p.name for p in api.list_pools(webui.settings)] == ["default_pool"]

    page = op_client.submit("/pools/set", form, follow_redirects=True).get_data(as_text=True)
    assert "Pool &#39;partner_api&#39; set to 2 slot(s)." in page
    row = _row(page, "partner_api")
    assert "&lt;b&gt;API&lt;/b&gt;" in row  # escaped
    assert '<td class="num" data-testid="pool-open">2</td>' in row
    assert api.get_pool(webui.settings, "partner_api").description == "<b>API</b>"

    page = op_client.submit(
        "/pools/delete", {"name": "partner_api"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Pool &#39;partner_api&#39; deleted." in page
    assert 'data-pool="partner_api"' not in page


def test_refusals_are_flashed(op_client: BatonClient) -> None:
    bad = op_client.submit("/pools/set", {"name": "p", "slots": "two"}, follow_redirects=True)
    assert "slots &#39;two&#39; is not a whole number" in bad.get_data(as_text=True)
    default = op_client.submit("/pools/delete", {"name": "default_pool"}, follow_redirects=True)
    assert "default_pool cannot be deleted" in default.get_data(as_text=True)
