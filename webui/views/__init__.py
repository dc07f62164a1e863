"""The web UI's pages: one blueprint per area, all registered by ``webui.create_app``."""

from __future__ import annotations

from flask import Blueprint

from webui.views import dag, dags, events, layout, metrics, runs, tasks, trigger

BLUEPRINTS: list[Blueprint] = [
    layout.bp,
    dags.bp,
    dag.bp,
    trigger.bp,
    tasks.bp,
    runs.bp,
    events.bp,
    metrics.bp,
]

__all__ = ["BLUEPRINTS"]
