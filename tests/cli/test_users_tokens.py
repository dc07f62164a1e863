"""``baton users tokens create|list|revoke`` through the real CLI and the real web server:
the value is printed once and works as a Bearer token on the REST API; listings never show
it; a revoked token is refused; mistakes name the fix."""

from __future__ import annotations

import json

import pytest

from scheduler import api
from tests.e2e.harness import Baton
from tests.e2e.webserver import get, running_webui

pytestmark = pytest.mark.e2e


def make_user(baton: Baton, username: str, role: str = "Viewer") -> None:
    baton.env["BATON_TEST_PASSWORD"] = "a-long-test-password"
    baton.cli(
        "users", "create", "--username", username, "--role", role,
        "--password-from-env", "BATON_TEST_PASSWORD",
    )  # fmt: skip


def test_a_token_made_on_the_cli_is_shown_once_works_and_can_be_revoked(baton: Baton) -> None:
    make_user(baton, "grafana")
    created = baton.cli("users", "tokens", "create", "--username", "grafana", "--name", "dash")
    value = created.stdout.strip().splitlines()[-1]
    assert value.startswith("baton_") and "shown only this once" in created.stdout
    scripted = baton.cli_json("users", "tokens", "create", "--username", "grafana", "--name", "ci")
    assert scripted["name"] == "ci" and scripted["token"] != value

    listed = baton.cli_json("users", "tokens", "list")
    assert [(t["username"], t["name"]) for t in listed] == [("grafana", "dash"), ("grafana", "ci")]
    assert all(t["last_used_at"] is None for t in listed)
    table = baton.cli("users", "tokens", "list", "--username", "grafana").stdout
    assert value not in table and scripted["token"] not in table and "dash" in table

    with running_webui(baton) as url:
        status, body = get(f"{url}/api/v1/dags", value)
        assert status == 200 and "dags" in json.loads(body)
        assert get(f"{url}/api/v1/dags")[0] == 401  # no token, no entry
        used = baton.cli_json("users", "tokens", "list", "--username", "grafana")
        assert used[0]["last_used_at"] is not None

        dash_id = listed[0]["id"]
        out = baton.cli("users", "tokens", "revoke", str(dash_id), "--username", "grafana")
        assert f"Revoked API token {dash_id}" in out.stdout
        assert get(f"{url}/api/v1/dags", value)[0] == 401
        assert get(f"{url}/api/v1/dags", scripted["token"])[0] == 200
    remaining = baton.cli_json("users", "tokens", "list")
    assert [t["name"] for t in remaining] == ["ci"]
    events = [e.event for e in baton_events(baton)]
    assert events.count("token_create") == 2 and events.count("token_revoke") == 1


def test_mistakes_are_refused_with_the_fix(baton: Baton) -> None:
    make_user(baton, "ops")
    unknown = baton.cli("users", "tokens", "create", "--username", "nobody", "--name", "x",
                        check=False)  # fmt: skip
    assert unknown.returncode != 0 and "no user 'nobody'" in unknown.stderr
    assert "baton users list" in unknown.stderr
    blank = baton.cli("users", "tokens", "create", "--username", "ops", "--name", "  ",
                      check=False)  # fmt: skip
    assert blank.returncode != 0 and "1 to 100 characters" in blank.stderr
    other = baton.cli("users", "tokens", "revoke", "999", "--username", "ops", check=False)
    assert other.returncode != 0 and "user 'ops' has no API token 999" in other.stderr
    assert baton.cli_json("users", "tokens", "list") == []


def baton_events(baton: Baton) -> list:
    rows = api.events_page(baton.settings, filters={}, limit=100, offset=0).rows
    return rows
