"""Logging in and out through the real form; failed attempts are generic and audited."""

from __future__ import annotations

from flask import Flask

from scheduler import api
from tests.webui.conftest import PASSWORDS, BatonClient, WebUI


def _open_login(client: BatonClient) -> None:
    assert client.get("/auth/login").status_code == 200
    with client.session_transaction() as session:
        client.csrf = session["csrf_token"]


def _events(webui: WebUI, event: str) -> list:
    rows, _ = api.events_page(webui.settings, filters={"event": event}, limit=50, offset=0)
    return rows


def test_login_then_logout(webui: WebUI) -> None:
    client = webui.app.test_client()
    _open_login(client)
    response = client.submit(
        "/auth/login",
        {"username": "operator", "password": PASSWORDS["Op"], "next": "/api/v1/dags"},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/api/v1/dags"
    assert client.get("/api/v1/dags").status_code == 200
    assert client.get("/auth/login").status_code == 302  # already logged in
    old_token = client.csrf
    assert client.submit("/auth/logout").status_code == 403  # the token changed at login
    client.get("/auth/tokens")  # a page with forms: the session's new token
    with client.session_transaction() as session:
        client.csrf = session["csrf_token"]
    assert client.csrf != old_token
    assert client.submit("/auth/logout").status_code == 302
    assert client.get("/api/v1/dags").status_code == 401
    assert [e.source for e in _events(webui, "login")] == ["webui:operator"]
    assert [e.source for e in _events(webui, "logout")] == ["webui:operator"]


def test_wrong_password_and_unknown_user_get_the_same_generic_error(webui: WebUI) -> None:
    client = webui.app.test_client()
    _open_login(client)
    wrong = client.submit("/auth/login", {"username": "admin", "password": "nope-nope"})
    unknown = client.submit("/auth/login", {"username": "ghost", "password": "nope-nope"})
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert b"Wrong user name or password." in response.data
        assert b"nope-nope" not in response.data
    assert client.get("/api/v1/dags").status_code == 401
    failed = _events(webui, "login_failed")
    assert sorted(e.source for e in failed) == ["webui:admin", "webui:anonymous"]
    assert all("nope" not in (e.detail or "") for e in failed)


def test_login_form_needs_its_csrf_token(webui: WebUI) -> None:
    client = webui.app.test_client()
    _open_login(client)
    response = client.post("/auth/login", data={"username": "admin", "password": "x"})
    assert response.status_code == 403


def test_next_never_leaves_the_site(webui: WebUI) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        client = webui.app.test_client()
        _open_login(client)
        response = client.submit(
            "/auth/login",
            {"username": "admin", "password": PASSWORDS["Admin"], "next": target},
        )
        assert response.headers["Location"] == "/", target


def test_a_protected_page_sends_to_login_and_back(webui: WebUI) -> None:
    client = webui.app.test_client()
    response = client.get("/auth/tokens?x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=/auth/tokens?x%3D1"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="next" value="/auth/tokens?x=1"' in page


def test_deleting_a_user_ends_its_sessions_at_once(
    webui: WebUI, viewer_client: BatonClient
) -> None:
    assert viewer_client.get("/api/v1/dags").status_code == 200
    api.delete_user(webui.settings, "viewer")
    assert viewer_client.get("/api/v1/dags").status_code == 401
    assert viewer_client.get("/auth/tokens").status_code == 302


def test_session_from_another_secret_key_is_ignored(webui: WebUI) -> None:
    """A forged cookie (signed with another key) does not log anyone in."""
    forger = Flask("forger")
    forger.secret_key = "x" * 64
    forger.config["SESSION_COOKIE_NAME"] = "baton_session"
    client = forger.test_client()
    with client.session_transaction() as session:
        session["user_id"] = webui.seed.user_ids["Admin"]
    cookie = client.get_cookie("baton_session")
    assert cookie is not None
    victim = webui.app.test_client()
    victim.set_cookie("baton_session", cookie.value)
    assert victim.get("/api/v1/dags").status_code == 401


def _login(client: BatonClient, username: str, password: str) -> int:
    _open_login(client)
    response = client.submit("/auth/login", {"username": username, "password": password})
    return response.status_code


def test_logout_voids_copies_of_the_session_cookie(webui: WebUI) -> None:
    client = webui.app.test_client()
    assert _login(client, "viewer", PASSWORDS["Viewer"]) == 302
    cookie = client.get_cookie("baton_session")
    assert cookie is not None
    thief = webui.app.test_client()
    thief.set_cookie("baton_session", cookie.value)
    assert thief.get("/api/v1/dags").status_code == 200
    client.get("/auth/tokens")
    with client.session_transaction() as session:
        client.csrf = session["csrf_token"]
    assert client.submit("/auth/logout").status_code == 302
    assert thief.get("/api/v1/dags").status_code == 401
    again = webui.app.test_client()
    assert _login(again, "viewer", PASSWORDS["Viewer"]) == 302  # a new login works
    assert again.get("/api/v1/dags").status_code == 200


def test_repeated_wrong_passwords_slow_the_guessing_down(webui: WebUI) -> None:
    client = webui.app.test_client()
    for _ in range(api.LOGIN_MAX_FAILURES):
        assert _login(client, "operator", "wrong-guess") == 401
    _open_login(client)
    response = client.submit("/auth/login", {"username": "operator", "password": PASSWORDS["Op"]})
    assert response.status_code == 429
    assert b"too many failed logins" in response.data
    assert client.get("/api/v1/dags").status_code == 401
    other = webui.app.test_client()
    assert _login(other, "admin", PASSWORDS["Admin"]) == 302  # other users are not affected
