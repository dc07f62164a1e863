"""Split scripts (sqlparse) run statement by statement on the real PostgreSQL and MariaDB."""

from __future__ import annotations

import pytest

from plugins.sql import SqlHook, split_sql
from plugins.sql.hook import fetch_all_handler

from .conftest import Db


def test_comment_only_fragments_stray_semicolons_and_trailing_comments_go() -> None:
    script = "SELECT 1;; -- after\n/* only a comment; */\n;\n-- last;\nSELECT 2 -- no semicolon"
    assert split_sql(script) == ["SELECT 1", "-- last;\nSELECT 2"]
    assert split_sql("  \n-- nothing;\n") == []


def test_comments_inside_a_statement_and_hints_are_kept() -> None:
    script = "-- why\nSELECT /*+ NO_INDEX(t) */ id -- the key\nFROM t;"
    assert split_sql(script) == ["-- why\nSELECT /*+ NO_INDEX(t) */ id -- the key\nFROM t"]


def test_a_begin_end_body_is_one_statement() -> None:
    script = "CREATE PROCEDURE p() BEGIN INSERT INTO t VALUES (1); SELECT 2; END;\nCALL p();"
    assert split_sql(script) == [
        "CREATE PROCEDURE p() BEGIN INSERT INTO t VALUES (1); SELECT 2; END",
        "CALL p()",
    ]


def _run_script(db: Db, script: str) -> list[list[tuple]]:
    results = SqlHook("wh").run(
        script.format(t=db.table),
        autocommit=True,
        handler=fetch_all_handler,
        split_statements=True,
        return_last=False,
    )
    return [[tuple(row) for row in rows] if rows is not None else None for rows in results]


def test_quoted_and_commented_semicolons_on_both_servers(dags, db: Db) -> None:
    quote = '"' if db.kind == "postgres" else "`"
    script = f"""
        -- load two rows; then read them back
        INSERT INTO {{t}} (id, name) VALUES (1, 'a;b'); /* a ; in a comment */
        INSERT INTO {{t}} ({quote}id{quote}, name) VALUES (2, 'it''s; fine');
        SELECT name FROM {{t}} ORDER BY id; -- trailing; comment
    """
    results = _run_script(db, script)
    assert results[-1] == [("a;b",), ("it's; fine",)]
    assert len(results) == 3


def test_a_postgres_function_in_dollar_quotes(dags, db: Db) -> None:
    if db.kind != "postgres":
        pytest.skip("dollar quotes and plpgsql are PostgreSQL's")
    name = f"{db.table}_f"
    script = f"""
        CREATE FUNCTION {name}(n int) RETURNS int AS $body$
            BEGIN
                INSERT INTO {{t}} (id, name) VALUES (n, 'from; f');
                RETURN n * 2;
            END;
        $body$ LANGUAGE plpgsql;
        DO $$ BEGIN PERFORM {name}(5); END $$;
        SELECT {name}(6);
        SELECT id, name FROM {{t}} ORDER BY id;
        DROP FUNCTION {name}(int);
    """
    results = _run_script(db, script)
    assert results[2] == [(12,)]
    assert results[3] == [(5, "from; f"), (6, "from; f")]


def test_a_mariadb_procedure_without_delimiter(dags, db: Db) -> None:
    if db.kind != "mariadb":
        pytest.skip("CREATE PROCEDURE ... BEGIN ... END is MariaDB's syntax here")
    name = f"{db.table}_p"
    script = f"""
        CREATE PROCEDURE {name}(IN n INT)
        BEGIN
            INSERT INTO {{t}} (id, name) VALUES (n, 'from; p');
            INSERT INTO {{t}} (id, name) VALUES (n + 1, 'from; p');
        END;
        CALL {name}(7);
        SELECT id, name FROM {{t}} ORDER BY id;
        DROP PROCEDURE {name};
    """
    results = _run_script(db, script)
    assert results[2] == [(7, "from; p"), (8, "from; p")]
