"""A task instance: its tries, rendered fields, XComs and log (live while it runs); and the
user actions on it: clear (optionally with downstream) and mark success / failed."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from scheduler import api
from scheduler.errors import BatonError, DagNotFoundError, RunNotFoundError, TaskNotFoundError
from scheduler.states import ACTIVE_TASK_STATES, TaskState
from scheduler.store.compensations import COMPENSATE
from scheduler.store.models import TaskTryRow
from webui.auth import event_source, role_required
from webui.queries import runs as run_queries
from webui.queries import tasks as task_queries
from webui.views.common import not_found, read_session, settings
from webui.views.extra_links import extra_links

bp = Blueprint("tasks", __name__, url_prefix="/dags/<dag_id>/runs/<run_id>/tasks/<task_id>")

MARKABLE = (TaskState.SUCCESS, TaskState.FAILED)
_UNFINISHED = {
    *ACTIVE_TASK_STATES,
    TaskState.NONE,
    TaskState.SCHEDULED,
    TaskState.UP_FOR_RETRY,
    TaskState.DEFERRED,
}


@bp.errorhandler(DagNotFoundError)
@bp.errorhandler(RunNotFoundError)
@bp.errorhandler(TaskNotFoundError)
def _missing(error: BatonError) -> tuple[str, int]:
    return not_found(error)


def _chosen_try(tries: list[TaskTryRow], wanted: str | None) -> TaskTryRow | None:
    """The try asked for with ``?try=N``, else the latest one."""
    if wanted and wanted.isdigit():
        return next((t for t in tries if t.try_number == int(wanted)), None)
    return tries[-1] if tries else None


def _kind() -> str:
    """``?kind=compensate`` picks a compensation try (sagas); anything else the task's own."""
    kind = request.args.get("kind", "task")
    return kind if kind in task_queries.TRY_KINDS else "task"


def _live(ti: object, chosen: TaskTryRow | None, tries: list[TaskTryRow], kind: str) -> bool:
    """Whether the log shown can still grow: the latest try of a task not finished yet, or
    the latest compensation try of a task still compensating."""
    if kind == COMPENSATE:
        latest = chosen is None or chosen is tries[-1]
        return latest and ti.state == TaskState.COMPENSATING  # type: ignore[attr-defined]
    latest = chosen is None or chosen.try_number == ti.try_number  # type: ignore[attr-defined]
    return latest and ti.state in _UNFINISHED  # type: ignore[attr-defined]


@bp.route("/")
@role_required("Viewer")
def task_instance(dag_id: str, run_id: str, task_id: str) -> str:
    kind = _kind()
    with read_session() as session:
        ti = task_queries.task_instance(session, dag_id, run_id, task_id)
        run = run_queries.get_run(session, dag_id, run_id)
        tries = task_queries.tries(session, dag_id, run_id, task_id)
        comp_tries = task_queries.tries(session, dag_id, run_id, task_id, COMPENSATE)
        xcoms = task_queries.xcoms(session, dag_id, run_id, task_id)
        links = extra_links(session, dag_id, task_id, xcoms)
    shown = comp_tries if kind == COMPENSATE else tries
    chosen = _chosen_try(shown, request.args.get("try"))
    log = task_queries.read_log(chosen.log_path if chosen else None)
    return render_template(
        "task_instance.html",
        ti=ti,
        run=run,
        tries=tries,
        comp_tries=comp_tries,
        kind=kind,
        chosen=chosen,
        xcoms=xcoms,
        extra_links=links,
        log=log,
        rendered=task_queries.rendered_fields(log.text),
        live=_live(ti, chosen, shown, kind),
    )


@bp.route("/log.json")
@role_required("Viewer")
def log_tail(dag_id: str, run_id: str, task_id: str) -> Response:
    """The log of a try from byte ``offset`` on: what the live tail polls. ``?kind=compensate``
    reads the compensation's tries (sagas) instead of the task's own."""
    try:
        offset = max(0, int(request.args.get("offset", "0")))
    except ValueError:
        abort(
            400,
            description="offset must be a whole number of bytes (where the last poll ended)",
        )
    kind = _kind()
    with read_session() as session:
        ti = task_queries.task_instance(session, dag_id, run_id, task_id)
        tries = task_queries.tries(session, dag_id, run_id, task_id, kind)
    chosen = _chosen_try(tries, request.args.get("try"))
    chunk = task_queries.read_log(chosen.log_path if chosen else None, offset)
    running = _live(ti, chosen, tries, kind)
    return jsonify(
        text=chunk.text,
        offset=chunk.offset,
        exists=chunk.exists,
        more=chunk.more,
        running=running,
        state=ti.state,
        try_number=chosen.try_number if chosen else None,
    )


@bp.route("/clear", methods=["POST"])
@role_required("Op")
def clear(dag_id: str, run_id: str, task_id: str) -> Response:
    downstream = request.form.get("downstream") == "on"
    try:
        cleared = api.clear_tasks(
            settings(), dag_id, run_id, [task_id], downstream=downstream, source=event_source()
        )
    except BatonError as exc:
        flash(str(exc), "error")
    else:
        flash(
            f"Cleared {len(cleared)} task(s): {', '.join(cleared)}. They will run again.", "success"
        )
    return redirect(url_for("tasks.task_instance", dag_id=dag_id, run_id=run_id, task_id=task_id))


@bp.route("/mark", methods=["POST"])
@role_required("Op")
def mark(dag_id: str, run_id: str, task_id: str) -> Response:
    state = request.form.get("state", "")
    if state not in MARKABLE:
        flash(f"cannot mark a task '{state}'; choose success or failed", "error")
    else:
        try:
            api.mark_tasks(settings(), dag_id, run_id, [task_id], state, source=event_source())
        except BatonError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Marked '{task_id}' {state}.", "success")
    return redirect(url_for("tasks.task_instance", dag_id=dag_id, run_id=run_id, task_id=task_id))
