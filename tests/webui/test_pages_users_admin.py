"""Users administration: change a role, reset a password, deactivate and reactivate (each
in the event log, each taking effect on open sessions and tokens at once), the last Admin
protected; and "change my password" for every user."""

from __future__ import annotations

from scheduler import api
from tests.webui.conftest import PASSWORDS, BatonClient, WebUI


def _events(webui: WebUI, event: str) -> list:
    rows = api.events_page(webui.settings, filters={"event": event}, limit=20, offset=0).rows
    return rows


def test_admin_changes_a_role_and_it_applies_to_open_sessions(
    webui: WebUI, admin_client: BatonClient
) -> None:
    viewer = webui.client("Viewer")
    assert viewer.get("/dags/demo_etl/trigger").status_code == 403
    page = admin_client.submit("/auth/users/viewer/role", {"role": "Op"}, follow_redirects=True)
    assert "User &#39;viewer&#39; now has role Op (was Viewer)." in page.get_data(as_text=True)
    assert viewer.get("/dags/demo_etl/trigger").status_code == 200
    event = _events(webui, "user_role")[0]
    assert event.source == "webui:admin" and event.detail == "user 'viewer' role Viewer -> Op"


def test_unknown_role_and_last_admin_are_refused(webui: WebUI, admin_client: BatonClient) -> None:
    bad = admin_client.submit("/auth/users/viewer/role", {"role": "Root"}, follow_redirects=True)
    assert "role &#39;Root&#39; is unknown" in bad.get_data(as_text=True)
    last = admin_client.submit("/auth/users/admin/role", {"role": "Viewer"}, follow_redirects=True)
    assert "is the last active Admin" in last.get_data(as_text=True)
    assert api.find_user(webui.settings, "admin").role == "Admin"


def test_reset_password_ends_the_users_sessions(webui: WebUI, admin_client: BatonClient) -> None:
    op = webui.client("Op")
    assert op.get("/dags").status_code == 200
    admin_client.submit("/auth/users/operator/password", {"password": "brand-new-pass-1"})
    assert op.get("/dags").status_code == 302  # its session ended: back to the login page
    assert api.login(webui.settings, "operator", "brand-new-pass-1") is not None
    assert api.login(webui.settings, "operator", PASSWORDS["Op"]) is None
    assert "brand-new-pass-1" not in (_events(webui, "user_password")[0].detail or "")
    short = admin_client.submit(
        "/auth/users/operator/password", {"password": "short"}, follow_redirects=True
    )
    assert "use at least 8" in short.get_data(as_text=True)


def test_deactivate_refuses_login_sessions_and_tokens_then_activate(
    webui: WebUI, admin_client: BatonClient
) -> None:
    op = webui.client("Op")
    admin_client.submit("/auth/users/operator/active", {"active": "false"})
    assert op.get("/dags").status_code == 302
    assert (
        webui.app.test_client().get("/api/v1/dags", headers=webui.bearer("Op")).status_code == 401
    )
    assert api.login(webui.settings, "operator", PASSWORDS["Op"]) is None
    html = admin_client.get("/auth/users").get_data(as_text=True)
    assert "deactivated" in html and "Activate" in html
    admin_client.submit("/auth/users/operator/active", {"active": "true"})
    assert api.login(webui.settings, "operator", PASSWORDS["Op"]) is not None
    assert [e.event for e in _events(webui, "user_deactivate")] == ["user_deactivate"]
    assert [e.event for e in _events(webui, "user_activate")] == ["user_activate"]


def test_an_admin_cannot_deactivate_themself(webui: WebUI, admin_client: BatonClient) -> None:
    page = admin_client.submit(
        "/auth/users/admin/active", {"active": "false"}, follow_redirects=True
    )
    assert "You cannot deactivate yourself" in page.get_data(as_text=True)
    assert api.find_user(webui.settings, "admin").active


def test_user_admin_needs_admin_and_csrf(webui: WebUI, op_client: BatonClient) -> None:
    for url, data in (
        ("/auth/users/viewer/role", {"role": "Admin"}),
        ("/auth/users/viewer/password", {"password": "x" * 12}),
        ("/auth/users/viewer/active", {"active": "false"}),
    ):
        assert op_client.submit(url, data).status_code == 403, url
    admin = webui.client("Admin")
    assert admin.post("/auth/users/viewer/role", data={"role": "Admin"}).status_code == 403
    assert api.find_user(webui.settings, "viewer").role == "Viewer"


def test_every_user_can_change_their_own_password(webui: WebUI, viewer_client: BatonClient) -> None:
    assert viewer_client.get("/auth/password").status_code == 200
    wrong = viewer_client.submit(
        "/auth/password",
        {
            "current_password": "nope",
            "new_password": "next-pass-123",
            "confirm_password": "next-pass-123",
        },
    )
    assert wrong.status_code == 400 and "current password is wrong" in wrong.get_data(as_text=True)
    differ = viewer_client.submit(
        "/auth/password",
        {
            "current_password": PASSWORDS["Viewer"],
            "new_password": "next-pass-123",
            "confirm_password": "other-pass-123",
        },
    )
    assert differ.status_code == 400
    other_session = webui.client("Viewer")
    done = viewer_client.submit(
        "/auth/password",
        {
            "current_password": PASSWORDS["Viewer"],
            "new_password": "next-pass-123",
            "confirm_password": "next-pass-123",
        },
        follow_redirects=True,
    )
    assert "Your password was changed" in done.get_data(as_text=True)
    assert viewer_client.get("/dags").status_code == 200  # this browser stays logged in
    assert other_session.get("/dags").status_code == 302  # the others are logged out
    assert api.login(webui.settings, "viewer", "next-pass-123") is not None
    assert _events(webui, "user_password")[0].source == "webui:viewer"


def test_the_403_message_now_leads_to_a_real_role_editor(admin_client: BatonClient) -> None:
    html = admin_client.get("/auth/users").get_data(as_text=True)
    assert 'data-testid="role-select"' in html and 'data-testid="reset-password"' in html
