"""``baton pools``: set, get, list, delete, -o json and the one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from scheduler.cli import cli

BATON = str(Path(sys.executable).with_name("baton"))


def baton(env: dict[str, str], *args: str):
    return CliRunner().invoke(cli, list(args), env=env)


def test_set_creates_a_pool_that_list_and_get_show(env) -> None:
    result = baton(env, "pools", "set", "partner_api", "3", "Rate-limited partner API")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].split() == [
        "NAME",
        "SLOTS",
        "RUNNING_SLOTS",
        "QUEUED_SLOTS",
        "OPEN_SLOTS",
        "INCLUDE_DEFERRED",
        "RATE_LIMIT",
        "DESCRIPTION",
    ]
    rows = json.loads(baton(env, "pools", "list", "-o", "json").output)
    assert [(r["name"], r["slots"], r["open_slots"]) for r in rows] == [
        ("default_pool", 128, 128),
        ("partner_api", 3, 3),
    ]
    (got,) = json.loads(baton(env, "pools", "get", "partner_api", "-o", "json").output)
    assert got == {
        "name": "partner_api",
        "slots": 3,
        "occupied_slots": 0,
        "running_slots": 0,
        "queued_slots": 0,
        "scheduled_slots": 0,
        "deferred_slots": 0,
        "open_slots": 3,
        "description": "Rate-limited partner API",
        "include_deferred": False,
        "rate_limit": None,
    }


def test_set_again_changes_the_pool_and_include_deferred(env) -> None:
    baton(env, "pools", "set", "db", "2", "first")
    result = baton(env, "pools", "set", "db", "5", "second", "--include-deferred", "-o", "json")
    (row,) = json.loads(result.output)
    assert (row["slots"], row["description"], row["include_deferred"]) == (5, "second", True)


def test_delete_removes_a_pool_but_not_default_pool(env) -> None:
    baton(env, "pools", "set", "tmp", "1", "short-lived")
    result = baton(env, "pools", "delete", "tmp")
    assert (result.exit_code, result.output) == (0, "Deleted pool 'tmp'\n")
    names = [r["name"] for r in json.loads(baton(env, "pools", "list", "-o", "json").output)]
    assert names == ["default_pool"]
    refused = baton(env, "pools", "delete", "default_pool")
    assert refused.exit_code != 0
    assert "default_pool cannot be deleted" in str(refused.exception)


# The messages are the CLI's, the same on either back end, and three cold starts of `baton`
# are this file's slowest part: SQLite only.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_errors_are_one_line_with_the_fix_and_exit_1(env) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([BATON, *args], env=env, capture_output=True, text=True)

    missing = run("pools", "get", "nope")
    assert missing.returncode == 1
    assert missing.stderr.strip() == (
        "Error: pool 'nope' does not exist; `baton pools list` shows the pools, "
        "`baton pools set nope SLOTS DESCRIPTION` creates it"
    )
    negative = run("pools", "set", "p", "-5", "bad")
    assert negative.returncode == 1
    assert "slots=-5 must be an integer >= 0, or -1 for unlimited" in negative.stderr
    not_a_number = run("pools", "set", "p", "many", "bad")
    assert not_a_number.returncode == 2
    assert "'many' is not a valid integer" in not_a_number.stderr


def test_minus_one_slots_is_an_unlimited_pool(env) -> None:
    result = baton(env, "pools", "set", "free", "-1", "no limit", "-o", "json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert (row["slots"], row["open_slots"]) == (-1, -1)


def test_rate_limit_is_set_kept_cleared_and_checked(env) -> None:
    result = baton(env, "pools", "set", "api", "4", "partner", "--rate-limit", "10/s", "-o", "json")
    assert json.loads(result.output)[0]["rate_limit"] == "10/s"
    kept = baton(env, "pools", "set", "api", "6", "partner", "-o", "json")  # not given: kept
    assert json.loads(kept.output)[0]["rate_limit"] == "10/s"
    cleared = baton(
        env, "pools", "set", "api", "6", "partner", "--rate-limit", "none", "-o", "json"
    )
    assert json.loads(cleared.output)[0]["rate_limit"] is None
    bad = baton(env, "pools", "set", "api", "6", "partner", "--rate-limit", "10 per second")
    assert bad.exit_code != 0
    assert "pool 'api': rate_limit='10 per second' is not a rate limit" in str(bad.exception)
    assert '"10/s", "100/m" or "5/h"' in str(bad.exception)
