"""XCom holding a secret: the masked form for everyone, the encrypted original for workers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from scheduler.masking import clear_secrets, mask_secret, redact
from scheduler.runner.xcom import InMemoryXComReader, TryXComs
from scheduler.runner.xcom_seal import seal, unseal
from scheduler.store.xcom import SealedXCom

PASSWORD = "S3cr3t-Pa55word"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("BATON_HOME", str(tmp_path))
    monkeypatch.delenv("BATON_FERNET_KEY", raising=False)
    clear_secrets()
    yield tmp_path
    clear_secrets()


def test_a_value_without_secrets_is_kept_as_it_is() -> None:
    text = json.dumps({"rows": [1, 2, 3], "name": "eu"})
    assert seal("return_value", text) == (text, None)


def test_a_known_secret_is_masked_and_the_original_comes_back_from_the_token() -> None:
    mask_secret(PASSWORD)
    value = {"dsn": f"postgres://app:{PASSWORD}@db/x", "rows": [1, 2]}
    shown, token = seal("return_value", json.dumps(value))
    assert json.loads(shown) == {"dsn": "postgres://app:***@db/x", "rows": [1, 2]}
    assert token is not None and PASSWORD not in token
    clear_secrets()  # a downstream worker that never read the connection
    assert unseal(SealedXCom(token)) == value
    assert redact(f"echo {PASSWORD}") == "echo ***"  # ...now masks it in its own log


def test_a_value_under_a_sensitive_key_is_masked_without_being_registered_first() -> None:
    shown, token = seal("return_value", json.dumps({"api_key": "k-123456", "n": 1}))
    assert json.loads(shown) == {"api_key": "***", "n": 1}
    assert token is not None
    shown, token = seal("db_password", json.dumps("plain-pw-123"))
    assert json.loads(shown) == "***"
    assert unseal(SealedXCom(token)) == "plain-pw-123"


def test_the_token_is_encrypted_with_the_connections_fernet_key(home: Path) -> None:
    mask_secret(PASSWORD)
    _, token = seal("return_value", json.dumps(PASSWORD))
    assert token is not None
    key = (home / "fernet.key").read_text().split()[0]
    payload = json.loads(Fernet(key.encode()).decrypt(token.encode()))
    assert payload == {"value": PASSWORD, "secrets": [PASSWORD]}


def test_a_try_sends_masked_values_and_sealed_originals_and_a_pull_unseals() -> None:
    mask_secret(PASSWORD)
    reader = InMemoryXComReader()
    pusher = TryXComs("d", "r", "fetch", reader)
    pusher.push("return_value", {"password": PASSWORD})
    pusher.push("plain", 42)
    shown, sealed = pusher.sealed()
    assert dict(shown) == {"return_value": '{"password": "***"}', "plain": "42"}
    assert [key for key, _ in sealed] == ["return_value"]
    assert PASSWORD not in repr(shown) + repr(sealed)
    reader.set("d", "r", "fetch", "return_value", SealedXCom(sealed[0][1]))
    reader.set("d", "r", "fetch", "plain", 42)
    puller = TryXComs("d", "r", "use", reader)
    assert puller.pull_one("d", "fetch", "return_value", None) == {"password": PASSWORD}
    assert puller.pull_one("d", "fetch", "plain", None) == 42
    # The pushing try itself still sees what it pushed.
    assert pusher.pull_one("d", "fetch", "return_value", None) == {"password": PASSWORD}
