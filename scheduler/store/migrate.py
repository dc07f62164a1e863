"""Schema creation and upgrades through Alembic (``baton db migrate`` / ``reset``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlmodel import SQLModel

from scheduler.errors import DatabaseNotReadyError
from scheduler.settings import mask_url_password

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def migrate(engine: Engine) -> str:
    """Create or upgrade the schema to the newest revision; return that revision."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return head_revision()


def reset(engine: Engine) -> str:
    """Drop every Baton table and migrate again from nothing."""
    with engine.begin() as connection:
        SQLModel.metadata.drop_all(connection)
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    return migrate(engine)


def head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None, "the migrations folder has no revision"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def check_schema(engine: Engine) -> None:
    """Raise ``DatabaseNotReadyError`` unless the schema is at the newest revision."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        where = mask_url_password(engine.url.render_as_string(hide_password=False))
        state = "has no Baton schema" if current is None else f"is at revision {current}"
        raise DatabaseNotReadyError(
            f"the database {where} {state}, this Baton needs {head}; run `baton db migrate`"
        )
