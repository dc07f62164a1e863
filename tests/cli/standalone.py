"""``baton standalone`` as a real process for tests: started in a folder of the test's
choosing (its current directory matters: ``./plugins``), on a free port, with a logged-in
``requests`` session for its pages, and stopped with SIGTERM."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import psutil
import requests

from tests.e2e.harness import BATON, Baton

USER, PASSWORD = "admin", "standalone-test-password"
DEADLINE_S = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Standalone:
    """``baton standalone`` for ``baton`` (its home, DAG folder, database), run in ``cwd``."""

    def __init__(self, baton: Baton, cwd: Path) -> None:
        self.baton, self.cwd = baton, cwd
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = baton.root / "standalone.log"
        self.process: subprocess.Popen[bytes] | None = None
        env = {"BATON_TEST_PASSWORD": PASSWORD}
        create = ["users", "create", "--username", USER, "--role", "Admin"]
        subprocess.run(
            [BATON, *create, "--password-from-env", "BATON_TEST_PASSWORD"],
            env={**baton.env, **env},
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        args = [BATON, "standalone", "--bind", f"127.0.0.1:{self.port}", "--workers", "1"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                args, cwd=self.cwd, env=self.baton.env, stdout=out, stderr=subprocess.STDOUT
            )

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_until(self, what: str, condition, timeout: float = DEADLINE_S):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, (
                f"baton standalone exited with {self.process and self.process.returncode}:\n"
                f"{self.text()[-4000:]}"
            )
            value = condition()
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}:\n{self.text()[-4000:]}")

    def health(self) -> dict | None:
        try:
            response = requests.get(f"{self.url}/health", timeout=5)
        except requests.RequestException:
            return None
        return response.json() if response.status_code in (200, 503) else None

    def wait_healthy(self) -> dict:
        def healthy() -> dict | None:
            body = self.health()
            return body if body and body["scheduler"]["status"] == "healthy" else None

        return self.wait_until("/health to say the scheduler is healthy", healthy)

    def login(self) -> requests.Session:
        session = requests.Session()
        page = session.get(f"{self.url}/auth/login", timeout=10).text
        token = re.search(r'name="csrf_token"\s+value="([^"]+)"', page)
        form = {"username": USER, "password": PASSWORD}
        if token:
            form["csrf_token"] = token.group(1)
        answer = session.post(f"{self.url}/auth/login", data=form, timeout=10)
        assert answer.status_code == 200 and "/auth/login" not in answer.url, answer.text[:500]
        return session

    def children(self) -> list[psutil.Process]:
        assert self.process is not None
        return psutil.Process(self.process.pid).children(recursive=False)

    def child(self, name: str) -> psutil.Process:
        """The direct child running ``baton NAME`` (scheduler, webui)."""
        for process in self.children():
            try:
                if process.cmdline()[3:4] == [name]:  # python -c CODE NAME ...
                    return process
            except psutil.NoSuchProcess:  # gone, or a zombie not reaped yet
                continue
        raise AssertionError(f"no {name} child running")

    def stop(self) -> int:
        assert self.process is not None
        everything = psutil.Process(self.process.pid).children(recursive=True)
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=DEADLINE_S)
        left = [p for p in everything if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert left == [], f"children left running: {[p.cmdline() for p in left]}"
        return code

    def kill(self) -> None:
        """Kill everything (a failed test's clean-up)."""
        if self.process is None or self.process.poll() is not None:
            return
        for process in psutil.Process(self.process.pid).children(recursive=True):
            process.kill()
        self.process.kill()
        self.process.wait()
