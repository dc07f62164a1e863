"""The web UI's pages: one blueprint per area, all registered by ``webui.create_app``."""

from __future__ import annotations

from flask import Blueprint

from webui.views import (
    breakers,
    dag,
    dag_dependencies,
    dags,
    events,
    layout,
    mapped,
    metrics,
    plugins,
    pools,
    runs,
    tasks,
    trigger,
)

BLUEPRINTS: list[Blueprint] = [
    layout.bp,
    dags.bp,
    dag.bp,
    dag_dependencies.bp,
    trigger.bp,
    tasks.bp,
    mapped.bp,
    runs.bp,
    events.bp,
    metrics.bp,
    plugins.bp,
    breakers.bp,
    pools.bp,
]

__all__ = ["BLUEPRINTS"]
