"""Operator extra links on the task instance page (Airflow's "Triggered DAG", "External DAG").

"Triggered DAG" goes to the run a TriggerDagRunOperator started, named by the XComs it
pushed (``trigger_dag_id``, ``trigger_run_id``); "External DAG" goes to the DAG an
ExternalTaskSensor waits for or an ExternalTaskMarker clears.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from flask import url_for
from sqlalchemy.orm import Session

from webui.queries.dag_dependencies import task_link


@dataclass(frozen=True)
class ExtraLink:
    name: str
    url: str | None  # None: nothing to link to yet (the task has not triggered a run)
    detail: str


def extra_links(
    session: Session, dag_id: str, task_id: str, xcoms: Sequence[tuple[str, str]]
) -> list[ExtraLink]:
    ref = task_link(session, dag_id, task_id)
    if ref is None:
        return []
    if ref["kind"] != "trigger":
        target = ref["dag_id"]
        return [ExtraLink("External DAG", url_for("dag.grid", dag_id=target), target)]
    values = {key: _value(text) for key, text in xcoms}
    triggered_dag, triggered_run = values.get("trigger_dag_id"), values.get("trigger_run_id")
    if not (isinstance(triggered_dag, str) and isinstance(triggered_run, str)):
        return [ExtraLink("Triggered DAG", None, "no run triggered yet")]
    url = url_for("dag.graph", dag_id=triggered_dag, run_id=triggered_run)
    return [ExtraLink("Triggered DAG", url, f"{triggered_dag} / {triggered_run}")]


def _value(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return None
