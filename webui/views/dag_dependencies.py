"""DAG dependencies (Airflow's menu entry): which DAGs trigger, wait for or clear others."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for

from webui.auth import login_required
from webui.charts.dag_dependencies import render_dependencies
from webui.queries.dag_dependencies import dag_dependencies
from webui.views.common import read_session

bp = Blueprint("dag_dependencies", __name__)


@bp.route("/dag-dependencies")
@login_required
def dependencies() -> str:
    with read_session() as session:
        edges = dag_dependencies(session)
    picture = render_dependencies(edges, lambda dag_id: url_for("dag.grid", dag_id=dag_id))
    return render_template("dag_dependencies.html", edges=edges, picture=picture)
