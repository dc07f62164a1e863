"""``SqlHook`` directly, connection types, and the statement splitter."""

from __future__ import annotations

import pytest

from plugins.sql import SqlError, SqlHook, split_sql
from scheduler.breakers import CircuitBreaker

from .conftest import Db


def test_get_records_and_get_first_with_bind_parameters(dags, db: Db) -> None:
    hook = SqlHook("wh")
    hook.run(
        f"INSERT INTO {db.table} VALUES (:id, :name, :amount)",
        autocommit=True,
        parameters={"id": 1, "name": "o'brien", "amount": 3},
    )
    assert hook.get_records(f"SELECT id, name FROM {db.table}") == [(1, "o'brien")]
    assert hook.get_first(f"SELECT name FROM {db.table} WHERE id = :id", {"id": 1}) == ("o'brien",)
    assert (
        hook.get_uri()
        .render_as_string(hide_password=True)
        .startswith("postgresql+psycopg://" if db.kind == "postgres" else "mysql+pymysql://")
    )


def test_positional_parameters_are_refused_with_an_example(dags, db: Db) -> None:
    with pytest.raises(SqlError, match=r"must be a dict of named bind parameters"):
        SqlHook("wh").run(f"SELECT * FROM {db.table} WHERE id = %s", parameters=[1])


def test_an_unreachable_database_opens_the_breaker(dags, monkeypatch) -> None:
    monkeypatch.setenv(
        "BATON_CONN_DOWN",
        "postgres://postgres@127.0.0.1:1/test?breaker_failure_threshold=2",
    )
    for _ in range(2):
        with pytest.raises(Exception, match=r"127\.0\.0\.1"):
            SqlHook("down").get_records("SELECT 1")
    view = CircuitBreaker("down").read()
    assert view is not None and view.state == "open"


def test_an_unknown_connection_type_says_which_exist(dags, monkeypatch) -> None:
    monkeypatch.setenv("BATON_CONN_ODD", "oracle://u@h/db")
    with pytest.raises(SqlError, match=r"conn_type 'oracle'.*use one of mariadb, mysql"):
        SqlHook("odd").get_uri()


def test_split_sql_keeps_quoted_and_commented_semicolons() -> None:
    script = """
        INSERT INTO t VALUES ('a;b', "c;d");  -- a comment; with a semicolon
        /* block; comment */ SELECT 1;
        CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;
        SELECT 'it''s; fine';
        -- only a comment;
    """
    assert split_sql(script) == [
        "INSERT INTO t VALUES ('a;b', \"c;d\")",
        "/* block; comment */ SELECT 1",
        "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql",
        "SELECT 'it''s; fine'",
    ]
