"""Logging in and out through the real form; failed attempts are generic and audited."""

from __future__ import annotations

import re

from flask import Flask

from scheduler import api
from tests.webui.conftest import PASSWORDS, BatonClient, WebUI


def _open_login(client: BatonClient) -> None:
    assert client.get("/auth/login").status_code == 200
    with client.session_transaction() as session:
        client.csrf = session["csrf_token"]


def _events(webui: WebUI, event: str) -> list:
    rows = api.events_page(webui.settings, filters={"event": event}, limit=50, offset=0).rows
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


def _from(webui: WebUI, address: str) -> BatonClient:
    client = webui.app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_wrong_passwords_from_one_address_slow_that_address_down(webui: WebUI) -> None:
    guesser = _from(webui, "203.0.113.7")
    policy = api.LOGIN_POLICY
    for number in range(policy.source_free):  # a different account each time
        assert _login(guesser, f"user{number}", "wrong-guess") == 401
    _open_login(guesser)
    response = guesser.submit("/auth/login", {"username": "admin", "password": "x"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert b"too many failed logins; try again in 1 seconds" in response.data
    assert _login(_from(webui, "198.51.100.2"), "admin", PASSWORDS["Admin"]) == 302


def test_an_attacker_cannot_lock_the_admin_out_of_a_browser_it_used(webui: WebUI) -> None:
    browser = _from(webui, "192.0.2.10")
    assert _login(browser, "admin", PASSWORDS["Admin"]) == 302
    assert browser.get_cookie("baton_device", path="/auth") is not None
    with browser.session_transaction() as session:
        session.clear()  # logged out; the device cookie stays
    for number in range(api.LOGIN_MAX_FAILURES):  # from many addresses: no source delay
        assert _login(_from(webui, f"203.0.113.{number}"), "admin", "wrong-guess") == 401
    stranger = _from(webui, "203.0.113.200")
    assert _login(stranger, "admin", PASSWORDS["Admin"]) == 429  # untrusted: must wait
    assert _login(browser, "admin", PASSWORDS["Admin"]) == 302  # the admin's browser: in
    assert browser.get("/api/v1/dags").status_code == 200
    other = _from(webui, "203.0.113.201")
    assert _login(other, "operator", PASSWORDS["Op"]) == 302  # other accounts: unaffected


def test_the_refusal_is_the_same_for_an_account_that_does_not_exist(webui: WebUI) -> None:
    answers = {}
    for account in ("operator", "no-such-user"):
        for number in range(api.LOGIN_MAX_FAILURES):
            assert _login(_from(webui, f"203.0.113.{number}"), account, "wrong-guess") == 401
        client = _from(webui, "203.0.113.99")
        _open_login(client)
        response = client.submit("/auth/login", {"username": account, "password": "guess"})
        # The page but its per-session CSRF token, the name the form echoes back and the
        # seconds left (the second account's window started a moment later).
        page = re.sub(r'value="[^"]{20,}"', "TOKEN", response.get_data(as_text=True))
        retry_after = int(response.headers["Retry-After"])
        answers[account] = (
            response.status_code,
            retry_after,
            re.sub(r"\b\d+\b", "N", page.replace(account, "NAME")),
        )
    assert answers["operator"][0] == 429
    (status, wait, page), (other_status, other_wait, other_page) = answers.values()
    assert (status, page) == (other_status, other_page)
    assert abs(wait - other_wait) <= 5  # the same wait, but for the seconds the test took
