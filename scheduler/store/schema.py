"""Is the database at this Baton's schema? Answered without importing Alembic.

Every process checks this at start (scheduler, web UI, CLI); importing Alembic (and Mako,
and Pygments through it) for one ``SELECT`` would add ~150 ms to each. ``SCHEMA_REVISION``
must equal the newest migration; a test keeps the two in step.
"""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from scheduler.errors import DatabaseNotReadyError
from scheduler.settings import mask_url_password

#: The newest revision in scheduler/store/migrations/versions.
SCHEMA_REVISION = "0001"


def current_revision(engine: Engine) -> str | None:
    """The revision recorded in ``alembic_version``, or None for an empty database."""
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError):
        return None


def check_schema(engine: Engine) -> None:
    """Raise ``DatabaseNotReadyError`` unless the schema is at ``SCHEMA_REVISION``."""
    current = current_revision(engine)
    if current != SCHEMA_REVISION:
        where = mask_url_password(engine.url.render_as_string(hide_password=False))
        state = "has no Baton schema" if current is None else f"is at revision {current}"
        raise DatabaseNotReadyError(
            f"the database {where} {state}, this Baton needs {SCHEMA_REVISION}; "
            "run `baton db migrate`"
        )
