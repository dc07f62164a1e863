"""``baton users reset-password`` through the real CLI: the new password logs in, the old
one no longer does, a generated one is printed once, the event log records the reset (and
never the password), and an unknown user is refused with the fix."""

from __future__ import annotations

import pytest

from scheduler import api
from tests.cli.test_users_tokens import baton_events, make_user
from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e

OLD = "a-long-test-password"  # make_user's


def test_reset_password_from_env_replaces_the_old_one(baton: Baton) -> None:
    make_user(baton, "lost_admin", "Admin")
    baton.env["NEW_PW"] = "the-new-password-1"
    out = baton.cli(
        "users", "reset-password", "--username", "lost_admin", "--password-from-env", "NEW_PW"
    )
    assert "Reset the password of user 'lost_admin'" in out.stdout
    assert "the-new-password-1" not in out.stdout + out.stderr
    assert api.login(baton.settings, "lost_admin", "the-new-password-1") is not None
    assert api.login(baton.settings, "lost_admin", OLD) is None
    resets = [e for e in baton_events(baton) if e.event == "user_password"]
    assert len(resets) == 1 and resets[0].source.startswith("cli:")
    assert "the-new-password-1" not in (resets[0].detail or "")


def test_reset_password_generates_one_when_the_variable_is_empty(baton: Baton) -> None:
    make_user(baton, "ops")
    baton.env["EMPTY_PW"] = ""
    out = baton.cli(
        "users", "reset-password", "--username", "ops", "--password-from-env", "EMPTY_PW"
    )
    generated = out.stdout.strip().splitlines()[-1].rsplit(": ", 1)[-1]
    assert "generated" in out.stdout and len(generated) >= 12
    assert api.login(baton.settings, "ops", generated) is not None


def test_reset_password_of_an_unknown_user_names_the_fix(baton: Baton) -> None:
    baton.env["NEW_PW"] = "the-new-password-1"
    out = baton.cli(
        "users", "reset-password", "--username", "nobody", "--password-from-env", "NEW_PW",
        check=False,
    )  # fmt: skip
    assert out.returncode != 0
    assert "no user 'nobody'; see the existing ones with baton users list" in out.stderr


def test_a_too_short_password_is_refused(baton: Baton) -> None:
    make_user(baton, "viewer1")
    baton.env["SHORT_PW"] = "short"
    out = baton.cli(
        "users", "reset-password", "--username", "viewer1", "--password-from-env", "SHORT_PW",
        check=False,
    )  # fmt: skip
    assert out.returncode != 0 and "use at least 8" in out.stderr
    assert api.login(baton.settings, "viewer1", OLD) is not None
