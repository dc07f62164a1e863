"""User management: the Admin page, and ``baton users`` on the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from scheduler import api
from scheduler.cli import cli
from tests.webui.conftest import BatonClient, WebUI

BATON = str(Path(sys.executable).with_name("baton"))


def test_admin_creates_and_deletes_users(webui: WebUI, admin_client: BatonClient) -> None:
    response = admin_client.submit(
        "/auth/users", {"username": "newbie", "password": "long-password", "role": "Op"}
    )
    assert response.status_code == 302
    page = admin_client.get("/auth/users").get_data(as_text=True)
    assert "newbie" in page and "long-password" not in page and "scrypt" not in page
    user = api.find_user(webui.settings, "newbie")
    assert user is not None and user.role == "Op"
    assert admin_client.submit("/auth/users/newbie/delete").status_code == 302
    assert api.find_user(webui.settings, "newbie") is None
    events = api.events_page(webui.settings, filters={"event": None}, limit=5, offset=0).rows
    assert [e.event for e in events[:2]] == ["user_delete", "user_create"]
    assert {e.source for e in events[:2]} == {"webui:admin"}


def test_bad_user_input_is_explained(admin_client: BatonClient) -> None:
    cases = [
        ({"username": "x", "password": "short", "role": "Op"}, "at least 8"),
        ({"username": "x", "password": "long-enough", "role": "God"}, "unknown"),
        ({"username": "viewer", "password": "long-enough", "role": "Op"}, "already exists"),
        ({"username": "two words", "password": "long-enough", "role": "Op"}, "not valid"),
    ]
    for form, message in cases:
        response = admin_client.submit("/auth/users", form)
        assert response.status_code == 400, form
        assert message in response.get_data(as_text=True), form


def test_an_admin_cannot_delete_itself(webui: WebUI, admin_client: BatonClient) -> None:
    admin_client.submit("/auth/users/admin/delete")
    assert api.find_user(webui.settings, "admin") is not None


def _baton(
    webui: WebUI, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real ``baton`` command, in its own process."""
    full_env = {
        **os.environ,
        "BATON_HOME": str(webui.settings.home),
        "BATON_DATABASE_URL": webui.settings.database_url,
        **(env or {}),
    }
    return subprocess.run([BATON, *args], env=full_env, capture_output=True, text=True, timeout=120)


def _invoke(webui: WebUI, *args: str, env: dict[str, str] | None = None) -> Result:
    """The same command in this process (quicker; the code path is identical)."""
    full_env = {
        "BATON_HOME": str(webui.settings.home),
        "BATON_DATABASE_URL": webui.settings.database_url,
        **(env or {}),
    }
    return CliRunner().invoke(cli, list(args), env=full_env)


def test_cli_create_list_delete(webui: WebUI) -> None:
    env = {"NEW_PASSWORD": "from-the-env-1"}
    created = _invoke(
        webui,
        *("users", "create", "--username", "cli-user", "--role", "Viewer"),
        *("--password-from-env", "NEW_PASSWORD"),
        env=env,
    )
    assert created.exit_code == 0, created.output
    assert "from-the-env-1" not in created.output
    assert api.login(webui.settings, "cli-user", "from-the-env-1") is not None
    listing = _invoke(webui, "users", "list", "-o", "json")
    assert '"cli-user"' in listing.output and "scrypt" not in listing.output
    assert _invoke(webui, "users", "delete", "cli-user").exit_code == 0
    assert api.find_user(webui.settings, "cli-user") is None
    again = _baton(webui, "users", "delete", "cli-user")
    assert again.returncode == 1 and "no user 'cli-user'" in again.stderr


def test_cli_prompts_for_the_password_without_the_option(webui: WebUI) -> None:
    args = ("users", "create", "--username", "typed", "--role", "Op")
    result = CliRunner().invoke(
        cli,
        list(args),
        input="typed-password\ntyped-password\n",
        env={
            "BATON_HOME": str(webui.settings.home),
            "BATON_DATABASE_URL": webui.settings.database_url,
        },
    )
    assert result.exit_code == 0, result.output
    assert "typed-password" not in result.output
    assert api.login(webui.settings, "typed", "typed-password") is not None


def test_cli_generates_a_password_once_and_if_missing_keeps_it(webui: WebUI) -> None:
    args = [
        *("users", "create", "--username", "boss", "--role", "Admin"),
        *("--password-from-env", "UNSET_PASSWORD_VAR", "--if-missing"),
    ]
    first = _baton(webui, *args, env={"UNSET_PASSWORD_VAR": ""})
    assert first.returncode == 0, first.stderr
    password = first.stdout.strip().rsplit(" ", 1)[-1]
    assert len(password) >= 12
    assert api.login(webui.settings, "boss", password) is not None
    second = _invoke(webui, *args, env={"UNSET_PASSWORD_VAR": ""})
    assert second.exit_code == 0 and "already exists" in second.output
    assert password not in second.output
    assert api.login(webui.settings, "boss", password) is not None
