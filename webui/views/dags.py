"""The DAG list (the home page) and the pause toggle."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from scheduler import api
from scheduler.errors import BatonError
from webui.auth import event_source, login_required, role_required
from webui.queries import dags as dag_queries
from webui.views.common import pager_args, read_session, settings
from webui.views.dag import RUN_STATES
from webui.views.plugins import plugin_report

bp = Blueprint("dags", __name__)


@bp.route("/")
@bp.route("/dags")
@login_required
def dag_list() -> str:
    filters = dag_queries.DagListFilters(
        search=request.args.get("search", "").strip(),
        tag=request.args.get("tag", "").strip(),
        paused=request.args.get("paused", ""),
    )
    with read_session() as session:
        page, tags = dag_queries.dag_list(session, filters, request.args.get("page"))
        errors = dag_queries.import_error_count(session)
    return render_template(
        "dags/list.html",
        dags=page.rows,
        page=page,
        tags=tags,
        filters=filters,
        import_errors=errors,
        plugin_failures=len(plugin_report().failures),
        run_states=RUN_STATES,
        page_args=lambda **changes: pager_args(request.args, **changes),
    )


@bp.route("/dags/<dag_id>/pause", methods=["POST"])
@role_required("Op")
def toggle_pause(dag_id: str) -> Response:
    """Pause (``is_paused=true``) or unpause a DAG, then go back to where the form was."""
    paused = request.form.get("is_paused", "").lower() == "true"
    try:
        api.set_paused(settings(), [dag_id], paused, source=event_source())
    except BatonError as exc:
        flash(str(exc), "error")
    else:
        flash(f"DAG '{dag_id}' {'paused' if paused else 'unpaused'}.", "success")
    return redirect(_back(url_for("dags.dag_list")))


def _back(default: str) -> str:
    """The page the form came from (a local path only, never another site)."""
    target = request.form.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default
