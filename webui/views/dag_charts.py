"""A DAG's history tabs: Durations (the last runs' durations with their p95, drawn by
``static/charts.js`` from ``durations.json``) and Calendar (one cell per day, coloured by
the outcome of that day's runs, linking to them)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, jsonify, request, url_for
from werkzeug.wrappers import Response

from scheduler.errors import BatonError, DagNotFoundError
from scheduler.store import dags as dag_store
from webui.auth import login_required
from webui.charts.calendar import month_labels, year_weeks
from webui.charts.uplot import ChartSeries, chart
from webui.queries import run_trends
from webui.views.common import read_session, refused
from webui.views.dag import _load, _page

bp = Blueprint("dag_charts", __name__, url_prefix="/dags/<dag_id>")

TREND_CHOICES = (25, 50, 100, 250, 500)
FIRST_YEAR, LAST_YEAR = 1970, 9998  # what a calendar year may be (a datetime's range)


class BadChartArgument(BatonError):
    """A query-string value of a chart that is out of range."""


@bp.errorhandler(DagNotFoundError)
def _missing(error: BatonError) -> tuple[str, int] | tuple[Response, int]:
    return refused(error, 404, "Not found")


@bp.errorhandler(BadChartArgument)
def _bad_argument(error: BatonError) -> tuple[str, int] | tuple[Response, int]:
    return refused(error, 400, "Bad request")


def _limit() -> int:
    raw = request.args.get("limit", str(run_trends.DEFAULT_TREND_RUNS))
    if not raw.isdigit() or not 1 <= int(raw) <= run_trends.MAX_TREND_RUNS:
        raise BadChartArgument(
            f"limit={raw!r} is not a number of runs; use a whole number from 1 to "
            f"{run_trends.MAX_TREND_RUNS}"
        )
    return int(raw)


@bp.route("/durations")
@login_required
def durations(dag_id: str) -> str:
    """The chart of ``?limit=N`` runs (default 50); the page carries its JSON (one query)."""
    limit = _limit()
    with read_session() as session:
        dag, spec = _load(session, dag_id)
        trend = run_trends.duration_trend(session, dag_id, limit)
    return _page(
        "dag/durations.html",
        dag,
        spec,
        "durations",
        trend=trend,
        limit=limit,
        choices=TREND_CHOICES,
        data_url=url_for("dag_charts.durations_json", dag_id=dag_id, limit=limit),
        charts_json=json.dumps(_durations_body(dag_id, trend)),
    )


@bp.route("/durations.json")
@login_required
def durations_json(dag_id: str) -> Response:
    """The last ``?limit=N`` finished runs (default 50, up to 500): each run's duration by
    logical date, the p95 over them as a line, and each point's run page."""
    limit = _limit()
    with read_session() as session:
        dag_store.get_dag(session, dag_id)
        trend = run_trends.duration_trend(session, dag_id, limit)
    return jsonify(_durations_body(dag_id, trend))


def _durations_body(dag_id: str, trend: run_trends.DurationTrend) -> dict[str, Any]:
    runs = trend.runs
    # One series of points per run state (its colour), then the p95 as a dashed line.
    states = sorted({run.state for run in runs}, key=lambda s: (s != "success", s != "failed", s))
    points = [
        ChartSeries(
            state, state, [r.duration if r.state == state else None for r in runs], "points"
        )
        for state in states
    ]
    body = chart(
        [run.logical_date for run in runs],
        "s",
        [*points, ChartSeries("p95", "link", [trend.p95] * len(runs), dash=True)],
        links=[url_for("run.run_details", dag_id=dag_id, run_id=run.run_id) for run in runs],
    )
    return {
        "p50": trend.p50,
        "p95": trend.p95,
        "runs": [
            {
                "run_id": run.run_id,
                "logical_date": run.logical_date.isoformat(),
                "state": run.state,
                "duration": run.duration,
            }
            for run in runs
        ],
        "charts": {"durations": body},
    }


@bp.route("/calendar")
@login_required
def calendar(dag_id: str) -> str:
    """``?year=YYYY`` (default: the year of the latest run, else this one)."""
    with read_session() as session:
        dag, spec = _load(session, dag_id)
        span = run_trends.years_with_runs(session, dag_id)
        year = _year(request.args.get("year"), span)
        counts = run_trends.runs_per_day(session, dag_id, year)
    weeks = year_weeks(year, counts.days)
    return _page(
        "dag/calendar.html",
        dag,
        spec,
        "calendar",
        year=year,
        span=span,
        weeks=weeks,
        months=month_labels(weeks),
        day_url=lambda day: _day_url(dag_id, day),
        totals=_totals(counts.days),
    )


def _year(raw: str | None, span: tuple[int, int] | None) -> int:
    if not raw:
        return span[1] if span else datetime.now(UTC).year
    if not raw.isdigit() or not FIRST_YEAR <= int(raw) <= LAST_YEAR:
        raise BadChartArgument(
            f"year={raw!r} is not a year; use four digits from {FIRST_YEAR} to {LAST_YEAR}, "
            "or leave it out for the year of the latest run"
        )
    return int(raw)


def _day_url(dag_id: str, day: date) -> str:
    # The runs tab filters on logical dates, from the day to the day (inclusive)
    return url_for("dag.runs", dag_id=dag_id, since=day.isoformat(), until=day.isoformat())


def _totals(days: dict[date, dict[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for counts in days.values():
        for state, number in counts.items():
            totals[state] = totals.get(state, 0) + number
    return totals
