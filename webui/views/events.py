"""The event log (every state change and user action) and the DAG import errors."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, render_template, request

from webui.auth import login_required
from webui.queries import events as event_queries
from webui.views.common import read_session

bp = Blueprint("events", __name__)


@bp.route("/events")
@login_required
def event_list() -> str:
    filters = event_queries.EventFilters(
        dag_id=request.args.get("dag_id", "").strip(),
        run_id=request.args.get("run_id", "").strip(),
        task_id=request.args.get("task_id", "").strip(),
        event=request.args.get("event", "").strip(),
    )
    before = request.args.get("before", "")
    with read_session() as session:
        rows, older = event_queries.events(
            session, filters, int(before) if before.isdigit() else None
        )
    return render_template(
        "events.html",
        rows=rows,
        older=older,
        filters=filters,
        filter_args={key: value for key, value in asdict(filters).items() if value},
        event_types=event_queries.EVENT_TYPES,
        newest=not before,
    )


@bp.route("/import-errors")
@login_required
def import_errors() -> str:
    with read_session() as session:
        errors = event_queries.import_errors(session)
    return render_template("import_errors.html", errors=errors)
