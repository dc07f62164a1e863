"""Login throttling through the real ``baton webui`` (gunicorn): a guesser is slowed, the
admin's own browser still gets in, and the refusal is the same for accounts that do not
exist. Behind a proxy (``BATON_WEBUI_BEHIND_PROXY``) each request names its client in
``X-Forwarded-For``, which is how the test plays several addresses."""

from __future__ import annotations

import re

import pytest
import requests

from scheduler import api
from tests.e2e.harness import Baton
from tests.e2e.webserver import running_webui

pytestmark = pytest.mark.e2e

PASSWORD = "the-admins-password-1"


def _login(url: str, browser: requests.Session, username: str, password: str, source: str) -> int:
    headers = {"X-Forwarded-For": source}
    form = browser.get(f"{url}/auth/login", headers=headers, timeout=10)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None, form.text
    data = {"username": username, "password": password, "csrf_token": csrf.group(1)}
    response = browser.post(
        f"{url}/auth/login", data=data, headers=headers, allow_redirects=False, timeout=10
    )
    browser.last_response = response  # type: ignore[attr-defined]
    return response.status_code


def test_a_guesser_is_slowed_and_cannot_lock_the_admin_out(tmp_path) -> None:
    baton = Baton(tmp_path, webui_behind_proxy="true")
    api.create_user(baton.settings, "admin", PASSWORD, "Admin")
    with running_webui(baton) as url:
        admin = requests.Session()
        assert _login(url, admin, "admin", PASSWORD, "192.0.2.10") == 302
        assert any(cookie.name == "baton_device" for cookie in admin.cookies)
        for cookie in [c for c in admin.cookies if c.name == "baton_session"]:
            admin.cookies.clear(cookie.domain, cookie.path, cookie.name)  # logged out

        # One address, wrong passwords for many names: slowed down after a few.
        guesser = requests.Session()
        policy = api.LOGIN_POLICY
        for number in range(policy.source_free):
            assert _login(url, guesser, f"user{number}", "guess", "203.0.113.7") == 401
        assert _login(url, guesser, "admin", PASSWORD, "203.0.113.7") == 429
        assert guesser.last_response.headers["Retry-After"] == "1"

        # Wrong passwords for admin from many addresses: untrusted browsers must wait...
        for number in range(api.LOGIN_MAX_FAILURES):
            assert _login(url, requests.Session(), "admin", "guess", f"198.51.100.{number}") == 401
        stranger = requests.Session()
        assert _login(url, stranger, "admin", PASSWORD, "198.51.100.50") == 429
        # ...the browser the admin logged in from before gets in, from any address.
        assert _login(url, admin, "admin", PASSWORD, "198.51.100.51") == 302
        assert admin.get(f"{url}/api/v1/dags", timeout=10).status_code == 200

        # An account that does not exist is refused in the same words after as many tries.
        for number in range(api.LOGIN_MAX_FAILURES):
            assert _login(url, requests.Session(), "ghost", "guess", f"198.51.100.{number}") == 401
        ghost = requests.Session()
        assert _login(url, ghost, "ghost", "guess", "198.51.100.60") == 429
        refused = {}
        for name, session in (("admin", stranger), ("ghost", ghost)):
            _login(url, session, name, "guess", "198.51.100.61")
            response = session.last_response
            message = re.search(r"too many failed logins[^<]*", response.text)
            assert message is not None
            refused[name] = (response.status_code, re.sub(r"\d+", "N", message.group()))
        assert (
            refused["admin"]
            == refused["ghost"]
            == (
                429,
                "too many failed logins; try again in N seconds.",
            )
        )
