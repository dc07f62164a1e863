"""Schema creation and upgrades through Alembic (``baton db migrate`` / ``reset``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlmodel import SQLModel

from scheduler.store.db import transaction
from scheduler.store.pools import ensure_default_pool

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
    # Rows every Baton database has, whatever revision it came from.
    with transaction(engine) as session:
        ensure_default_pool(session, datetime.now(UTC))
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
