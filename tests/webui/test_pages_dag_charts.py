"""A DAG's Durations and Calendar tabs, their JSON, and the metrics dashboard's chart JSON."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

from sqlalchemy import insert

from scheduler import api
from scheduler.store.db import transaction
from scheduler.store.models import dag_run_table
from webui.charts.calendar import DayCell, year_weeks
from webui.charts.uplot import ChartSeries, chart

DAY = datetime(2031, 3, 2, 6, 0, tzinfo=UTC)  # a Sunday, years after the seed's runs


def _add_runs(settings, durations: list[float], states: list[str] | None = None) -> None:
    """Finished runs of demo_etl, one a day from DAY on, lasting ``durations`` seconds."""
    rows = []
    for i, seconds in enumerate(durations):
        logical = DAY + timedelta(days=i)
        rows.append(
            dict(
                dag_id="demo_etl",
                run_id=f"t{i}",
                run_type="scheduled",
                state=(states or ["success"] * len(durations))[i],
                logical_date=logical,
                data_interval_start=logical,
                data_interval_end=logical,
                conf={},
                queued_at=logical,
                start_date=logical,
                end_date=logical + timedelta(seconds=seconds),
            )
        )
    with transaction(api.database(settings)) as session:
        session.execute(insert(dag_run_table), rows)


def test_durations_json_lists_the_last_runs_with_their_p95(webui, viewer_client) -> None:
    _add_runs(webui.settings, [float(s) for s in range(1, 21)])  # 1..20 s
    body = viewer_client.get("/dags/demo_etl/durations.json?limit=10").get_json()
    assert [r["run_id"] for r in body["runs"]] == [f"t{i}" for i in range(10, 20)]  # oldest first
    assert body["p95"] == 20.0 and body["p50"] == 15.0
    durations = body["charts"]["durations"]
    assert durations["x"] == [(DAY + timedelta(days=i)).timestamp() for i in range(10, 20)]
    success, p95 = durations["series"]  # one series of points per state, then the p95
    assert (success["label"], success["kind"], p95["label"]) == ("success", "points", "p95")
    assert success["values"] == [float(s) for s in range(11, 21)]
    assert p95["values"] == [20.0] * 10
    assert durations["links"][0] == "/dags/demo_etl/runs/t10"


def test_durations_json_refuses_a_bad_limit_and_an_unknown_dag(viewer_client) -> None:
    for bad in ("0", "501", "ten", "-3"):
        response = viewer_client.get(f"/dags/demo_etl/durations.json?limit={bad}")
        assert response.status_code == 400, bad
        assert (
            "limit=" in response.get_json()["error"] and "1 to 500" in response.get_json()["error"]
        )
    response = viewer_client.get("/dags/nope/durations.json")
    assert response.status_code == 404 and "nope" in response.get_json()["error"]


def test_durations_page(webui, viewer_client) -> None:
    _add_runs(webui.settings, [2.0, 4.0], ["failed", "success"])
    series = viewer_client.get("/dags/demo_etl/durations.json").get_json()["charts"]["durations"]
    assert [(s["label"], s["values"][-2:]) for s in series["series"]] == [
        ("success", [None, 4.0]),
        ("failed", [2.0, None]),
        ("p95", [4.0, 4.0]),
    ]
    html = viewer_client.get("/dags/demo_etl/durations?limit=25").get_data(as_text=True)
    assert 'data-chart-src="/dags/demo_etl/durations.json?limit=25"' in html
    assert 'data-chart="durations"' in html and "vendor/uplot/uPlot.iife.min.js" in html
    assert viewer_client.get("/dags/demo_etl/durations?limit=0").status_code == 400
    empty = viewer_client.get("/dags/demo_fail/durations").get_data(as_text=True)
    assert "data-chart-src" in empty  # the seed's failed run finished: one point


def test_calendar_counts_runs_per_day_and_links_them(webui, viewer_client) -> None:
    _add_runs(webui.settings, [1.0, 1.0, 1.0], ["success", "failed", "running"])
    html = viewer_client.get("/dags/demo_etl/calendar?year=2031").get_data(as_text=True)
    assert 'data-testid="calendar-year">2031<' in html
    assert 'data-day="2031-03-02" data-outcome="success"' in html
    assert 'data-day="2031-03-03" data-outcome="failed"' in html
    assert 'data-day="2031-03-04" data-outcome="running"' in html
    assert 'href="/dags/demo_etl/runs?since=2031-03-02&amp;until=2031-03-02"' in html
    assert html.count('class="cal-day o-') >= 365
    # Without ?year: the year of the latest run; the linked runs list holds that day's run.
    assert 'data-testid="calendar-year">2031<' in viewer_client.get(
        "/dags/demo_etl/calendar"
    ).get_data(as_text=True)
    runs = viewer_client.get("/dags/demo_etl/runs?since=2031-03-03&until=2031-03-03").get_data(
        as_text=True
    )
    assert "t1" in runs and ">t0<" not in runs and ">t2<" not in runs
    bad = viewer_client.get("/dags/demo_etl/calendar?year=20x1")
    assert bad.status_code == 400 and "is not a year" in bad.get_data(as_text=True)


def test_year_weeks_start_on_monday_and_cover_the_year() -> None:
    weeks = year_weeks(2031, {date(2031, 1, 1): {"success": 2, "failed": 1}})
    cells = [cell for week in weeks for cell in week if cell is not None]
    assert len(cells) == 365 and all(len(week) == 7 for week in weeks)
    assert weeks[0][2] == cells[0] and cells[0].day == date(2031, 1, 1)  # a Wednesday
    assert cells[0].outcome == "failed" and cells[0].total == 3
    assert cells[0].title == "Wed 2031-01-01: 1 failed, 2 success"
    assert DayCell(date(2031, 1, 2), {"compensated": 1}).outcome == "success"
    assert DayCell(date(2031, 1, 2), {}).outcome == "none"


def test_metrics_json_has_throughput_error_rates_and_latency(viewer_client) -> None:
    body = viewer_client.get("/metrics/dashboard.json?window=week").get_json()
    assert body["window"] == "week"
    assert set(body["charts"]) == {"runs", "tries", "errors", "run_latency", "task_delay"}
    runs = body["charts"]["runs"]
    finished, failed = runs["series"]
    assert (finished["label"], failed["label"]) == ("finished", "failed")
    per_hour = 1 / 6  # a week's buckets are 6 hours: one run in one is 1/6 run per hour
    assert round(sum(finished["values"]) / per_hour) == 2  # the seed's success and failure
    assert round(sum(failed["values"]) / per_hour) == 1
    errors = body["charts"]["errors"]["series"][0]["values"]
    assert [v for v in errors if v is not None] == [50.0]  # both runs ended in one bucket
    assert viewer_client.get("/dags/nope/metrics.json").status_code == 404
    html = viewer_client.get("/dags/demo_etl/metrics?window=hour").get_data(as_text=True)
    assert 'data-chart-src="/dags/demo_etl/metrics.json?window=hour"' in html
    # The page carries the same charts (no second query to draw them).
    carried = re.search(r'data-charts="([^"]*)"', html)
    assert carried is not None
    same = viewer_client.get("/dags/demo_etl/metrics.json?window=hour").get_json()["charts"]
    assert json.loads(unescape(carried.group(1)))["charts"].keys() == same.keys()


def test_chart_json_refuses_series_of_the_wrong_length() -> None:
    x = [DAY, DAY + timedelta(hours=1)]
    assert chart(x, "s", [ChartSeries("a", "success", [1.0, None])])["series"][0]["values"] == [
        1.0,
        None,
    ]
    try:
        chart(x, "s", [ChartSeries("a", "success", [1.0])])
    except ValueError as exc:
        assert "'a' has 1 values for 2 x" in str(exc)
    else:
        raise AssertionError("a short series was accepted")
