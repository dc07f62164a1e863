"""A seeded web UI with a mapped DAG: the fixtures of the mapped-instance tests.

``demo_map``: ``numbers`` returns [0..5], ``square`` is mapped over them (instance 4 fails,
so the run fails with "success 5/6, failed 1"), ``total`` sums them (upstream_failed);
``load`` is an unmapped task beside them. A second run is queued and never started: its
``square`` is still the single unexpanded row (map_index -1).

Built once per session like tests/webui/conftest.py's template, copied per test;
tests/webui/conftest.py imports the fixtures, so every web UI test can ask for them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler import api
from scheduler.api.local_run import run_dag_in_process
from scheduler.store.db import make_engine
from scheduler.store.migrate import migrate
from tests.webui.conftest import (
    PASSWORDS,
    USERNAMES,
    BatonClient,
    Seed,
    WebUI,
    _settings,
    copy_database,
)
from webui import create_app

MAP_DAG = """
from datetime import UTC, datetime
from scheduler import BatonFailException, DAG, BashOperator, task

with DAG(dag_id="demo_map", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=UTC)):
    @task
    def numbers():
        return list(range(6))

    @task
    def square(x):
        print(f"squaring {x}")
        if x == 4:
            raise BatonFailException("four is unlucky")
        return x * x

    @task
    def total(values):
        return sum(values)

    total(square.expand(x=numbers()))
    BashOperator(task_id="load", bash_command="echo loading")
"""


@dataclass(frozen=True)
class MappedSeed:
    seed: Seed
    run_id: str  # demo_map: square[0..5], square[4] failed
    queued_run: str  # demo_map, never started: square not expanded


@pytest.fixture(scope="session")
def mapped(tmp_path_factory: pytest.TempPathFactory) -> MappedSeed:
    root = tmp_path_factory.mktemp("webui-mapped")
    dags, home = root / "dags", root / "home"
    dags.mkdir()
    (dags / "demo_map.py").write_text(textwrap.dedent(MAP_DAG))
    settings = _settings(home, dags, home / "baton.db")
    engine = make_engine(settings.database_url)
    migrate(engine)
    engine.dispose()
    api.sync_dags(settings)
    db = api.database(settings)
    report = run_dag_in_process(settings, db, "demo_map")
    assert report.state == "failed", report
    queued = api.trigger_dag(
        settings, "demo_map", run_id="queued_map", logical_date=datetime(2026, 3, 1, tzinfo=UTC)
    )
    user_ids, tokens = {}, {}
    for role, username in USERNAMES.items():
        user = api.create_user(settings, username, PASSWORDS[role], role)
        user_ids[role] = user.id
        tokens[role] = api.create_token(settings, user.id, f"{role} token", source="test")[1]
    db.dispose()
    seed = Seed(home, dags, home / "baton.db", report.run_id, "", queued.run_id, user_ids, tokens)
    return MappedSeed(seed, report.run_id, queued.run_id)


@pytest.fixture
def mapped_webui(mapped: MappedSeed, tmp_path: Path) -> Iterator[WebUI]:
    home = tmp_path / "home"
    copy_database(mapped.seed.database, home / "baton.db")
    settings = _settings(home, mapped.seed.dags_folder, home / "baton.db")
    app = create_app({"BATON_SETTINGS": settings, "TESTING": True})
    app.test_client_class = BatonClient
    yield WebUI(app, settings, mapped.seed)
    api.read_database(settings).dispose()
    api.database(settings).dispose()
