"""``baton connections``, ``baton variables`` and ``baton rotate-fernet-key``.

Commands run in-process through click's runner against a real BATON_HOME; one test runs the
installed ``baton`` executable to check the error line and exit status users see.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from scheduler.cli import cli
from scheduler.settings import Settings

SECRET = "Xq9-very-secret-pw"
TOKEN = "tok-4f2a9c1e"


def baton(*args: str, ok: bool = True) -> Result:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=True)
    if ok:
        assert result.exit_code == 0, (result.output, result.exception)
    return result


def add_api() -> None:
    baton(
        "connections",
        "add",
        "my_api",
        "--conn-type",
        "http",
        "--conn-host",
        "api.example.com",
        "--conn-port",
        "443",
        "--conn-login",
        "bob",
        "--conn-password",
        SECRET,
        "--conn-extra",
        json.dumps({"token": TOKEN, "timeout": "10"}),
    )


def test_add_get_list_delete_never_print_secrets(home: Settings) -> None:
    add_api()
    baton("connections", "add", "db", "--conn-uri", f"postgres://u:{SECRET}@db:5432/app")
    outputs = [
        baton("connections", "get", "my_api").output,
        baton("connections", "get", "db", "-o", "json").output,
        baton("connections", "list").output,
        baton("connections", "list", "-o", "json").output,
    ]
    for output in outputs:
        assert SECRET not in output and TOKEN not in output
    listed = json.loads(outputs[3])
    assert [(c["conn_id"], c["source"]) for c in listed] == [
        ("db", "database"),
        ("my_api", "database"),
    ]
    api = listed[1]
    assert (api["host"], api["port"], api["login"], api["password"]) == (
        "api.example.com",
        443,
        "bob",
        "***",
    )
    assert api["extra"] == {"token": "***", "timeout": "***"}
    baton("connections", "delete", "db")
    assert [
        c["conn_id"] for c in json.loads(baton("connections", "list", "-o", "json").output)
    ] == ["my_api"]


def test_list_shows_environment_connections_too(
    home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATON_CONN_FROM_ENV", f"http://u:{SECRET}@h")
    output = baton("connections", "list", "-o", "json").output
    assert SECRET not in output
    assert [(c["conn_id"], c["source"]) for c in json.loads(output)] == [("from_env", "env")]


def test_add_refuses_a_duplicate_and_ambiguous_options(home: Settings) -> None:
    add_api()
    again = baton("connections", "add", "my_api", "--conn-uri", "http://h", ok=False)
    assert "already exists" in str(again.exception)
    both = baton("connections", "add", "x", "--conn-uri", "http://h", "--conn-type", "y", ok=False)
    assert both.exit_code == 2 and "one way" in both.output
    neither = baton("connections", "add", "x", ok=False)
    assert neither.exit_code == 2 and "--conn-type" in neither.output


def test_test_uses_the_hook_registered_for_the_type(home: Settings) -> None:
    baton(
        "connections",
        "add",
        "greeter_default",
        "--conn-type",
        "greeter",
        "--conn-login",
        "ann",
        "--conn-extra",
        '{"greeting": "Hey"}',
    )
    result = baton("connections", "test", "greeter_default")
    assert result.output.startswith("OK: connection 'greeter_default' works: Hey, world!")
    baton(
        "connections", "add", "empty", "--conn-type", "greeter", "--conn-extra", '{"greeting": " "}'
    )
    failed = baton("connections", "test", "empty", "-o", "json", ok=False)
    assert failed.exit_code == 1 and json.loads(failed.output)["ok"] is False


def test_test_says_when_nothing_can_test_a_type(home: Settings) -> None:
    add_api()
    baton("connections", "add", "odd", "--conn-type", "no_such_type")
    result = baton("connections", "test", "odd", ok=False)
    assert "no plugin registers a hook for its type 'no_such_type'" in str(result.exception)


def test_variables_set_get_list_delete_mask_sensitive_values(home: Settings) -> None:
    baton("variables", "set", "region", "eu-west")
    baton("variables", "set", "partner_api_key", SECRET)
    baton("variables", "set", "cfg", json.dumps({"token": TOKEN, "n": 1}), "--json")
    assert baton("variables", "get", "region").output == "eu-west\n"
    assert baton("variables", "get", "partner_api_key").output == "***\n"
    assert baton("variables", "get", "partner_api_key", "--reveal").output == f"{SECRET}\n"
    for args in (
        ("variables", "list"),
        ("variables", "list", "-o", "json"),
        ("variables", "get", "cfg"),
    ):
        output = baton(*args).output
        assert SECRET not in output and TOKEN not in output
    assert baton("variables", "get", "nope", "--default", "d").output == "d\n"
    baton("variables", "delete", "region")
    assert "not set" in str(baton("variables", "get", "region", ok=False).exception)


def test_rotate_fernet_key_keeps_everything_readable(home: Settings) -> None:
    add_api()
    baton("variables", "set", "partner_api_key", SECRET)
    before = (home.home / "fernet.key").read_text()
    assert "re-encrypted 3 value(s)" in baton("rotate-fernet-key").output
    assert (home.home / "fernet.key").read_text() != before
    assert baton("variables", "get", "partner_api_key", "--reveal").output == f"{SECRET}\n"


def test_the_baton_executable_prints_one_error_line_and_exits_1(home: Settings) -> None:
    executable = str(Path(sys.executable).with_name("baton"))
    result = subprocess.run(
        [executable, "connections", "get", "missing"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert result.stderr.startswith("Error: connection 'missing' is not defined; add it with")
    assert result.stderr.count("\n") == 1
