"""Secret key, session cookie, security headers and password storage."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from scheduler.errors import ConfigError
from scheduler.settings import Settings
from tests.webui.conftest import PASSWORDS, BatonClient, WebUI
from webui import create_app
from webui.security import SECRET_KEY_FILE, load_or_create_secret_key


def test_secret_key_is_generated_private_and_reused(tmp_path: Path) -> None:
    settings = Settings.from_env({"BATON_HOME": str(tmp_path / "home")})
    first = create_app({"BATON_SETTINGS": settings})
    key_file = tmp_path / "home" / SECRET_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.secret_key == key_file.read_text().strip()
    assert len(first.secret_key) >= 32
    second = create_app({"BATON_SETTINGS": settings})
    assert second.secret_key == first.secret_key
    other = create_app({"BATON_SETTINGS": Settings.from_env({"BATON_HOME": str(tmp_path / "b")})})
    assert other.secret_key != first.secret_key  # no built-in default


def test_a_truncated_secret_key_file_is_an_error_saying_what_to_do(tmp_path: Path) -> None:
    (tmp_path / SECRET_KEY_FILE).write_text("short")
    with pytest.raises(ConfigError, match="delete the file"):
        load_or_create_secret_key(tmp_path)


@pytest.mark.parametrize("path", ["/auth/login", "/health", "/api/v1/dags", "/auth/tokens"])
def test_security_headers_on_every_response(admin_client: BatonClient, path: str) -> None:
    response = admin_client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_headers_also_on_errors(anon_client: BatonClient) -> None:
    response = anon_client.get("/api/v1/dags")
    assert response.status_code == 401
    assert "Content-Security-Policy" in response.headers


def _login(client: BatonClient, username: str, password: str, **kwargs: object):
    client.get("/auth/login")  # opens the session that holds the CSRF token
    with client.session_transaction() as session:
        client.csrf = session["csrf_token"]
    return client.submit("/auth/login", {"username": username, "password": password}, **kwargs)


def test_session_cookie_is_httponly_lax_and_secure_over_https(webui: WebUI) -> None:
    client = webui.app.test_client()
    response = _login(client, "admin", PASSWORDS["Admin"])
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    https = webui.app.test_client()
    response = _login(https, "admin", PASSWORDS["Admin"], base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]


def test_behind_a_proxy_the_forwarded_scheme_makes_cookies_secure(webui: WebUI) -> None:
    settings = Settings.from_env(
        {
            "BATON_HOME": str(webui.settings.home),
            "BATON_DATABASE_URL": webui.settings.database_url,
            "BATON_WEBUI_BEHIND_PROXY": "true",
        }
    )
    app = create_app({"BATON_SETTINGS": settings})
    app.test_client_class = BatonClient
    client = app.test_client()
    proxy = {"X-Forwarded-Proto": "https"}
    client.get("/auth/login", headers=proxy)
    with client.session_transaction() as session:
        client.csrf = session["csrf_token"]
    response = client.submit(
        "/auth/login", {"username": "admin", "password": PASSWORDS["Admin"]}, headers=proxy
    )
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


def test_passwords_and_tokens_are_stored_hashed(webui: WebUI) -> None:
    db = sqlite3.connect(webui.settings.database_url.removeprefix("sqlite:///"))
    try:
        hashes = [row[0] for row in db.execute("SELECT password_hash FROM webui_user")]
        token_hashes = [row[0] for row in db.execute("SELECT token_hash FROM webui_api_token")]
        dump = "\n".join(db.iterdump())
    finally:
        db.close()
    assert len(hashes) == 3 and all(h.startswith("scrypt:") for h in hashes)
    for secret in [*PASSWORDS.values(), *webui.seed.tokens.values()]:
        assert secret not in dump
    assert all(len(h) == 64 for h in token_hashes)


def test_key_file_is_not_world_readable_even_with_a_loose_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        load_or_create_secret_key(tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / SECRET_KEY_FILE).stat().st_mode) == 0o600
