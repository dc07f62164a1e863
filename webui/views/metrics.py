"""The metrics dashboard, overall or for one DAG, over the last hour, day or week."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, render_template, request, url_for
from markupsafe import Markup

from scheduler.errors import BatonError, DagNotFoundError
from scheduler.store import dags as dag_store
from webui.auth import login_required
from webui.charts.timeseries import Series, hbars, lines, stacked_bars
from webui.queries import metrics as metric_queries
from webui.views.common import not_found, read_session

bp = Blueprint("metrics", __name__)


@bp.errorhandler(DagNotFoundError)
def _missing(error: BatonError) -> tuple[str, int]:
    return not_found(error)


@bp.route("/metrics/dashboard")
@bp.route("/dags/<dag_id>/metrics")
@login_required
def dashboard(dag_id: str | None = None) -> str:
    name = request.args.get("window", metric_queries.DEFAULT_WINDOW)
    window = metric_queries.WINDOWS.get(name, metric_queries.WINDOWS[metric_queries.DEFAULT_WINDOW])
    with read_session() as session:
        if dag_id is not None:
            dag_store.get_dag(session, dag_id)
        metrics = metric_queries.dashboard(session, window, datetime.now(UTC), dag_id)
    return render_template(
        "metrics.html",
        m=metrics,
        dag_id=dag_id,
        windows=list(metric_queries.WINDOWS),
        charts=_charts(metrics),
    )


def _charts(m: metric_queries.Metrics) -> dict[str, Markup]:
    return {**_throughput(m), **_latency(m), "slowest": _slowest(m)}


def _throughput(m: metric_queries.Metrics) -> dict[str, Markup]:
    """Finished runs and tries per hour in each bucket (a bucket may be shorter than one)."""
    per_hour = 3600 / m.window.bucket.total_seconds()
    charts = {}
    for name, counts, unit in (("runs", m.runs, "runs/h"), ("tries", m.tries, "tasks/h")):
        series = [
            Series(state, f"st-{state}", [value * per_hour for value in counts[state]])
            for state in ("success", "failed")
        ]
        charts[name] = stacked_bars(m.buckets, m.window.bucket, series, unit)
    return charts


def _latency(m: metric_queries.Metrics) -> dict[str, Markup]:
    run = Series("run duration p95", "st-running", m.run_duration_p95)
    delay = Series("queued → running p95", "st-queued", m.task_delay_p95)
    return {
        "run_latency": lines(m.buckets, m.window.bucket, [run], "s"),
        "task_delay": lines(m.buckets, m.window.bucket, [delay], "s"),
    }


def _slowest(m: metric_queries.Metrics) -> Markup:
    def link(i: int) -> str:
        return url_for("dag.grid", dag_id=m.slowest[i].dag_id)

    return hbars([(f"{s.dag_id}.{s.task_id}", s.mean) for s in m.slowest], "s", link)
