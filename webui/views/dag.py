"""A DAG's pages: grid, graph, Gantt, code, run history and details (one tab each)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from sqlalchemy import Row
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from scheduler.api.run_timing import timing_in
from scheduler.clock import utcnow
from scheduler.errors import BatonError, DagNotFoundError, RunNotFoundError
from scheduler.spec import DagSpec
from scheduler.states import FINISHED_RUN_STATES, RunState, TaskState
from scheduler.store import dags as dag_store
from scheduler.store.models import DagRow
from scheduler.timetables import describe
from webui.auth import login_required
from webui.charts.gantt import Bar, render_gantt
from webui.charts.graph import render_graph
from webui.charts.group_state import STATE_PRIORITY
from webui.queries import runs as run_queries
from webui.views.common import not_found, pager_args, parse_day, read_session, task_url
from webui.views.grid_data import cell_links, grid_data, grid_json
from webui.views.grid_rows import grid_rows
from webui.views.rendering import highlight_python, markdown, read_source

bp = Blueprint("dag", __name__, url_prefix="/dags/<dag_id>")

RUN_STATES = tuple(state.value for state in RunState)
"""Run states offered by the runs filters (sagas' compensation states included)."""
TASK_LEGEND = (
    *("success", "failed", "running", "queued", "scheduled", "up_for_retry"),
    *("upstream_failed", "skipped", "deferred", "up_for_reschedule", "none"),
    *("compensating", "compensated", "compensation_failed"),
)
"""The states the grid and graph legends explain, in Airflow's order, then the sagas'."""


def _load(session: Session, dag_id: str) -> tuple[DagRow, DagSpec]:
    row = dag_store.get_dag(session, dag_id)
    return row, DagSpec.from_dict(row.spec)


def _page(template: str, dag: DagRow, spec: DagSpec, tab: str, **context: object) -> str:
    return render_template(
        template,
        dag=dag,
        spec=spec,
        tab=tab,
        schedule=describe(dag.schedule),
        task_legend=TASK_LEGEND,
        finished_run_states=[state.value for state in FINISHED_RUN_STATES],
        **context,
    )


@bp.errorhandler(DagNotFoundError)
@bp.errorhandler(RunNotFoundError)
def _missing(error: BatonError) -> tuple[str, int]:
    return not_found(error)


@bp.route("/")
@bp.route("/grid")
@login_required
def grid(dag_id: str) -> str:
    with read_session() as session:
        dag, spec = _load(session, dag_id)
        grid = run_queries.grid(session, dag_id)
    # Rows in graph order (layer by layer, as laid out left to right), like Airflow's grid;
    # a task group is a row of its own, its tasks nested under it unless it is collapsed.
    collapsed = _collapsed(spec)
    rows = grid_rows(spec, collapsed)
    data = grid_data(spec, grid, rows)
    selected = request.args.get("run_id") or ""
    # Why the selected run (else the latest) ended as it did, if its tasks suggest otherwise.
    shown = [c for c in data.columns if c.run_id == selected] or data.columns[-1:]
    explained = shown[0] if shown and shown[0].explanation else None
    return _page(
        "dag/grid.html",
        dag,
        spec,
        "grid",
        grid=grid,
        data=data,
        rows=rows,
        group_cells=data.groups,
        toggle_url=_toggle_url("dag.grid", dag_id, collapsed),
        all_groups=",".join(spec.task_groups),
        explained=explained,
        selected={"run_id": selected, "task_id": request.args.get("task_id") or ""},
        task_link=cell_links("tasks.task_instance", dag_id),
        mapped_link=cell_links("mapped.instances", dag_id),
    )


@bp.route("/grid.json")
@login_required
def grid_json_view(dag_id: str) -> Response:
    """What the grid's script polls while runs are active: every run column and cell."""
    with read_session() as session:
        _dag, spec = _load(session, dag_id)
        grid = run_queries.grid(session, dag_id)
    rows = grid_rows(spec)
    return jsonify(grid_json(spec, grid, grid_data(spec, grid, rows), rows))


def _collapsed(spec: DagSpec) -> set[str]:
    """The task groups the page shows collapsed: ``?collapsed=g1,g2`` (unknown ids left out)."""
    return {g for g in request.args.get("collapsed", "").split(",") if g in spec.task_groups}


def _toggle_url(
    endpoint: str, dag_id: str, collapsed: set[str], **args: Any
) -> Callable[[str], str]:
    """Where a click on a group goes: the same page with that group collapsed or expanded."""

    def url(group_id: str) -> str:
        toggled = ",".join(sorted(collapsed ^ {group_id})) or None
        return url_for(endpoint, dag_id=dag_id, collapsed=toggled, **args)

    return url


def _node_url(spec: DagSpec, run_id: str) -> Callable[[str], str]:
    """Where a graph node goes: the task instance, or a mapped task's list of instances."""
    instance = task_url(spec.dag_id, run_id)

    def url(task_id: str) -> str:
        task = spec.tasks.get(task_id)
        if task is not None and task.mapping is not None:
            return url_for("mapped.instances", dag_id=spec.dag_id, run_id=run_id, task_id=task_id)
        return instance(task_id)

    return url


def _selected_run(session: Session, dag_id: str) -> Row[*tuple[Any, ...]] | None:
    run_id = request.args.get("run_id") or run_queries.latest_run_id(session, dag_id)
    return run_queries.get_run(session, dag_id, run_id) if run_id else None


@bp.route("/graph")
@login_required
def graph(dag_id: str) -> str:
    with read_session() as session:
        dag, spec = _load(session, dag_id)
        run = _selected_run(session, dag_id)
        states = run_queries.task_states(session, run.id) if run else {}
        recent = run_queries.grid(session, dag_id, limit=25).runs
        ahead = timing_in(session, dag_id, run.run_id, utcnow()).forecast if run else None
    collapsed = _collapsed(spec)
    run_args = {"run_id": run.run_id} if run else {}
    picture = render_graph(
        spec,
        {task: info["state"] for task, info in states.items()},
        _node_url(spec, run.run_id) if run else lambda _task: None,
        {task: info["compensation_state"] for task, info in states.items()},
        collapsed=collapsed,
        toggle_url=_toggle_url("dag.graph", dag_id, collapsed, **run_args),
        map_counts={t: info["map_count"] for t, info in states.items() if "map_count" in info},
        durations={task: info["duration"] for task, info in states.items()},
        critical_path=ahead.critical_path if ahead else (),
    )
    groups_url = {
        "collapse": url_for(
            "dag.graph", dag_id=dag_id, collapsed=",".join(spec.task_groups), **run_args
        ),
        "expand": url_for("dag.graph", dag_id=dag_id, **run_args),
    }
    return _page(
        "dag/graph.html",
        dag,
        spec,
        "graph",
        run=run,
        picture=picture,
        recent=recent,
        forecast=ahead,
        groups_url=groups_url if spec.task_groups else None,
        state_priority=" ".join(STATE_PRIORITY),
    )


@bp.route("/gantt")
@login_required
def gantt(dag_id: str) -> str:
    with read_session() as session:
        dag, spec = _load(session, dag_id)
        run = _selected_run(session, dag_id)
        tries = run_queries.run_tries(session, dag_id, run.run_id) if run else []
        recent = run_queries.grid(session, dag_id, limit=25).runs
    bars = [
        Bar(t.task_id, t.try_number, t.state, t.queued_at, t.start_date, t.end_date) for t in tries
    ]
    chart = render_gantt(bars, datetime.now(UTC), task_url(dag_id, run.run_id)) if run else None
    return _page("dag/gantt.html", dag, spec, "gantt", run=run, chart=chart, recent=recent)


@bp.route("/code")
@login_required
def code(dag_id: str) -> str:
    with read_session() as session:
        dag, spec = _load(session, dag_id)
    source, problem = read_source(dag.fileloc)
    html = highlight_python(source) if source is not None else None
    return _page("dag/code.html", dag, spec, "code", code=html, problem=problem)


@bp.route("/runs")
@login_required
def runs(dag_id: str) -> str:
    state = request.args.get("state", "")
    filters = run_queries.RunFilters(
        state=state if state in RUN_STATES else "",
        since=parse_day(request.args.get("since")),
        until=parse_day(request.args.get("until"), end=True),
    )
    with read_session() as session:
        dag, spec = _load(session, dag_id)
        page = run_queries.run_history(session, dag_id, filters, request.args.get("page"))
    return _page(
        "dag/runs.html",
        dag,
        spec,
        "runs",
        rows=page.rows,
        page=page,
        states=RUN_STATES,
        page_args=lambda **changes: pager_args(request.args, **changes),
    )


@bp.route("/details")
@login_required
def details(dag_id: str) -> str:
    with read_session() as session:
        dag, spec = _load(session, dag_id)
    params = json.dumps(spec.params, indent=2, sort_keys=True)
    return _page(
        "dag/details.html", dag, spec, "details", doc=markdown(spec.doc_md), params_json=params
    )


@bp.route("/runs/<run_id>/states.json")
@login_required
def run_states(dag_id: str, run_id: str) -> Response:
    """What the graph view's script polls: the run's state and each task's state."""
    with read_session() as session:
        try:
            run = run_queries.get_run(session, dag_id, run_id)
        except RunNotFoundError as exc:
            abort(404, description=str(exc))
        states = run_queries.task_states(session, run.id)
    return jsonify(
        run_id=run.run_id,
        state=run.state,
        finished=run.state in FINISHED_RUN_STATES,
        tasks={task: _task_json(info) for task, info in states.items()},
    )


def _task_json(info: dict[str, Any]) -> dict[str, object]:
    """A task's entry in states.json; ``compensation_state`` only once its compensation
    started (sagas), so that DAGs without compensations answer exactly as before."""
    entry: dict[str, object] = {
        "state": info["state"] or TaskState.NONE,
        "try_number": info["try_number"],
    }
    if info["start_date"]:  # started: the graph shows its duration (running: time since)
        entry["start_date"] = info["start_date"].isoformat()
        entry["duration"] = info["duration"]
    if info["compensation_state"]:
        entry["compensation_state"] = info["compensation_state"]
    if "map_count" in info:  # a mapped task: its instances' aggregate state, and how many
        entry["map_count"] = info["map_count"]
        entry["map_summary"] = info["map_summary"]
    return entry
