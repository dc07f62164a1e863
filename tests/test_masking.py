"""The secrets masker, and the try's log capture that applies it to everything a task writes."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler.masking import (
    clear_secrets,
    is_sensitive_key,
    mask_secret,
    mask_sensitive_fields,
    redact,
    redact_value,
)
from scheduler.runner import capture_output
from scheduler.store.events import Event

SECRET = "s3cr3t-Value"


@pytest.fixture(autouse=True)
def _clean_registry() -> Iterator[None]:
    clear_secrets()
    yield
    clear_secrets()


def test_registered_values_are_replaced_wherever_they_appear() -> None:
    assert redact(f"a {SECRET} b") == f"a {SECRET} b"
    mask_secret(SECRET)
    assert redact(f"a {SECRET} b{SECRET}") == "a *** b***"
    assert redact("nothing here") == "nothing here"


def test_escaped_and_encoded_forms_and_each_line_of_a_multi_line_secret() -> None:
    mask_secret('pa"ss/wo rd\\x')
    mask_secret("-----BEGIN KEY-----\nAAAAbbbbCCCC\n-----END KEY-----")
    printed = [
        repr('pa"ss/wo rd\\x'),
        "pa%22ss%2Fwo%20rd%5Cx",
        "pa%22ss%2Fwo+rd%5Cx",
        "AAAAbbbbCCCC",
    ]
    for text in printed:
        assert "***" in redact(text) and text not in redact(text), text


def test_the_longest_secret_wins_when_one_contains_another() -> None:
    mask_secret("abcde")
    mask_secret("abcdefghij")
    assert redact("abcdefghij abcde") == "*** ***"


def test_short_values_are_not_masked_as_in_airflow() -> None:
    mask_secret("abc")
    mask_secret("")
    mask_secret(None)
    assert redact("abc is fine") == "abc is fine"


def test_sensitive_keys_and_nested_values() -> None:
    assert all(
        map(
            is_sensitive_key,
            [
                "password",
                "DB_PASSWORD",
                "api_key",
                "Authorization",
                "private_key",
                "client_secret",
                "access_token",
            ],
        )
    )
    assert not any(map(is_sensitive_key, ["host", "timeout", "region"]))
    mask_sensitive_fields(
        {"timeout": "123456", "auth": {"token": "tok-12345"}, "list": [{"secret": "sec-12345"}]}
    )
    assert redact("123456 tok-12345 sec-12345") == "123456 *** ***"
    assert redact_value({"Authorization": "Bearer zzz", "n": 5, "h": ["tok-12345"]}) == {
        "Authorization": "***",
        "n": 5,
        "h": ["***"],
    }


def test_concurrent_registration_and_redaction() -> None:
    errors: list[BaseException] = []

    def register(start: int) -> None:
        try:
            for i in range(start, start + 50):
                mask_secret(f"secret-{i:05d}")
                assert redact(f"x secret-{i:05d} y") == "x *** y"
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=register, args=(n * 1000,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_the_event_log_detail_is_redacted_before_insert() -> None:
    mask_secret(SECRET)
    from_event = Event("task_state", ts=None, source="t", detail=f"failed: {SECRET}")  # type: ignore[arg-type]
    assert from_event.row()["detail"] == "failed: ***"


# -- the try's log ---------------------------------------------------------------------------

CHILD = """
import logging, os, subprocess, sys
from scheduler.masking import mask_secret
from scheduler.runner import capture_output

secret = sys.argv[2]
with capture_output(sys.argv[1]) as log:
    mask_secret(secret)
    print("print", secret)
    print("stderr", secret, file=sys.stderr)
    os.write(1, f"fd1 {secret}\\n".encode())
    subprocess.run(["sh", "-c", f"echo shell {secret}; echo shell-err {secret} >&2"], check=True)
    logging.getLogger("task.code").warning("logging %s", secret)
    log.info("baton %s", secret)
    subprocess.Popen(["sh", "-c", "sleep 30"])  # a background child keeps the pipe open
    sys.stdout.write("no newline " + secret)
print("after the try")
"""


def test_everything_a_task_writes_is_redacted_in_order(tmp_path: Path) -> None:
    log_path = tmp_path / "try.log"
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(log_path), SECRET],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "after the try\n"  # fds restored, nothing leaked to the worker's
    log = log_path.read_text()
    assert SECRET not in log
    kinds = [
        line.split()[0] if not line.startswith("[") else line.split(" - ")[1].split()[0]
        for line in log.splitlines()
    ]
    assert kinds == ["print", "stderr", "fd1", "shell", "shell-err", "logging", "baton", "no"]
    assert log.count("***") == 8


def test_a_long_line_and_binary_output_are_written_whole(tmp_path: Path) -> None:
    mask_secret(SECRET)
    log_path = tmp_path / "try.log"
    blob = ("x" * 3_000_000) + SECRET
    with capture_output(log_path):
        print(blob)
        sys.stdout.flush()
        subprocess.run(["printf", "\\377\\376 binary\\n"], check=True)
    log = log_path.read_bytes()
    assert log.count(b"x") == 3_000_000
    assert SECRET.encode() not in log
    assert b"\xff\xfe binary\n" in log
