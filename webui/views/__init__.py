"""The web UI's pages: one blueprint per area, all registered by ``webui.create_app``."""

from __future__ import annotations

from flask import Blueprint

from webui.views import (
    api_docs,
    assets,
    backfills,
    breakers,
    cluster,
    connections,
    dag,
    dag_charts,
    dag_dependencies,
    dag_versions,
    dags,
    dashboard,
    docs,
    errors,
    events,
    layout,
    mapped,
    plugins,
    pools,
    required_actions,
    run_page,
    runs,
    tasks,
    timefmt,
    trigger,
    variables,
    xcoms,
)

BLUEPRINTS: list[Blueprint] = [
    layout.bp,
    timefmt.bp,
    errors.bp,
    docs.bp,
    dags.bp,
    dag.bp,
    dag_versions.bp,
    dag_charts.bp,
    dag_dependencies.bp,
    trigger.bp,
    tasks.bp,
    required_actions.bp,
    mapped.bp,
    runs.bp,
    run_page.bp,
    events.bp,
    dashboard.bp,
    plugins.bp,
    breakers.bp,
    assets.bp,
    backfills.bp,
    cluster.bp,
    pools.bp,
    connections.bp,
    variables.bp,
    xcoms.bp,
    api_docs.bp,
]

__all__ = ["BLUEPRINTS"]
