"""Backfill pages: the form on a DAG's page (with a dry-run preview), the list of every
backfill with its progress, and cancel (Op and above). The forms call what ``baton
backfill`` calls, with the user as the source; the scheduler runs the backfill."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from scheduler import api
from scheduler.api import backfills
from scheduler.errors import BatonError, DagNotFoundError
from scheduler.json_limits import JsonLimits
from scheduler.spec import DagSpec
from scheduler.store import dags as dag_store
from scheduler.store.backfills import BackfillRequest
from scheduler.timetables import describe
from webui.auth import event_source, login_required, role_required
from webui.views.common import not_found, read_session, settings

bp = Blueprint("backfills", __name__)


@bp.errorhandler(DagNotFoundError)
def _missing(error: BatonError) -> tuple[str, int]:
    return not_found(error)


@bp.route("/dags/<dag_id>/backfill", methods=["GET", "POST"])
@role_required("Op")
def dag_backfill(dag_id: str) -> str | Response:
    """The form; ``action=preview`` shows the dry run, ``action=create`` starts it."""
    form = request.form if request.method == "POST" else request.args
    preview = None
    if request.method == "POST":
        try:
            wanted = _request(dag_id, form)
            if form.get("action") == "create":
                view = backfills.create_backfill(settings(), wanted, source=event_source())
                flash(f"Backfill {view.row.id} created: {view.progress.total} date(s).", "success")
                return redirect(url_for("backfills.dag_backfill", dag_id=dag_id))
            preview = backfills.dry_run_backfill(settings(), wanted)
        except BatonError as exc:
            flash(str(exc), "error")
    return _dag_page(dag_id, form=form, preview=preview)


@bp.route("/backfills")
@login_required
def backfill_list() -> str:
    dag_id = request.args.get("dag_id") or None
    found = backfills.list_backfills(settings(), dag_id, limit=100)
    return render_template("backfills.html", backfills=found, dag_id=dag_id)


@bp.route("/backfills/<int:backfill_id>.json")
@login_required
def backfill_json(backfill_id: int) -> Response:
    """What the progress bars poll while a backfill is active."""
    try:
        return jsonify(backfills.get_backfill(settings(), backfill_id).as_dict())
    except BatonError as exc:
        return Response(str(exc), status=404, mimetype="text/plain")


@bp.route("/backfills/<int:backfill_id>/cancel", methods=["POST"])
@role_required("Op")
def cancel(backfill_id: int) -> Response:
    try:
        view = backfills.cancel_backfill(settings(), backfill_id, source=event_source())
    except BatonError as exc:
        flash(str(exc), "error")
    else:
        flash(
            f"Backfill {backfill_id} cancelled: {view.progress.cancelled} date(s) will not run; "
            "running runs finish.",
            "success",
        )
    back = request.form.get("next", "")
    # Only a path of this site: never an open redirect.
    return redirect(back if back.startswith("/") and not back.startswith("//") else "/backfills")


def _request(dag_id: str, form: Mapping[str, str]) -> BackfillRequest:
    first = api.parse_logical_date(form.get("from_date", "").strip())
    last = api.parse_logical_date(form.get("to_date", "").strip())
    if first is None or last is None:
        raise BatonError("fill in both the from date and the to date (e.g. 2026-01-01)")
    raw_max = form.get("max_active_runs", "10").strip()
    if not raw_max.isdigit():
        raise BatonError(f"max active runs {raw_max!r} is not a whole number")
    conf = api.parse_conf(
        form.get("conf", "").strip() or None, JsonLimits.from_settings(settings())
    )
    return backfills.make_request(
        dag_id,
        first,
        last,
        max_active_runs=int(raw_max),
        reprocess_behavior=form.get("reprocess_behavior", "none"),
        run_backwards=form.get("run_backwards") == "on",
        conf=conf,
    )


def _dag_page(dag_id: str, **context: object) -> str:
    with read_session() as session:
        dag = dag_store.get_dag(session, dag_id)
    spec = DagSpec.from_dict(dag.spec)
    found = backfills.list_backfills(settings(), dag_id, limit=20)
    return render_template(
        "dag/backfill.html",
        dag=dag,
        spec=spec,
        tab="backfill",
        run=None,
        schedule=describe(dag.schedule),
        backfills=found,
        behaviors=("none", "failed", "completed"),
        **context,
    )
