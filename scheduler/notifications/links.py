"""Links into the web UI for messages: ``BATON_WEBUI_BASE_URL`` + the run's (task's) page."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from scheduler.settings import Settings

# A path segment quoted as the web UI's own links are (werkzeug keeps these; "/" is quoted).
_SAFE = "!$&'()*+,:;=@"


def base_url(settings: Settings | None = None) -> str:
    """``BATON_WEBUI_BASE_URL``, else ``http://`` + ``BATON_WEBUI_BIND``, without a trailing /."""
    return (settings or Settings.from_env()).webui_url


def run_url(dag_id: str, run_id: str, settings: Settings | None = None) -> str:
    return f"{base_url(settings)}/dags/{quote(dag_id, safe=_SAFE)}/runs/{quote(run_id, safe=_SAFE)}"


def task_url(
    dag_id: str, run_id: str, task_id: str, map_index: int = -1, settings: Settings | None = None
) -> str:
    url = f"{run_url(dag_id, run_id, settings)}/tasks/{quote(task_id, safe=_SAFE)}"
    return url if map_index < 0 else f"{url}?map_index={map_index}"


def links_of(context: dict[str, Any]) -> dict[str, str]:
    """``run_url`` (and ``task_url`` for a task callback) of a callback's context."""
    dag = context.get("dag")
    run = context.get("dag_run")
    dag_id = getattr(dag, "dag_id", None) or getattr(run, "dag_id", None)
    run_id = context.get("run_id") or getattr(run, "run_id", None)
    if not dag_id or not run_id:
        return {}
    links = {"run_url": run_url(dag_id, run_id)}
    ti = context.get("ti")
    if ti is not None and getattr(ti, "task_id", None):
        links["task_url"] = task_url(dag_id, run_id, ti.task_id, getattr(ti, "map_index", -1))
    return links
