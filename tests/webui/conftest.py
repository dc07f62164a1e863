"""Shared fixtures of the web UI tests: a real app on a real, migrated SQLite BATON_HOME.

A template home is built once per test session: DAGs synced from a temporary DAG folder
(plus one broken file, for import errors), three users (one per role) with an API token
each, and runs executed for real in-process (``baton dags test``'s code): one success with
logs and XComs, one failure, one queued manual run. Each test gets its own copy of that
database (SQLite backup, a few milliseconds), so tests may change anything.

Fixtures:
- ``seed``: what the template holds (``Seed``: DAG ids, run ids, users, passwords, tokens).
- ``webui``: the per-test ``WebUI`` (app, settings, seed, ``client(role)``).
- ``admin_client`` / ``op_client`` / ``viewer_client``: logged-in ``BatonClient``s;
  ``anon_client``: not logged in. ``client.csrf`` is the session's CSRF token and
  ``client.submit(url, data)`` posts a form with it.
"""

from __future__ import annotations

import sqlite3
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from scheduler import api
from scheduler.api.local_run import run_dag_in_process
from scheduler.settings import Settings
from scheduler.store.db import make_engine
from scheduler.store.migrate import migrate
from webui import create_app
from webui.auth.csrf import SESSION_KEY as CSRF_SESSION_KEY
from webui.auth.identity import SESSION_LOGIN_AT_KEY, SESSION_USER_KEY

PASSWORDS = {"Admin": "admin-password-1", "Op": "op-password-12", "Viewer": "viewer-password-1"}
USERNAMES = {"Admin": "admin", "Op": "operator", "Viewer": "viewer"}
CONF_SECRET = "hunter2-very-secret"

ETL_DAG = """
from datetime import UTC, datetime
from scheduler import DAG, BashOperator, PythonOperator, task

def _extract(ti=None):
    print("extracting rows")
    ti.xcom_push(key="row_count", value=3)
    return {"rows": [1, 2, 3]}

with DAG(
    dag_id="demo_etl",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    params={"region": "eu"},
    tags=["demo", "example"],
    description="extract, transform, load",
) as dag:
    extract = PythonOperator(task_id="extract", python_callable=_extract)

    @task
    def transform(data: dict) -> int:
        print("transforming", data)
        return sum(data["rows"])

    load = BashOperator(task_id="load", bash_command="echo loading done")
    transform(extract.output) >> load
"""

FAIL_DAG = """
from datetime import UTC, datetime
from scheduler import DAG, BatonFailException, task

with DAG(dag_id="demo_fail", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=UTC),
         tags=["demo"]) as dag:
    @task
    def boom():
        print("about to fail")
        raise BatonFailException("this task always fails")

    @task
    def after():
        print("never runs")

    boom() >> after()
"""

BROKEN_DAG = """
# a DAG file for baton with a syntax error
from scheduler import DAG
with DAG(dag_id="demo_broken" as dag:
    pass
"""


@dataclass(frozen=True)
class Seed:
    """What the template database holds."""

    home: Path
    dags_folder: Path
    database: Path
    success_run: str  # demo_etl, every task succeeded (logs, XComs)
    failed_run: str  # demo_fail: boom failed, after upstream_failed
    queued_run: str  # demo_etl, triggered, never started (no scheduler)
    user_ids: dict[str, int] = field(default_factory=dict)  # role -> user id
    tokens: dict[str, str] = field(default_factory=dict)  # role -> API token value

    dag_ids = ("demo_etl", "demo_fail")


def _settings(home: Path, dags: Path, database: Path) -> Settings:
    env = {
        "BATON_HOME": str(home),
        "BATON_DAGS_FOLDER": str(dags),
        "BATON_DATABASE_URL": f"sqlite:///{database}",
        "BATON_PARALLELISM": "2",
        "BATON_DAG_FILE_IMPORT_TIMEOUT": "60",
    }
    return Settings.from_env(env)


@pytest.fixture(scope="session")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Seed:
    root = tmp_path_factory.mktemp("webui-template")
    dags, home = root / "dags", root / "home"
    dags.mkdir()
    for name, source in (("demo_etl.py", ETL_DAG), ("demo_fail.py", FAIL_DAG)):
        (dags / name).write_text(textwrap.dedent(source))
    (dags / "demo_broken.py").write_text(BROKEN_DAG)
    settings = _settings(home, dags, home / "baton.db")
    engine = make_engine(settings.database_url)
    migrate(engine)
    engine.dispose()
    api.sync_dags(settings)
    db = api.database(settings)
    conf = {"note": "seeded", "password": CONF_SECRET}
    ok = run_dag_in_process(settings, db, "demo_etl", conf=conf)
    failed = run_dag_in_process(settings, db, "demo_fail")
    queued = api.trigger_dag(
        settings, "demo_etl", run_id="queued_run", logical_date=datetime(2026, 2, 1, tzinfo=UTC)
    )
    assert (ok.state, failed.state) == ("success", "failed"), (ok, failed)
    user_ids, tokens = {}, {}
    for role, username in USERNAMES.items():
        user = api.create_user(settings, username, PASSWORDS[role], role)
        user_ids[role] = user.id
        tokens[role] = api.create_token(settings, user.id, f"{role} token", source="test")[1]
    db.dispose()
    return Seed(
        home, dags, home / "baton.db", ok.run_id, failed.run_id, queued.run_id, user_ids, tokens
    )


class BatonClient(FlaskClient):
    """A test client that knows its session's CSRF token."""

    csrf: str = ""

    def submit(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """POST a form the way the browser does: with the CSRF token."""
        return self.post(url, data={**(data or {}), "csrf_token": self.csrf}, **kwargs)

    def json_call(self, method: str, url: str, body: Any = None, **kwargs: Any) -> Any:
        """A JSON API call from the browser session (``X-CSRF-Token`` header)."""
        headers = {"X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return self.open(url, method=method, json=body, headers=headers, **kwargs)


@dataclass
class WebUI:
    app: Flask
    settings: Settings
    seed: Seed

    def client(self, role: str | None = None) -> BatonClient:
        """A client logged in with ``role`` ("Admin", "Op", "Viewer"), or anonymous (None)."""
        client = self.app.test_client()
        assert isinstance(client, BatonClient)
        client.csrf = f"test-csrf-{role}"
        with client.session_transaction() as session:
            session[CSRF_SESSION_KEY] = client.csrf
            if role is not None:
                session[SESSION_USER_KEY] = self.seed.user_ids[role]
                session[SESSION_LOGIN_AT_KEY] = time.time()
        return client

    def bearer(self, role: str) -> dict[str, str]:
        """Headers authenticating as ``role`` with its API token."""
        return {"Authorization": f"Bearer {self.seed.tokens[role]}"}


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (WAL included), via SQLite's backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


@pytest.fixture
def webui(seed: Seed, tmp_path: Path) -> Iterator[WebUI]:
    home = tmp_path / "home"
    copy_database(seed.database, home / "baton.db")
    settings = _settings(home, seed.dags_folder, home / "baton.db")
    app = create_app({"BATON_SETTINGS": settings, "TESTING": True})
    app.test_client_class = BatonClient
    yield WebUI(app, settings, seed)
    api.read_database(settings).dispose()
    api.database(settings).dispose()


@pytest.fixture
def admin_client(webui: WebUI) -> BatonClient:
    return webui.client("Admin")


@pytest.fixture
def op_client(webui: WebUI) -> BatonClient:
    return webui.client("Op")


@pytest.fixture
def viewer_client(webui: WebUI) -> BatonClient:
    return webui.client("Viewer")


@pytest.fixture
def anon_client(webui: WebUI) -> BatonClient:
    return webui.client(None)


# The mapped-DAG template and its per-test app (tests/webui/mapped_seed.py), for every test here.
from tests.webui.mapped_seed import mapped, mapped_webui  # noqa: E402, F401
