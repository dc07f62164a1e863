"""Finding connections and variables: BATON_CONN_* / BATON_VAR_* first, then the database."""

from __future__ import annotations

import pytest

from scheduler import BaseHook, Connection, Variable
from scheduler.connections import get_connection, manage
from scheduler.errors import ConnectionNotFoundError, DatabaseNotReadyError, VariableNotFoundError
from scheduler.masking import clear_secrets, redact
from scheduler.settings import Settings


def test_a_stored_connection_is_found_and_its_secrets_masked(home: Settings) -> None:
    manage.add_connection(
        home,
        Connection(
            "api",
            "http",
            "h",
            login="u",
            password="hunter22",
            extra={"api_key": "k3y-value", "timeout": "10"},
        ),
    )
    conn = BaseHook.get_connection("api")
    assert (conn.password, conn.extra) == ("hunter22", {"api_key": "k3y-value", "timeout": "10"})
    assert redact("pw=hunter22 key=k3y-value t=10") == "pw=*** key=*** t=10"


def test_the_environment_wins_over_the_database(
    home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    manage.add_connection(home, Connection("api", "http", "from-db"))
    monkeypatch.setenv("BATON_CONN_API", "http://from-env:81")
    assert get_connection("api").host == "from-env"
    monkeypatch.setenv("BATON_CONN_API", '{"conn_type": "http", "host": "json-env"}')
    assert get_connection("api").host == "json-env"


def test_an_id_with_dashes_may_use_underscores_in_the_variable_name(
    home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATON_CONN_MY_API", "http://h")
    assert get_connection("my-api").host == "h"


def test_an_unknown_connection_says_how_to_add_it(home: Settings) -> None:
    with pytest.raises(ConnectionNotFoundError) as info:
        BaseHook.get_connection("nope-1")
    message = str(info.value)
    assert "'nope-1'" in message
    assert "baton connections add nope-1" in message and "BATON_CONN_NOPE_1" in message


def test_variables_env_first_then_database_with_json_and_defaults(
    home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    Variable.set("region", "eu")
    Variable.set("cfg", {"a": {"b": [1, 2]}}, serialize_json=True)
    assert Variable.get("region") == "eu"
    assert Variable.get("cfg", deserialize_json=True) == {"a": {"b": [1, 2]}}
    monkeypatch.setenv("BATON_VAR_REGION", "us")
    assert Variable.get("region") == "us"
    assert Variable.get("missing", default="d") == "d"
    assert Variable.get("missing", default_var=None) is None
    with pytest.raises(KeyError):
        Variable.get("missing")
    with pytest.raises(VariableNotFoundError, match="baton variables set missing"):
        Variable.get("missing")
    assert Variable.delete("cfg") and not Variable.delete("cfg")


def test_sensitive_variables_are_masked_once_read(home: Settings) -> None:
    Variable.set("partner_api_key", "abc-123-xyz")
    Variable.set("settings", '{"url": "https://x", "token": "t-0-k-e-n"}')
    Variable.set("region", "europe-west")
    Variable.get("partner_api_key"), Variable.get("settings"), Variable.get("region")
    assert redact("abc-123-xyz t-0-k-e-n europe-west") == "*** *** europe-west"


def test_a_database_without_the_tables_says_to_migrate(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATON_HOME", str(tmp_path))
    monkeypatch.setenv("BATON_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(DatabaseNotReadyError, match="baton db migrate"):
        get_connection("anything")


def test_a_process_can_learn_every_stored_secret_at_once(
    home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    manage.add_connection(home, Connection("a", "http", password="pw-stored-1"))
    manage.set_variable(home, "vendor_token", "tok-stored-2")
    monkeypatch.setenv("BATON_CONN_B", "http://u:pw-env-3@h")
    assert redact("pw-stored-1 tok-stored-2 pw-env-3") == "pw-stored-1 tok-stored-2 pw-env-3"
    manage.mask_stored_secrets(home)
    assert redact("pw-stored-1 tok-stored-2 pw-env-3") == "*** *** ***"


def test_changed_secrets_are_learnt_again_only_when_something_changed(
    home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Settings] = []
    learn = manage.mask_stored_secrets
    monkeypatch.setattr(manage, "mask_stored_secrets", lambda s: calls.append(s) or learn(s))
    manage.add_connection(home, Connection("a", "http", password="pw-first-1"))
    manage.mask_changed_secrets(home)
    manage.mask_changed_secrets(home)  # nothing changed: nothing decrypted again
    assert len(calls) == 1 and redact("pw-first-1") == "***"
    manage.delete_connection(home, "a")  # the same id and count again: a new update time
    manage.add_connection(home, Connection("a", "http", password="pw-changed-2"))
    manage.mask_changed_secrets(home)
    assert len(calls) == 2 and redact("pw-changed-2") == "***"
    monkeypatch.setenv("BATON_VAR_API_TOKEN", "tok-from-env-3")
    manage.mask_changed_secrets(home)
    assert len(calls) == 3 and redact("tok-from-env-3") == "***"
    clear_secrets()  # the masker forgot: learn them all again
    manage.mask_changed_secrets(home)
    assert len(calls) == 4 and redact("pw-changed-2 tok-from-env-3") == "*** ***"
