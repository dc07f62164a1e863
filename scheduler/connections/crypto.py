"""The Fernet key that encrypts connection passwords, extras and variable values at rest.

Where the key comes from, as in Airflow: ``BATON_FERNET_KEY`` (a comma-separated list, newest
first: ``"new,old"`` decrypts with either and encrypts with ``new``), else the file
``$BATON_HOME/fernet.key`` (mode 0600), generated on first use so that a fresh install
encrypts from day one. The file holds one key per line, newest first, in the same roles.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from scheduler.errors import FernetKeyError
from scheduler.settings import Settings

KEY_FILE_NAME = "fernet.key"


def key_file(settings: Settings) -> Path:
    return settings.home / KEY_FILE_NAME


def key_source(settings: Settings) -> str:
    """Where the keys come from, for messages: the variable or the file's path."""
    return "BATON_FERNET_KEY" if settings.fernet_key.strip() else str(key_file(settings))


def load_keys(settings: Settings) -> list[str]:
    """The keys, newest first; generates the key file when there is no key anywhere."""
    if settings.fernet_key.strip():
        return _split(settings.fernet_key)
    path = key_file(settings)
    if not path.exists():
        _create_key_file(path, [Fernet.generate_key().decode()])
    return _split(path.read_text())


def get_fernet(settings: Settings) -> MultiFernet:
    """The ``MultiFernet`` over ``load_keys``; ``FernetKeyError`` names a malformed key."""
    keys = load_keys(settings)
    if not keys:
        raise FernetKeyError(
            f"{key_source(settings)} holds no key; set BATON_FERNET_KEY to the output of "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key()"
            ".decode())'` or delete the empty file to have one generated"
        )
    fernets = []
    for position, key in enumerate(keys, 1):
        try:
            fernets.append(Fernet(key.encode()))
        except ValueError:
            raise FernetKeyError(
                f"key #{position} in {key_source(settings)} is not a Fernet key (32 url-safe "
                "base64-encoded bytes); generate one with Fernet.generate_key()"
            ) from None
    return MultiFernet(fernets)


def encrypt(fernet: MultiFernet, text: str | None) -> str | None:
    return None if text is None else fernet.encrypt(text.encode()).decode()


def decrypt(fernet: MultiFernet, token: str | None, what: str, settings: Settings) -> str | None:
    """Decrypt ``token`` (the stored value of ``what``); say which key to restore if none fits."""
    if token is None:
        return None
    try:
        return fernet.decrypt(token.encode()).decode()
    except InvalidToken:
        raise FernetKeyError(
            f"cannot decrypt {what} with the key(s) in {key_source(settings)}: it was "
            "encrypted with another key. Put that key back (after the new one: "
            "BATON_FERNET_KEY='new,old'), or set the value again"
        ) from None


def write_key_file(settings: Settings, keys: list[str]) -> None:
    """Replace the key file atomically (0600): readers see the old or the new list."""
    path = key_file(settings)
    tmp = path.with_name(f".{KEY_FILE_NAME}.{os.getpid()}.tmp")
    _write_private(tmp, keys)
    os.replace(tmp, path)


def _create_key_file(path: Path, keys: list[str]) -> None:
    # Two processes may start at once on a fresh home: link() fails for the second, which
    # then reads the first one's key instead of overwriting it.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{KEY_FILE_NAME}.{os.getpid()}.tmp")
    _write_private(tmp, keys)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _write_private(path: Path, keys: list[str]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("\n".join(keys) + "\n")
    os.chmod(path, 0o600)  # O_CREAT's mode is filtered by the umask; the file may have existed


def _split(text: str) -> list[str]:
    return [k.strip() for k in text.replace("\n", ",").split(",") if k.strip()]
