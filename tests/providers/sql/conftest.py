"""The SQL provider against the real PostgreSQL and MariaDB (a missing server fails).

Each test gets a table of its own (``baton_sql_<random>``) in database ``test``, dropped
afterwards, so tests sharing those databases never see each other's rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from scheduler.store.db import make_engine
from scheduler.store.migrate import migrate
from tests.runner.support import DagFolder

SERVERS = {
    "postgres": (
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        "postgres://postgres@127.0.0.1:5432/test",
    ),
    "mariadb": ("mysql+pymysql://root@127.0.0.1:3306/test", "mysql://root@127.0.0.1:3306/test"),
}


@dataclass
class Db:
    """A server with a fresh table ``table`` (id, name, amount), written ``{t}`` in SQL."""

    kind: str
    engine: Engine
    table: str

    def execute(self, sql: str, **params: object) -> None:
        with self.engine.begin() as connection:
            connection.execute(text(sql.format(t=self.table)), params)

    def rows(self, sql: str) -> list[tuple]:
        with self.engine.connect() as connection:
            return [tuple(r) for r in connection.execute(text(sql.format(t=self.table)))]


@pytest.fixture(params=sorted(SERVERS))
def db(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Db]:
    sqlalchemy_url, conn_uri = SERVERS[request.param]
    monkeypatch.setenv("BATON_CONN_WH", conn_uri)
    engine = create_engine(sqlalchemy_url)
    database = Db(request.param, engine, f"baton_sql_{uuid.uuid4().hex[:10]}")
    database.execute(
        "CREATE TABLE {t} (id INTEGER PRIMARY KEY, name VARCHAR(50), amount NUMERIC(10, 2))"
    )
    try:
        yield database
    finally:
        database.execute("DROP TABLE IF EXISTS {t}")
        engine.dispose()


@pytest.fixture
def dags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DagFolder:
    """A DAG folder, and a migrated Baton database (where the connection's breaker lives)."""
    url = f"sqlite:///{tmp_path / 'baton.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    monkeypatch.setenv("BATON_DATABASE_URL", url)
    return DagFolder(tmp_path)
