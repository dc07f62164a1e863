"""Secrets are encrypted at rest with Fernet; the key is generated once; rotation works."""

from __future__ import annotations

import stat

import pytest
from cryptography.fernet import Fernet

from scheduler import Connection, Variable
from scheduler.connections import get_connection, manage
from scheduler.connections.crypto import key_file
from scheduler.errors import FernetKeyError
from scheduler.settings import Settings

from .support import use_home

SECRET = "correct-horse-battery-staple"


def _store_secrets(settings: Settings) -> None:
    manage.add_connection(
        settings, Connection("db", "postgres", "h", password=SECRET, extra={"token": SECRET})
    )
    Variable.set("db_password", SECRET)


def test_the_database_file_holds_no_secret_in_clear(home: Settings) -> None:
    _store_secrets(home)
    raw = b"".join(p.read_bytes() for p in home.home.glob("baton.db*"))
    assert raw  # the database (and its WAL) were written
    assert SECRET.encode() not in raw
    assert get_connection("db").password == SECRET
    assert Variable.get("db_password") == SECRET


def test_a_key_file_is_generated_once_private_to_its_owner(home: Settings) -> None:
    _store_secrets(home)
    path = key_file(home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_text()
    Variable.set("other", "x")
    assert path.read_text() == first


def test_rotating_the_generated_key_re_encrypts_everything(home: Settings) -> None:
    _store_secrets(home)
    old = key_file(home).read_text().split()
    rotation = manage.rotate_fernet_key(home)
    assert rotation.key_file_rotated and rotation.values == 3  # password, extra, variable
    new = key_file(home).read_text().split()
    assert len(new) == 1 and new != old
    assert get_connection("db").extra == {"token": SECRET}
    assert Variable.get("db_password") == SECRET


def test_rotation_with_new_old_env_keys_then_dropping_the_old(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings = use_home(monkeypatch, tmp_path, BATON_FERNET_KEY=old)
    _store_secrets(settings)
    assert not key_file(settings).exists()
    monkeypatch.setenv("BATON_FERNET_KEY", f"{new},{old}")
    rotation = manage.rotate_fernet_key(Settings.from_env())
    assert not rotation.key_file_rotated and rotation.values == 3
    monkeypatch.setenv("BATON_FERNET_KEY", new)
    assert get_connection("db").password == SECRET
    monkeypatch.setenv("BATON_FERNET_KEY", old)
    with pytest.raises(FernetKeyError, match=r"cannot decrypt the .* of connection 'db'"):
        get_connection("db")


def test_rotation_without_the_old_key_changes_nothing(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, other = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings = use_home(monkeypatch, tmp_path, BATON_FERNET_KEY=old)
    _store_secrets(settings)
    monkeypatch.setenv("BATON_FERNET_KEY", other)
    with pytest.raises(FernetKeyError, match="nothing was changed"):
        manage.rotate_fernet_key(Settings.from_env())
    monkeypatch.setenv("BATON_FERNET_KEY", old)
    assert get_connection("db").password == SECRET


def test_a_malformed_key_is_named(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_home(monkeypatch, tmp_path, BATON_FERNET_KEY=f"{Fernet.generate_key().decode()},short")
    with pytest.raises(FernetKeyError, match="key #2 in BATON_FERNET_KEY is not a Fernet key"):
        Variable.set("x", "y")
