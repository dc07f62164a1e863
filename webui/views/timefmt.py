"""Dates for the timezone switch: every rendered date is ``<time datetime="…Z">`` in UTC, and
``static/tz.js`` rewrites its text in the zone the user picked (UTC, the browser's, the
DAG's); without script the UTC text stays, which the footer says.

``when`` is the filter for dates in text; ``dt`` (``layout.py``) stays plain text for
attributes such as ``title``, where markup cannot go.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint
from markupsafe import Markup

from scheduler.spec import DagSpec

bp = Blueprint("timefmt", __name__)


def _utc(value: datetime) -> datetime:
    # The store keeps UTC; SQLite hands it back naive.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@bp.app_template_filter("when")
def time_element(value: datetime | None) -> Markup | str:
    """``<time datetime="2026-01-31T06:00:00Z">2026-01-31 06:00:00</time>``, or ``—``."""
    if value is None:
        return "—"
    utc = _utc(value)
    return Markup('<time datetime="{}">{}</time>').format(
        utc.strftime("%Y-%m-%dT%H:%M:%SZ"), utc.strftime("%Y-%m-%d %H:%M:%S")
    )


@bp.app_template_global("dag_timezone")
def dag_timezone(spec: Any = None, dag: Any = None) -> str:
    """The IANA zone of the page's DAG (its ``spec``, or a ``dag`` row holding one), else
    ``""``: the switch offers "DAG zone" only on pages about one DAG."""
    if isinstance(spec, DagSpec):
        return spec.timezone
    raw = getattr(dag, "spec", None)
    if isinstance(raw, dict):
        zone = raw.get("timezone")
        return zone if isinstance(zone, str) else ""
    return ""
