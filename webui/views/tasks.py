"""A task instance: its tries, rendered fields, XComs and log (live while it runs); and the
user actions on it: clear (optionally with downstream) and mark success / failed.

An instance of a mapped task is named by ``?map_index=N`` (a hidden ``map_index`` field in
the forms), as in Airflow's UI; without it the URL means the unmapped instance (-1), and a
mapped task's URL without it leads to the list of its instances."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from scheduler import api
from scheduler.api import hitl, task_logs
from scheduler.api.hitl import HitlKey
from scheduler.errors import BatonError, DagNotFoundError, RunNotFoundError, TaskNotFoundError
from scheduler.states import ACTIVE_TASK_STATES, TaskState
from scheduler.store.compensations import COMPENSATE
from scheduler.store.models import TaskInstanceRow, TaskTryRow
from scheduler.store.task_history import long_tries
from webui.auth import event_source, role_required
from webui.queries import runs as run_queries
from webui.queries import tasks as task_queries
from webui.queries.mapped import instance_counts
from webui.views.common import not_found, read_session, settings
from webui.views.extra_links import extra_links
from webui.views.param_form import FormError
from webui.views.required_actions import answer_form, submit_answer

bp = Blueprint("tasks", __name__, url_prefix="/dags/<dag_id>/runs/<run_id>/tasks/<task_id>")

MARKABLE = (TaskState.SUCCESS, TaskState.FAILED)
MAX_MAP_INDEX = 2**31 - 1
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


class BadMapIndex(BatonError):
    """``map_index`` in the URL or form is not a whole number from -1 up."""


@bp.errorhandler(BadMapIndex)
def _bad_map_index(error: BatonError) -> tuple[str, int]:
    return render_template("error.html", title="Bad request", message=str(error)), 400


def _map_index(values: Mapping[str, str]) -> int:
    """``map_index`` of the query string or form: -1 (not mapped) when absent."""
    raw = values.get("map_index", "").strip()
    if not raw:
        return -1
    try:
        value = int(raw)
    except ValueError:
        value = -2
    if not -1 <= value <= MAX_MAP_INDEX:
        raise BadMapIndex(
            f"map_index={raw!r} is not a map index; use a whole number from 0 (the first "
            "instance of a mapped task) up, or leave it out for a task that is not mapped"
        )
    return value


def _instance_url(dag_id: str, run_id: str, task_id: str, map_index: int) -> str:
    extra: dict[str, Any] = {"map_index": map_index} if map_index >= 0 else {}
    return url_for("tasks.task_instance", dag_id=dag_id, run_id=run_id, task_id=task_id, **extra)


def _chosen_try(tries: list[TaskTryRow], wanted: str | None) -> TaskTryRow | None:
    """The try asked for with ``?try=N``, else the latest one."""
    if wanted and wanted.isdigit():
        return next((t for t in tries if t.try_number == int(wanted)), None)
    return tries[-1] if tries else None


def _kind() -> str:
    """``?kind=compensate`` picks a compensation try (sagas); anything else the task's own."""
    kind = request.args.get("kind", "task")
    return kind if kind in task_queries.TRY_KINDS else "task"


def _live(
    ti: TaskInstanceRow, chosen: TaskTryRow | None, tries: list[TaskTryRow], kind: str
) -> bool:
    """Whether the log shown can still grow: the latest try of a task not finished yet, or
    the latest compensation try of a task still compensating."""
    if kind == COMPENSATE:
        latest = chosen is None or chosen is tries[-1]
        return latest and ti.state == TaskState.COMPENSATING
    latest = chosen is None or chosen.try_number == ti.try_number
    return latest and ti.state in _UNFINISHED


@bp.route("/")
@role_required("Viewer")
def task_instance(dag_id: str, run_id: str, task_id: str) -> str | Response:
    kind = _kind()
    map_index = _map_index(request.args)
    with read_session() as session:
        run = run_queries.get_run(session, dag_id, run_id)
        try:
            ti = task_queries.task_instance(session, dag_id, run_id, task_id, map_index)
        except TaskNotFoundError:
            summary = instance_counts(session, [run.id], [task_id]).get((run.id, task_id))
            if map_index < 0 and summary is not None and summary.mapped:
                # A mapped task: the page of one instance needs its map index.
                return redirect(
                    url_for("mapped.instances", dag_id=dag_id, run_id=run_id, task_id=task_id)
                )
            raise
        tries = task_queries.tries(session, dag_id, run_id, task_id, map_index=map_index)
        comp_tries = task_queries.tries(session, dag_id, run_id, task_id, COMPENSATE, map_index)
        xcoms = task_queries.xcoms(session, dag_id, run_id, task_id, map_index)
        links = extra_links(session, dag_id, task_id, xcoms)
        summary = instance_counts(session, [run.id], [task_id]).get((run.id, task_id))
        long = {
            key[4]: row
            for key, row in long_tries(session, dag_id, run_id).items()
            if key[2:4] == (task_id, map_index)
        }
    shown = comp_tries if kind == COMPENSATE else tries
    chosen = _chosen_try(shown, request.args.get("try"))
    log = task_logs.read_try_log(settings(), chosen.log_path if chosen else None)
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
        map_args={"map_index": map_index} if map_index >= 0 else {},
        mapped=summary if summary is not None and summary.mapped else None,
        long=long,  # try number -> its long_try row: it ran longer than usual
        hitl=answer_form(dag_id, run_id, task_id, map_index),
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
    map_index = _map_index(request.args)
    with read_session() as session:
        ti = task_queries.task_instance(session, dag_id, run_id, task_id, map_index)
        tries = task_queries.tries(session, dag_id, run_id, task_id, kind, map_index)
    chosen = _chosen_try(tries, request.args.get("try"))
    chunk = task_logs.read_try_log(settings(), chosen.log_path if chosen else None, offset)
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


DOWNLOAD_MAX_BYTES = 64 * 1024 * 1024
"""The most of a log one download returns: the tail of a longer one, which its first line says."""


@bp.route("/log.txt")
@role_required("Viewer")
def log_download(dag_id: str, run_id: str, task_id: str) -> Response:
    """The whole log of a try (``?try=N``, else the latest; ``?kind``/``?map_index`` as on the
    page) as a file, read through the masking log reader: a secret never leaves the server."""
    kind = _kind()
    map_index = _map_index(request.args)
    wanted = request.args.get("try", "")
    if wanted and not wanted.isdigit():
        abort(400, description=f"try={wanted!r} is not a try number; use 1, 2, ... or leave it out")
    with read_session() as session:
        task_queries.task_instance(session, dag_id, run_id, task_id, map_index)  # 404 if absent
    try:
        number, text, truncated = api.read_task_log(
            settings(),
            dag_id,
            run_id,
            task_id,
            int(wanted) if wanted else None,
            max_bytes=DOWNLOAD_MAX_BYTES,
            kind=kind,
            map_index=map_index,
        )
    except BatonError as exc:  # no such try, or no log yet
        abort(404, description=str(exc).replace("--try", "?try="))
    if truncated:
        limit = DOWNLOAD_MAX_BYTES // 2**20
        text = f"[the log's last {limit} MiB; earlier lines are left out]\n{text}"
    name = "_".join(
        part
        for part in (dag_id, run_id, task_id, str(map_index) if map_index >= 0 else "", kind)
        if part and part != "task"
    )
    response = Response(text, mimetype="text/plain")
    response.headers["Content-Disposition"] = _attachment(f"{name}_try{number}.log")
    return response


def _attachment(filename: str) -> str:
    """A Content-Disposition naming the file; characters a file name should not hold
    (a run id's ``:`` and ``+``) become ``_``."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return f'attachment; filename="{safe}"'


@bp.route("/clear", methods=["POST"])
@role_required("Op")
def clear(dag_id: str, run_id: str, task_id: str) -> Response:
    """Clear the task (every instance of a mapped task), or with a ``map_index`` field only
    that instance; ``next=instances`` returns to the mapped instances list."""
    downstream = request.form.get("downstream") == "on"
    map_index = _map_index(request.form)
    try:
        cleared = api.clear_tasks(
            settings(),
            dag_id,
            run_id,
            [task_id],
            downstream=downstream,
            source=event_source(),
            map_indexes=[map_index] if map_index >= 0 else None,
        )
    except BatonError as exc:
        flash(str(exc), "error")
    else:
        what = f" (map index {map_index})" if map_index >= 0 else ""
        flash(
            f"Cleared {len(cleared)} task(s){what}: {', '.join(cleared)}. They will run again.",
            "success",
        )
    if request.form.get("next") == "instances":
        return redirect(url_for("mapped.instances", dag_id=dag_id, run_id=run_id, task_id=task_id))
    return redirect(_instance_url(dag_id, run_id, task_id, map_index))


@bp.route("/mark", methods=["POST"])
@role_required("Op")
def mark(dag_id: str, run_id: str, task_id: str) -> Response:
    state = request.form.get("state", "")
    map_index = _map_index(request.form)
    if state not in MARKABLE:
        flash(f"cannot mark a task '{state}'; choose success or failed", "error")
    else:
        try:
            api.mark_tasks(
                settings(),
                dag_id,
                run_id,
                [task_id],
                state,
                source=event_source(),
                map_indexes=[map_index] if map_index >= 0 else None,
            )
        except BatonError as exc:
            flash(str(exc), "error")
        else:
            name = f"{task_id} [{map_index}]" if map_index >= 0 else task_id
            flash(f"Marked '{name}' {state}.", "success")
    return redirect(_instance_url(dag_id, run_id, task_id, map_index))


@bp.route("/required_actions")
@role_required("Viewer")
def required_action(dag_id: str, run_id: str, task_id: str) -> Response:
    """Airflow's link to a question (``HITLOperator.generate_link_to_ui``): this page, its
    form pre-filled with the query's ``_options`` and params."""
    target = url_for("tasks.task_instance", dag_id=dag_id, run_id=run_id, task_id=task_id)
    query = urlencode(list(request.args.items(multi=True)))
    return redirect(f"{target}?{query}#required-action" if query else f"{target}#required-action")


@bp.route("/required_actions", methods=["POST"])
@role_required(hitl.RESPONDER_ROLE)
def answer(dag_id: str, run_id: str, task_id: str) -> Response:
    """Answer the task instance's human-in-the-loop question (the form on its page)."""
    map_index = _map_index(request.form)
    try:
        flash(submit_answer(HitlKey(dag_id, run_id, task_id, map_index), request.form), "success")
    except (BatonError, FormError) as exc:
        flash(str(exc), "error")
    return redirect(_instance_url(dag_id, run_id, task_id, map_index))
