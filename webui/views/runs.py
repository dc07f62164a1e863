"""All runs of all DAGs (Airflow's Browse > DAG Runs), filtered by state and date."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from webui.auth import login_required
from webui.queries import runs as run_queries
from webui.views.common import pager_args, parse_day, read_session
from webui.views.dag import RUN_STATES

bp = Blueprint("runs", __name__)


@bp.route("/runs")
@login_required
def run_list() -> str:
    state = request.args.get("state", "")
    dag_id = request.args.get("dag_id", "").strip() or None
    filters = run_queries.RunFilters(
        state=state if state in RUN_STATES else "",
        since=parse_day(request.args.get("since")),
        until=parse_day(request.args.get("until"), end=True),
    )
    with read_session() as session:
        page = run_queries.run_history(session, dag_id, filters, request.args.get("page"))
    return render_template(
        "runs.html",
        rows=page.rows,
        page=page,
        states=RUN_STATES,
        show_dag=True,
        page_args=lambda **changes: pager_args(request.args, **changes),
    )
