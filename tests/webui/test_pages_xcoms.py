"""The XCom browser: filters by DAG, run, task and key; values as stored (masked); a sealed
value is labelled and its encrypted original never leaves the database."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert

from scheduler import api
from scheduler.store.db import transaction
from scheduler.store.models import xcom_table
from tests.webui.conftest import BatonClient, WebUI

SEALED = "gAAAAAB-the-encrypted-original-never-shown"


def _add_sealed(webui: WebUI) -> None:
    with transaction(api.database(webui.settings)) as session:
        session.execute(
            insert(xcom_table).values(
                dag_id="demo_etl",
                run_id=webui.seed.success_run,
                task_id="load",
                map_index=-1,
                key="credentials",
                value='{"password": "***"}',
                sealed=SEALED,
                created_at=datetime.now(UTC),
            )
        )


def test_lists_every_xcom_with_links(webui: WebUI, viewer_client: BatonClient) -> None:
    html = viewer_client.get("/xcoms").get_data(as_text=True)
    assert "row_count" in html and "return_value" in html
    assert f'href="/dags/demo_etl/runs/{webui.seed.success_run}"' in html


def test_filters_narrow_the_list(webui: WebUI, viewer_client: BatonClient) -> None:
    html = viewer_client.get("/xcoms?task_id=extract&key=row_count").get_data(as_text=True)
    assert "row_count" in html and "return_value" not in html
    none = viewer_client.get("/xcoms?dag_id=demo_fail").get_data(as_text=True)
    assert "No XCom matches." in none


def test_a_sealed_value_stays_masked(webui: WebUI, viewer_client: BatonClient) -> None:
    _add_sealed(webui)
    html = viewer_client.get("/xcoms?key=credentials").get_data(as_text=True)
    assert 'data-testid="sealed"' in html and "&#34;password&#34;: &#34;***&#34;" in html
    assert SEALED not in html


def test_needs_a_login(anon_client: BatonClient) -> None:
    assert anon_client.get("/xcoms").status_code == 302
