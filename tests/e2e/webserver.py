"""The real ``baton webui`` process (gunicorn, one worker) beside a harness ``Baton``, for
end-to-end tests that call the web UI or the REST API over HTTP."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from tests.e2e.harness import BATON, Baton


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_webui(baton: Baton) -> Iterator[str]:
    """Start ``baton webui`` on a free port; yield its base URL once it answers."""
    url = f"http://127.0.0.1:{free_port()}"
    log = baton.root / "webui.log"
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [BATON, "webui", "--bind", url.removeprefix("http://"), "--workers", "1"],
            env=baton.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_answering(url, process, log.read_text)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_answering(url: str, process: subprocess.Popen[bytes], log: object) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"baton webui exited:\n{log()}")  # type: ignore[operator]
        try:
            urllib.request.urlopen(f"{url}/health", timeout=2).close()
            return
        except urllib.error.HTTPError:  # 503 without a scheduler: it answers all the same
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"baton webui did not answer /health:\n{log()}")  # type: ignore[operator]


def get(url: str, token: str | None = None) -> tuple[int, bytes]:
    """``GET url`` (with a Bearer token when given): the status and the body, never raising
    for an HTTP error status."""
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
