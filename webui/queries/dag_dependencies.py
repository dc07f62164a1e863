"""Edges between DAGs, from the stored DagSpecs: who triggers, waits for or clears whom.

Directions follow Airflow's DAG dependencies view: the upstream DAG is the one that must
act first. ``TriggerDagRunOperator``: this DAG → the triggered one. ``ExternalTaskSensor``:
the DAG waited for → this DAG. ``ExternalTaskMarker``: this DAG → the DAG its clears reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from scheduler.store.models import DagRow

KINDS = {"trigger": "triggers", "sensor": "waited for by", "marker": "clears"}


@dataclass(frozen=True)
class DagDependency:
    source: str  # upstream DAG
    target: str  # downstream DAG
    kind: str  # trigger | sensor | marker
    dag_id: str  # the DAG declaring the task
    task_id: str  # the TriggerDagRunOperator, sensor or marker

    @property
    def verb(self) -> str:
        return KINDS.get(self.kind, self.kind)


def dag_dependencies(session: Session) -> list[DagDependency]:
    """Every cross-DAG edge declared by an active DAG, sorted by upstream, downstream."""
    rows = session.execute(
        select(col(DagRow.dag_id), col(DagRow.spec))
        .where(col(DagRow.is_active).is_(True))
        .order_by(col(DagRow.dag_id))
    )
    edges = []
    for dag_id, spec in rows:
        for task in spec.get("tasks", ()):  # the stored dict: no DagSpec needed to read this
            ref = task.get("cross_dag")
            if not ref or not ref["dag_id"]:  # no link, or a target known only at run time
                continue
            other = ref["dag_id"]
            source, target = (other, dag_id) if ref["kind"] == "sensor" else (dag_id, other)
            edges.append(DagDependency(source, target, ref["kind"], dag_id, task["task_id"]))
    return sorted(edges, key=lambda e: (e.source, e.target, e.dag_id, e.task_id))


def task_link(session: Session, dag_id: str, task_id: str) -> dict[str, Any] | None:
    """The stored ``cross_dag`` of one task (``CrossDagRef.to_dict()``), or None."""
    spec = session.scalar(select(col(DagRow.spec)).where(col(DagRow.dag_id) == dag_id))
    for task in (spec or {}).get("tasks", ()):
        if task.get("task_id") == task_id:
            return task.get("cross_dag")
    return None
