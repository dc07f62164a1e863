"""The metrics dashboard, overall or for one DAG, over the last hour, day or week.

The page carries the cards and the slowest tasks; its time charts (throughput, error
rates, latency) are drawn in the browser by ``static/charts.js`` from the JSON that
``metrics.json`` answers, which the page also carries (one query per view, not two)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, jsonify, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from scheduler.errors import BatonError, DagNotFoundError
from scheduler.store import dags as dag_store
from webui.auth import login_required
from webui.charts.hbars import hbars
from webui.charts.uplot import ChartSeries, chart
from webui.queries import dashboard_stats
from webui.views.common import read_session, refused

bp = Blueprint("metrics", __name__)


@bp.errorhandler(DagNotFoundError)
def _missing(error: BatonError) -> tuple[str, int] | tuple[Response, int]:
    return refused(error, 404, "Not found")


def _metrics(dag_id: str | None) -> dashboard_stats.Metrics:
    name = request.args.get("window", dashboard_stats.DEFAULT_WINDOW)
    window = dashboard_stats.WINDOWS.get(
        name, dashboard_stats.WINDOWS[dashboard_stats.DEFAULT_WINDOW]
    )
    with read_session() as session:
        if dag_id is not None:
            dag_store.get_dag(session, dag_id)
        return dashboard_stats.dashboard(session, window, datetime.now(UTC), dag_id)


@bp.route("/metrics/dashboard")
@bp.route("/dags/<dag_id>/metrics")
@login_required
def dashboard(dag_id: str | None = None) -> str:
    metrics = _metrics(dag_id)
    window = metrics.window.name
    if dag_id is None:
        data_url = url_for("metrics.dashboard_json", window=window)
    else:
        data_url = url_for("metrics.dashboard_json", dag_id=dag_id, window=window)
    return render_template(
        "metrics.html",
        m=metrics,
        dag_id=dag_id,
        windows=list(dashboard_stats.WINDOWS),
        slowest=_slowest(metrics),
        data_url=data_url,
        # The charts' JSON goes in the page too: drawing them costs no second dashboard query.
        charts_json=json.dumps({"charts": charts(metrics)}),
    )


@bp.route("/metrics/dashboard.json")
@bp.route("/dags/<dag_id>/metrics.json")
@login_required
def dashboard_json(dag_id: str | None = None) -> Response:
    """The dashboard's time charts: ``?window=hour|day|week`` as on the page."""
    m = _metrics(dag_id)
    return jsonify(window=m.window.name, charts=charts(m))


def charts(m: dashboard_stats.Metrics) -> dict[str, dict[str, Any]]:
    """Throughput (finished per hour: all, and the failed part of them drawn over it, which
    reads as a stacked bar), error rates per bucket and the p95 latencies."""
    per_hour = 3600 / m.window.bucket.total_seconds()
    out = {}
    for name, counts, unit in (("runs", m.runs, "runs/h"), ("tries", m.tries, "tries/h")):
        finished = [ok + bad for ok, bad in zip(counts["success"], counts["failed"], strict=True)]
        out[name] = chart(
            m.buckets,
            unit,
            [
                ChartSeries("finished", "success", [v * per_hour for v in finished], "bars"),
                ChartSeries("failed", "failed", [v * per_hour for v in counts["failed"]], "bars"),
            ],
        )
    out["errors"] = chart(
        m.buckets,
        "%",
        [
            ChartSeries("failed runs", "failed", _rates(m.runs)),
            ChartSeries("failed tries", "upstream_failed", _rates(m.tries), dash=True),
        ],
    )
    out["run_latency"] = chart(
        m.buckets, "s", [ChartSeries("run duration p95", "running", m.run_duration_p95)]
    )
    out["task_delay"] = chart(
        m.buckets, "s", [ChartSeries("queued → running p95", "link", m.task_delay_p95)]
    )
    return out


def _rates(counts: dict[str, list[int]]) -> list[float | None]:
    """Failed share of the finished, in percent, per bucket (None where nothing finished)."""
    return [
        100 * bad / (ok + bad) if ok + bad else None
        for ok, bad in zip(counts["success"], counts["failed"], strict=True)
    ]


def _slowest(m: dashboard_stats.Metrics) -> Markup:
    def link(i: int) -> str:
        return url_for("dag.grid", dag_id=m.slowest[i].dag_id)

    return hbars([(f"{s.dag_id}.{s.task_id}", s.mean) for s in m.slowest], "s", link)
