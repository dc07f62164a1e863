"""BATON_WEBUI_BIND: the web UI's address for ``baton webui``, ``baton standalone`` and
``make run`` (whose ``PORT=`` sets it); ``--bind`` still wins."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from scheduler.errors import ConfigError
from scheduler.settings import Settings
from tests.e2e.harness import BATON, Baton
from tests.e2e.webserver import free_port

REPO = Path(__file__).resolve().parents[2]
TINY_EXAMPLE = """
from scheduler import DAG, EmptyOperator

with DAG("tiny_example", schedule=None, tags=["example"]):
    EmptyOperator(task_id="noop")
"""


def test_the_default_is_localhost_8080_and_the_variable_sets_it() -> None:
    assert Settings.from_env({"BATON_HOME": "/tmp/x"}).webui_bind == "127.0.0.1:8080"
    for bind in ("0.0.0.0:9090", "[::1]:8081", "baton.example:80"):
        env = {"BATON_HOME": "/tmp/x", "BATON_WEBUI_BIND": bind}
        assert Settings.from_env(env).webui_bind == bind


@pytest.mark.parametrize("bad", ["8080", "localhost", ":8080", "host:0", "host:70000", "h:x"])
def test_a_bind_that_is_not_host_port_is_refused_with_an_example(bad: str) -> None:
    with pytest.raises(ConfigError, match=r"BATON_WEBUI_BIND=.* is not HOST:PORT; write e\.g\."):
        Settings.from_env({"BATON_HOME": "/tmp/x", "BATON_WEBUI_BIND": bad})


def test_a_bad_bind_option_names_the_option(baton: Baton) -> None:
    result = baton.cli("webui", "--bind", "localhost", check=False)
    assert result.returncode == 2
    assert "--bind='localhost' is not HOST:PORT" in result.stderr


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(f"{url}/health", timeout=2).close()
    except urllib.error.HTTPError:  # 503 while the scheduler is not (yet) healthy
        return True
    except OSError:
        return False
    return True


def _serve_until_answering(args: list[str], env: dict[str, str], cwd: Path, url: str, log: Path):
    """Start ``args`` in a process group of its own; return it once ``url`` answers."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{args} exited {process.returncode}:\n{log.read_text()}")
        if _answers(url):
            return process
        time.sleep(0.2)
    _stop_group(process)
    raise AssertionError(f"{url} never answered:\n{log.read_text()[-4000:]}")


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the group this test started (make, standalone and their children)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


@pytest.mark.e2e
def test_baton_webui_listens_where_the_setting_says(baton: Baton) -> None:
    port = free_port()
    env = {**baton.env, "BATON_WEBUI_BIND": f"127.0.0.1:{port}"}
    args = [BATON, "webui", "--workers", "1"]
    process = _serve_until_answering(
        args, env, baton.root, f"http://127.0.0.1:{port}", baton.root / "webui.log"
    )
    _stop_group(process)


@pytest.mark.e2e
def test_make_run_port_serves_standalone_there(tmp_path: Path) -> None:
    """``make run PORT=…``: migrate, sync, create the admin, then ``baton standalone`` (no
    ``--bind``) on 127.0.0.1:PORT. ``-o .venv/bin/baton``: the venv exists, do not rebuild."""
    port = free_port()
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "tiny.py").write_text(TINY_EXAMPLE)  # make run unpauses --tag example
    env = {
        **os.environ,
        "BATON_HOME": str(tmp_path / "home"),
        "BATON_DAGS_FOLDER": str(tmp_path / "dags"),
        "BATON_ADMIN_PASSWORD": "make-run-test-password",
        "BATON_PARALLELISM": "1",
    }
    env.pop("BATON_WEBUI_BIND", None)
    env.pop("MAKEFLAGS", None)
    args = ["make", "-s", "-o", ".venv/bin/baton", "run", f"PORT={port}"]
    url = f"http://127.0.0.1:{port}"
    process = _serve_until_answering(args, env, REPO, url, tmp_path / "make-run.log")
    try:
        assert f"web UI on http://127.0.0.1:{port}" in (tmp_path / "make-run.log").read_text()
    finally:
        _stop_group(process)
