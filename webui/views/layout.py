"""What every page's layout (templates/base.html) needs: the user, the navigation, helpers.

Registered as an app-wide context processor and template filters through a blueprint
without routes, so that pages of other blueprints (the login page) get them too.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, url_for
from werkzeug.routing import BuildError

from webui.auth import current_user, has_role
from webui.views.plugins import nav_links, plugin_report

bp = Blueprint("layout", __name__)

NAV_LINKS: list[tuple[str, str]] = [
    ("dags.dag_list", "DAGs"),
    ("runs.run_list", "Runs"),
    ("required_actions.required_actions", "Required actions"),
    ("assets.asset_list", "Assets"),
    ("metrics.dashboard", "Metrics"),
    ("breakers.breaker_list", "Breakers"),
]
"""The nav's own links: what operators open every day. Pools live in the Admin menu
(ADMIN_LINKS), as in Airflow."""

BROWSE_LINKS: list[tuple[str, str]] = [
    ("backfills.backfill_list", "Backfills"),
    ("dag_dependencies.dependencies", "DAG dependencies"),
    ("cluster.cluster", "Cluster"),
    ("events.event_list", "Event log"),
    ("events.import_errors", "Import errors"),
]
"""The nav's Browse menu (Airflow 3 has one too): the rest, so the bar fits a laptop."""


ADMIN_LINKS: list[tuple[str, str, str]] = [
    ("connections.connection_list", "Connections", "Op"),
    ("variables.variable_list", "Variables", "Op"),
    ("pools.pool_list", "Pools", "Viewer"),
    ("xcoms.xcom_list", "XComs", "Viewer"),
    ("auth.users", "Users", "Admin"),
]
"""The nav's Admin menu: (endpoint, label, the role its page needs); a user sees the
links their role opens (Airflow's Admin menu, where Op manages connections and variables)."""


def admin_links(role: str) -> list[tuple[str, str, str]]:
    """``(endpoint, label, href)`` of the Admin menu entries ``role`` may open."""
    links = []
    for endpoint, label, needed in ADMIN_LINKS:
        href = nav_url(endpoint)
        if href is not None and has_role(role, needed):
            links.append((endpoint, label, href))
    return links


def nav_url(endpoint: str, **values: Any) -> str | None:
    """``url_for`` that returns None for an endpoint this app does not have."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


@bp.app_context_processor
def layout_context() -> dict[str, Any]:
    user = current_user()
    return {
        "nav_user": user,
        "nav_links": NAV_LINKS,
        "nav_browse_links": BROWSE_LINKS,
        "nav_url": nav_url,
        "nav_logout_url": nav_url("auth.logout"),
        "nav_admin_links": admin_links,
        "nav_plugins": _plugin_menu() if user is not None else None,
    }


def _plugin_menu() -> dict[str, Any]:
    """The nav's Plugins menu: the plugins' links by category and how many plugins failed
    (the nav flags failures on every page, as the DAG list does for import errors)."""
    report = plugin_report()
    return {"groups": nav_links(report.menu_links()), "failures": len(report.failures)}


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
