"""A live Baton for browser tests: ``baton standalone`` (scheduler + web UI) on a free port,
driven by Debian's chromium through Playwright (never a downloaded browser).

``make test`` installs the ``chromium`` package when it is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.harness import BATON, Baton

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
ADMIN, PASSWORD = "admin", "browser-test-password"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveBaton:
    """The harness's Baton plus a ``baton standalone`` process and its base URL."""

    def __init__(self, baton: Baton, url: str, process: subprocess.Popen[bytes]) -> None:
        self.baton, self.url, self.process = baton, url, process


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"baton standalone exited:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"baton standalone did not answer /health:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveBaton]:
    baton = Baton(tmp_path_factory.mktemp("browser"))
    shutil.copy(ROOT / "dags" / "example_orders.py", baton.dags / "example_orders.py")
    shutil.copy(Path(__file__).with_name("xss_dag.py.txt"), baton.dags / "xss_dag.py")
    env = {**baton.env, "BATON_TEST_PASSWORD": PASSWORD}
    subprocess.run(
        [
            BATON,
            "users",
            "create",
            "--username",
            ADMIN,
            "--role",
            "Admin",
            "--password-from-env",
            "BATON_TEST_PASSWORD",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    url = f"http://127.0.0.1:{free_port()}"
    log = baton.root / "standalone.log"
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [BATON, "standalone", "--bind", url.removeprefix("http://"), "--workers", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(url, process, log)
        baton.wait_for_dag("example_orders", timeout=90)
        baton.wait_for_dag("xss_check", timeout=90)
        yield LiveBaton(baton, url, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install chromium`; "
            "`make test` does it). Never `playwright install`."
        )
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser: Browser, live: LiveBaton) -> Iterator[Page]:
    """A logged-in admin's page; any JavaScript dialog (alert...) is recorded on it."""
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    tab.dialogs = []  # type: ignore[attr-defined]
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))  # type: ignore[attr-defined]
    tab.goto(f"{live.url}/auth/login")
    tab.fill("#username", ADMIN)
    tab.fill("#password", PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_selector("#dag-table")
    try:
        yield tab
    finally:
        context.close()


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
