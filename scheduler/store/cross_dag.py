"""Cross-DAG dependencies in the database: what sensors count, and clears that follow
``ExternalTaskMarker``s into other DAGs.

Clearing, as Airflow's ``DAG.clear``: every marker among the cleared tasks also clears its
external task and that task's downstream in each run of the external DAG with the marker's
``logical_date``; markers reached there are followed in turn, at most ``recursion_depth``
(of the first marker met) levels deep. The marker's templated fields are rendered here, with
the dates of the run being cleared (``logical_date``, ``ds``, ``ts``, ``data_interval_*``,
``run_id``), because a clear happens outside any worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from scheduler.errors import BatonError
from scheduler.setup_scope import clear_scope
from scheduler.spec import CrossDagRef, DagSpec
from scheduler.store import actions
from scheduler.store import dags as dag_store
from scheduler.store.models import DagRow, DagRunRow, TaskInstanceRow
from scheduler.store.runs import get_run

_ENV = SandboxedEnvironment(undefined=jinja2.StrictUndefined, cache_size=0)


# -- what sensors read ----------------------------------------------------------------------
def count_task_instances(
    session: Session,
    dag_id: str,
    task_ids: Sequence[str],
    logical_dates: Sequence[datetime],
    states: Sequence[str],
) -> int:
    """Task instances of ``task_ids`` in runs of ``dag_id`` at ``logical_dates``, in ``states``."""
    query = (
        select(func.count())
        .select_from(TaskInstanceRow)
        .join(DagRunRow, col(DagRunRow.id) == col(TaskInstanceRow.dag_run_id))
        .where(
            col(TaskInstanceRow.dag_id) == dag_id,
            col(TaskInstanceRow.task_id).in_(list(task_ids)),
            col(TaskInstanceRow.state).in_(list(states)),
            col(DagRunRow.logical_date).in_(list(logical_dates)),
        )
    )
    return session.scalar(query) or 0


def count_runs(
    session: Session, dag_id: str, logical_dates: Sequence[datetime], states: Sequence[str]
) -> int:
    """Runs of ``dag_id`` at ``logical_dates`` in ``states``."""
    query = select(func.count()).where(
        col(DagRunRow.dag_id) == dag_id,
        col(DagRunRow.state).in_(list(states)),
        col(DagRunRow.logical_date).in_(list(logical_dates)),
    )
    return session.scalar(query) or 0


def group_task_ids(spec: DagSpec, group_id: str) -> list[str]:
    """The tasks of task group ``group_id`` of ``spec``, nested groups included."""

    def inside(group: str | None) -> bool:
        while group is not None:
            if group == group_id:
                return True
            parent = spec.task_groups.get(group)
            group = parent.parent if parent is not None else None
        return False

    return [t.task_id for t in spec.tasks.values() if inside(t.task_group_id)]


def count_group_runs(
    session: Session,
    spec: DagSpec,
    group_id: str,
    logical_dates: Sequence[datetime],
    states: Sequence[str],
) -> int:
    """Runs of ``spec`` at ``logical_dates`` in which every task of the group is in ``states``
    (Airflow 3's count for ``external_task_group_id``; a group without tasks never counts)."""
    task_ids = group_task_ids(spec, group_id)
    if not task_ids:
        return 0
    rows = session.execute(
        select(col(TaskInstanceRow.dag_run_id), col(TaskInstanceRow.state))
        .join(DagRunRow, col(DagRunRow.id) == col(TaskInstanceRow.dag_run_id))
        .where(
            col(TaskInstanceRow.dag_id) == spec.dag_id,
            col(TaskInstanceRow.task_id).in_(task_ids),
            col(DagRunRow.logical_date).in_(list(logical_dates)),
        )
    )
    by_run: dict[int, list[str]] = {}
    for run_pk, state in rows:
        by_run.setdefault(run_pk, []).append(state)
    return sum(1 for found in by_run.values() if found and all(s in states for s in found))


# -- clearing through markers -----------------------------------------------------------------
@dataclass(frozen=True)
class ClearedTask:
    dag_id: str
    run_id: str
    task_id: str


@dataclass
class _Walk:
    """One clear: what was cleared and which markers were followed already."""

    source: str
    now: datetime
    cleared: list[ClearedTask] = field(default_factory=list)
    visited: set[tuple[str, str, str]] = field(default_factory=set)
    max_depth: int | None = None


def clear_across_dags(
    session: Session,
    spec: DagSpec,
    run_id: str,
    task_ids: Sequence[str],
    *,
    downstream: bool,
    source: str,
    now: datetime,
    map_indexes: Sequence[int] | None = None,
) -> list[ClearedTask]:
    """Clear tasks of a run (see ``actions.clear_tasks``) and follow the markers among them;
    ``map_indexes`` limits the named mapped tasks to those instances."""
    walk = _Walk(source, now)
    _clear(session, walk, spec, run_id, task_ids, downstream, depth=0, map_indexes=map_indexes)
    return walk.cleared


def _clear(
    session: Session,
    walk: _Walk,
    spec: DagSpec,
    run_id: str,
    task_ids: Sequence[str],
    downstream: bool,
    depth: int,
    map_indexes: Sequence[int] | None = None,
) -> None:
    cleared = actions.clear_tasks(
        session,
        spec,
        run_id,
        task_ids,
        downstream=downstream,
        source=walk.source,
        now=walk.now,
        map_indexes=map_indexes,
    )
    walk.cleared += [ClearedTask(spec.dag_id, run_id, t) for t in cleared]
    targets = set(clear_scope(spec, task_ids, downstream))  # what actions.clear_tasks covered
    markers = [
        t
        for t in spec.tasks
        if t in targets and (ref := spec.tasks[t].cross_dag) and ref.kind == "marker"
    ]
    if not markers:
        return
    run = get_run(session, spec.dag_id, run_id)
    for task_id in markers:
        if (spec.dag_id, run_id, task_id) in walk.visited:
            continue
        walk.visited.add((spec.dag_id, run_id, task_id))
        ref = spec.tasks[task_id].cross_dag
        assert ref is not None
        if walk.max_depth is None:  # Airflow: the first marker's recursion_depth rules
            walk.max_depth = ref.recursion_depth or 10
        if depth + 1 > walk.max_depth:
            raise BatonError(
                f"maximum recursion depth {walk.max_depth} reached for ExternalTaskMarker "
                f"'{task_id}' of DAG '{spec.dag_id}': the clear reaches too many DAGs or the "
                "markers form a cycle; raise recursion_depth or break the cycle"
            )
        _follow(session, walk, spec.dag_id, task_id, ref, run, depth)


def _follow(
    session: Session,
    walk: _Walk,
    dag_id: str,
    task_id: str,
    ref: CrossDagRef,
    run: DagRunRow,
    depth: int,
) -> None:
    external_dag_id, external_task_id, when = render_marker(ref, run, f"{dag_id}.{task_id}")
    if session.get(DagRow, external_dag_id) is None:
        return  # as in Airflow: no such DAG, so no task instance to clear
    external = dag_store.get_spec(session, external_dag_id)
    if external_task_id not in external.tasks:
        return
    runs = session.scalars(
        select(col(DagRunRow.run_id))
        .where(col(DagRunRow.dag_id) == external_dag_id, col(DagRunRow.logical_date) == when)
        .order_by(col(DagRunRow.id))
    )
    for external_run_id in list(runs):
        _clear(session, walk, external, external_run_id, [external_task_id], True, depth=depth + 1)


def render_marker(ref: CrossDagRef, run: DagRunRow, where: str) -> tuple[str, str, datetime]:
    """The marker's external dag_id, task_id and logical date, rendered for ``run``."""
    logical_date = _aware(run.logical_date)
    context = {
        "logical_date": logical_date,
        "ds": logical_date.strftime("%Y-%m-%d"),
        "ds_nodash": logical_date.strftime("%Y%m%d"),
        "ts": logical_date.isoformat(),
        "ts_nodash": logical_date.strftime("%Y%m%dT%H%M%S"),
        "data_interval_start": _aware(run.data_interval_start),
        "data_interval_end": _aware(run.data_interval_end),
        "run_id": run.run_id,
        "dag_run": run,
    }
    try:
        dag_id = _ENV.from_string(ref.dag_id).render(context)
        task_id = _ENV.from_string(ref.task_ids[0]).render(context)
        text = _ENV.from_string(ref.logical_date or "{{ ts }}").render(context)
    except jinja2.TemplateError as exc:
        raise BatonError(
            f"ExternalTaskMarker {where}: its templates could not be rendered to clear the "
            f"external task ({exc}); clears render them with logical_date, ds, ts, "
            "data_interval_start/end and run_id only"
        ) from None
    try:
        when = _aware(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise BatonError(
            f"ExternalTaskMarker {where}: logical_date rendered to {text!r}, which is not an "
            "ISO 8601 date/time; use e.g. '{{ logical_date.isoformat() }}'"
        ) from None
    return dag_id, task_id, when


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
