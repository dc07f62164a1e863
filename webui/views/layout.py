"""What every page's layout (templates/base.html) needs: the user, the navigation, helpers.

Registered as an app-wide context processor and template filters through a blueprint
without routes, so that pages of other blueprints (the login page) get them too.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, url_for
from werkzeug.routing import BuildError

from webui.auth import current_user

bp = Blueprint("layout", __name__)

NAV_LINKS: list[tuple[str, str]] = [
    ("dags.dag_list", "DAGs"),
    ("runs.run_list", "Runs"),
    ("metrics.dashboard", "Metrics"),
    ("events.event_list", "Event log"),
    ("events.import_errors", "Import errors"),
]


def nav_url(endpoint: str, **values: Any) -> str | None:
    """``url_for`` that returns None for an endpoint this app does not have."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


@bp.app_context_processor
def layout_context() -> dict[str, Any]:
    return {
        "nav_user": current_user(),
        "nav_links": NAV_LINKS,
        "nav_url": nav_url,
        "nav_logout_url": nav_url("auth.logout"),
    }


@bp.app_template_filter("dt")
def format_datetime(value: datetime | None) -> str:
    """A UTC timestamp as ``2026-01-31 06:00:00`` (the footer says the zone)."""
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d %H:%M:%S")


@bp.app_template_filter("duration")
def format_duration(seconds: float | timedelta | None) -> str:
    """Seconds as ``850 ms``, ``12.3 s``, ``4m 05s`` or ``2h 03m``: readable at a glance."""
    if seconds is None:
        return "—"
    if isinstance(seconds, timedelta):
        seconds = seconds.total_seconds()
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"
