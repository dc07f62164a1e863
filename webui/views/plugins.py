"""The plugins page (what each loaded plugin registers, and the plugins that failed) and the
plugins' menu links for the nav bar.

Plugins are loaded once per web server process (``process_plugins``, as the workers do), so
a new or fixed plugin shows after a restart, like Airflow's. Menu links are plugin-supplied
text: names are escaped by autoescape, and an href is only made a link when it is http(s) or
relative (never ``javascript:``, ``data:``...).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Blueprint, render_template

from scheduler.plugins import LoadedPlugin, MenuLink, PluginReport, process_plugins
from webui.auth import role_required
from webui.views.common import settings

bp = Blueprint("plugins", __name__)

SAFE_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class NavLink:
    """A plugin menu link as the nav shows it: ``href`` is None when it is not safe."""

    name: str
    href: str | None
    category: str


def plugin_report() -> PluginReport:
    """This process's plugins (loaded on first use, then kept)."""
    return process_plugins(settings())


def safe_href(href: str) -> str | None:
    """``href`` if it is an http(s) URL or a relative one; None for any other scheme.

    ``urlsplit`` drops the tabs and newlines and leading spaces a browser ignores too, so
    ``" java\\tscript:..."`` is seen as the ``javascript`` scheme it is."""
    try:
        parts = urlsplit(href.strip())
    except ValueError:
        return None
    if parts.scheme and parts.scheme.lower() not in SAFE_SCHEMES:
        return None
    return href.strip()


def nav_links(links: list[MenuLink]) -> dict[str, list[NavLink]]:
    """Menu links by category (``Plugins`` first), with their hrefs checked."""
    groups: dict[str, list[NavLink]] = {"Plugins": []}
    for link in links:
        nav = NavLink(link.name, safe_href(link.href), link.category or "Plugins")
        groups.setdefault(nav.category, []).append(nav)
    return groups


def registered(plugin: LoadedPlugin) -> list[tuple[str, list[str]]]:
    """What ``plugin`` registers, as (what, names) rows for the page; empty kinds left out."""
    rows = [
        ("Operators", [c.__qualname__ for c in plugin.operators]),
        ("Sensors", [c.__qualname__ for c in plugin.sensors]),
        ("Hooks", [c.__qualname__ for c in plugin.hooks]),
        (
            "Connection types",
            [f"{t} → {h.__qualname__}" for t, h in sorted(plugin.connection_types.items())],
        ),
        ("Macros", [f"macros.{plugin.name}.{name}" for name in sorted(plugin.macros)]),
    ]
    return [(what, names) for what, names in rows if names]


@bp.route("/plugins")
@role_required("Viewer")
def plugin_list() -> str:
    report = plugin_report()
    return render_template(
        "plugins.html",
        report=report,
        registered=registered,
        menu_links=lambda plugin: [
            NavLink(m.name, safe_href(m.href), m.category) for m in plugin.menu_links
        ],
    )
