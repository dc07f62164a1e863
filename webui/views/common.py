"""What the page views share: the settings, a read session, parsing of query arguments, and
the answer when something asked for does not exist."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app, jsonify, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from scheduler import api
from scheduler.errors import BatonError
from scheduler.settings import Settings
from scheduler.store.db import transaction


def settings() -> Settings:
    return current_app.config["BATON_SETTINGS"]


@contextmanager
def read_session() -> Iterator[Session]:
    """One read transaction for everything a page shows: one consistent snapshot."""
    with transaction(api.read_database(settings())) as session:
        yield session


def not_found(error: BatonError) -> tuple[str, int]:
    """The 404 page, with the error's own message (what is missing and where to look)."""
    return render_template("error.html", title="Not found", message=str(error)), 404


def refused(error: BatonError, code: int, title: str) -> tuple[str, int] | tuple[Response, int]:
    """A page's error as its error page, or as ``{"error": ...}`` for its ``.json`` twin."""
    if request.path.endswith(".json"):
        return jsonify(error=str(error)), code
    return render_template("error.html", title=title, message=str(error)), code


def parse_day(text: str | None, *, end: bool = False) -> datetime | None:
    """``YYYY-MM-DD`` from a date input as a UTC instant (the day's end if ``end``): None when
    empty or malformed (the filter is then simply not applied, and the field shows it)."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    instant = datetime.combine(day, time.min, tzinfo=UTC)
    return instant + timedelta(days=1) if end else instant


def task_url(dag_id: str, run_id: str) -> Any:
    """A function task_id -> URL of that task instance's page in ``run_id``."""

    def url(task_id: str) -> str:
        return url_for("tasks.task_instance", dag_id=dag_id, run_id=run_id, task_id=task_id)

    return url


def pager_args(args: Any, **changes: Any) -> dict[str, Any]:
    """The current query arguments with ``changes``: links to other pages keep the filters."""
    merged = {key: value for key, value in args.items() if value}
    merged.update(changes)
    return merged
