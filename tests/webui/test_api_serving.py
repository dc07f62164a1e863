"""The real servers: ``baton webui`` (gunicorn) and ``baton standalone`` (scheduler + web
UI), started as processes on a free loopback port and stopped with SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import pytest

from scheduler import api
from tests.webui.conftest import WebUI

BATON = str(Path(sys.executable).with_name("baton"))
DEADLINE_S = 90.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _wait_for(url: str, wanted: set[int], process: subprocess.Popen[bytes]) -> tuple[int, Any]:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the server exited with {process.returncode}"
        try:
            status, body = _get(url)
        except (urllib.error.URLError, ConnectionError):
            status, body = 0, None
        if status in wanted:
            return status, body
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer {wanted} within {DEADLINE_S}s")


@contextmanager
def _baton(webui: WebUI, *args: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "BATON_HOME": str(webui.settings.home),
        "BATON_DAGS_FOLDER": str(webui.settings.dags_folder),
        "BATON_DATABASE_URL": webui.settings.database_url,
        "BATON_PARALLELISM": "1",
    }
    with log.open("wb") as out:
        process = subprocess.Popen([BATON, *args], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            for child in psutil.Process(process.pid).children(recursive=True):
                child.kill()
            process.kill()
            process.wait()


def _stop(process: subprocess.Popen[bytes], log: Path) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=DEADLINE_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"did not stop on SIGTERM:\n{log.read_text()[-3000:]}")


def test_baton_webui_serves_the_app_with_gunicorn(webui: WebUI, tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "webui.log"
    with _baton(webui, "webui", "--bind", f"127.0.0.1:{port}", "--workers", "1", log=log) as proc:
        status, body = _wait_for(f"http://127.0.0.1:{port}/health", {200, 503}, proc)
        assert status == 503 and body["metadatabase"]["status"] == "healthy"
        auth = {"Authorization": f"Bearer {webui.seed.tokens['Viewer']}"}
        status, body = _get(f"http://127.0.0.1:{port}/api/v1/dags", auth)
        assert status == 200 and body["total_entries"] == 2
        assert _get(f"http://127.0.0.1:{port}/api/v1/dags")[0] == 401
        assert _stop(proc, log) == 0
    output = log.read_text()
    assert webui.seed.tokens["Viewer"] not in output  # the access log shows no secrets


def test_standalone_runs_scheduler_and_webui_and_stops_both(webui: WebUI, tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "standalone.log"
    args = ("standalone", "--bind", f"127.0.0.1:{port}", "--workers", "1")
    with _baton(webui, *args, log=log) as proc:
        _, body = _wait_for(f"http://127.0.0.1:{port}/health", {200}, proc)
        assert body["scheduler"]["status"] == "healthy"
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 3  # scheduler, gunicorn master, a worker (and more)
        assert _stop(proc, log) == 0, log.read_text()[-3000:]
    gone = [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    assert gone == [], "children left running after standalone stopped"
    job = api.scheduler_health(webui.settings)["scheduler"]
    assert job["status"] == "unhealthy"  # the scheduler recorded its clean stop
