"""The web UI's backfill pages with the real scheduler: the form on the DAG page previews a
dry run, creates a backfill the scheduler runs to completion (the progress shown), the
backfills list cancels one; Viewers see no form or cancel, and a form without the CSRF
token is refused."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from scheduler import api
from scheduler.api import backfills
from tests.e2e.harness import Baton
from tests.e2e.test_backfill import DAILY
from tests.webui.conftest import BatonClient
from webui import create_app
from webui.auth.csrf import SESSION_KEY as CSRF_SESSION_KEY
from webui.auth.identity import SESSION_LOGIN_AT_KEY, SESSION_USER_KEY

pytestmark = pytest.mark.e2e

FORM = {"from_date": "2025-06-01", "to_date": "2025-06-05", "max_active_runs": "2"}


@pytest.fixture
def clients(baton: Baton) -> Iterator[dict[str, BatonClient]]:
    app = create_app({"BATON_SETTINGS": baton.settings, "TESTING": True})
    app.test_client_class = BatonClient
    found = {}
    for role in ("Op", "Viewer"):
        user = api.create_user(baton.settings, role.lower(), f"{role}-password-123", role)
        client = app.test_client()
        client.csrf = f"csrf-{role}"
        with client.session_transaction() as session:
            session[CSRF_SESSION_KEY] = client.csrf
            session[SESSION_USER_KEY] = user.id
            session[SESSION_LOGIN_AT_KEY] = time.time()
        found[role] = client
    yield found
    api.read_database(baton.settings).dispose()
    api.database(baton.settings).dispose()


def test_form_preview_create_progress_and_cancel(
    baton: Baton, clients: dict[str, BatonClient]
) -> None:
    op, viewer = clients["Op"], clients["Viewer"]
    baton.write_dag("daily.py", DAILY)
    baton.start()
    baton.wait_for_dag("daily")

    page = op.get("/dags/daily/grid").get_data(as_text=True)
    assert 'data-testid="backfill-button"' in page
    preview = op.submit("/dags/daily/backfill", {**FORM, "action": "preview"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Dry run: 5 logical date(s), 5 would run" in html
    assert html.count('data-testid="dry-run-row"') == 5
    assert backfills.list_backfills(baton.settings) == []  # a preview changes nothing

    created = op.submit("/dags/daily/backfill", {**FORM, "action": "create"}, follow_redirects=True)
    assert "Backfill 1 created: 5 date(s)." in created.get_data(as_text=True)
    baton.wait_until(
        "the backfill to complete",
        lambda: backfills.get_backfill(baton.settings, 1).row.completed_at,
        60,
    )
    listed = viewer.get("/backfills").get_data(as_text=True)
    assert 'value="5" max="5"' in listed and "5/5 done · 5 ok · 0 failed" in listed
    assert 'data-testid="backfill-cancel"' not in listed  # Viewers cannot cancel
    live = viewer.get("/backfills/1.json").json
    assert live["state"] == "completed" and live["progress"]["success"] == 5

    # A second one, left waiting (the DAG paused), cancelled from the list.
    api.set_paused(baton.settings, ["daily"], True)
    op.submit("/dags/daily/backfill", {**FORM, "to_date": "2025-06-02", "action": "create"})
    listed = op.get("/backfills").get_data(as_text=True)
    assert listed.count('data-testid="backfill-cancel"') == 1
    assert 'data-backfill-live="/backfills/2.json"' in listed  # its bar follows it
    done = op.submit("/backfills/2/cancel", {"next": "/backfills"}, follow_redirects=True)
    assert "Backfill 2 cancelled: 2 date(s) will not run" in done.get_data(as_text=True)
    assert backfills.get_backfill(baton.settings, 2).row.cancelled_at is not None


def test_roles_csrf_and_errors(baton: Baton, clients: dict[str, BatonClient]) -> None:
    op, viewer = clients["Op"], clients["Viewer"]
    baton.write_dag("daily.py", DAILY.replace('os.environ["BATON_HOME"]', '"/tmp"'))
    api.sync_dags(baton.settings)
    assert viewer.get("/dags/daily/backfill").status_code == 403
    assert viewer.submit("/backfills/1/cancel").status_code == 403
    no_token = op.post("/dags/daily/backfill", data={**FORM, "action": "create"})
    assert no_token.status_code in (400, 403)
    assert backfills.list_backfills(baton.settings) == []
    swapped = op.submit(
        "/dags/daily/backfill",
        {**FORM, "from_date": "2025-06-05", "to_date": "2025-06-01", "action": "preview"},
    )
    assert "is before --from-date" in swapped.get_data(as_text=True)
    bad = op.submit("/dags/daily/backfill", {**FORM, "max_active_runs": "x", "action": "create"})
    assert "is not a whole number" in bad.get_data(as_text=True)
    assert op.get("/dags/nope/backfill").status_code == 404
    unknown = op.submit("/backfills/99/cancel", follow_redirects=True)
    assert "no backfill has id 99" in unknown.get_data(as_text=True)
