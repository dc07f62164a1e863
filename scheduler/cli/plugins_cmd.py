"""``baton plugins list``: what loaded from the plugins folder and entry points, and what
failed to load, with its error."""

from __future__ import annotations

import json
from typing import Any

import click

from scheduler.cli.context import settings
from scheduler.cli.output import emit, output_option
from scheduler.plugins import load_plugins, plugins_folder


@click.group()
def plugins() -> None:
    """Inspect plugins and their load errors.

    Plugins bring operators, sensors, hooks, connection types, macros and menu links.
    """


@plugins.command("list")
@output_option
def list_(output: str) -> None:
    """List plugins that loaded and those that failed (with the error)."""
    current = settings()
    report = load_plugins(current)
    if output == "json":
        click.echo(
            json.dumps({"folder": str(plugins_folder(current)), **report.to_dict()}, indent=2)
        )
        return
    rows = [
        {
            "name": p.name,
            "status": "loaded",
            "provides": _summary(p.to_dict()),
            "source": p.source,
        }
        for p in report.plugins
    ]
    rows += [
        {"name": f.name, "status": "failed", "provides": f.error, "source": f.source}
        for f in report.failures
    ]
    click.echo(f"Plugins folder: {plugins_folder(current)}")
    emit(rows, output, ["name", "status", "provides", "source"])


def _summary(plugin: dict[str, Any]) -> str:
    parts = []
    for key in ("operators", "sensors", "hooks", "connection_types", "macros", "menu_links"):
        if plugin[key]:
            parts.append(f"{len(plugin[key])} {key.replace('_', ' ')}")
    return ", ".join(parts) or "nothing"
