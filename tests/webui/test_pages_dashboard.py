"""The metrics dashboard: counts, percentiles and time buckets over a window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from scheduler import api
from scheduler.store.db import transaction
from scheduler.store.models import dag_run_table, task_try_table
from webui.queries.dashboard_stats import WINDOWS, dashboard, percentile

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


def test_percentile_is_nearest_rank() -> None:
    values = sorted(float(v) for v in range(1, 101))
    assert (percentile(values, 50), percentile(values, 95)) == (50.0, 95.0)
    assert percentile([], 50) is None and percentile([7.0], 95) == 7.0


def _add_history(settings) -> None:
    """Runs and tries at known times in the last day before NOW (a future date: nothing else)."""
    runs, tries = [], []
    for i in range(10):
        end = NOW - timedelta(hours=i, minutes=30)
        state = "failed" if i == 0 else "success"
        runs.append(
            dict(
                dag_id="demo_etl",
                run_id=f"m{i}",
                run_type="manual",
                state=state,
                logical_date=end,
                data_interval_start=end,
                data_interval_end=end,
                conf={},
                queued_at=end - timedelta(seconds=20 + i),
                start_date=end - timedelta(seconds=10 + i),
                end_date=end,
            )
        )
        for number in (1, 2) if i == 0 else (1,):
            tries.append(
                dict(
                    dag_id="demo_etl",
                    run_id=f"m{i}",
                    task_id="extract",
                    try_number=number,
                    state="failed" if i == 0 and number == 1 else "success",
                    queued_at=end - timedelta(seconds=9),
                    start_date=end - timedelta(seconds=8),
                    end_date=end,
                    duration=float(i + 1),
                )
            )
    with transaction(api.database(settings)) as session:
        session.execute(insert(dag_run_table), runs)
        session.execute(insert(task_try_table), tries)


def test_dashboard_counts_and_latencies(webui) -> None:
    _add_history(webui.settings)
    with transaction(api.read_database(webui.settings)) as session:
        m = dashboard(session, WINDOWS["day"], NOW, "demo_etl")
        hour = dashboard(session, WINDOWS["hour"], NOW, None)
    assert (m.total_runs, m.failed_runs) == (10, 1)
    assert (m.total_tries, m.failed_tries, m.retries) == (11, 1, 1)
    assert m.run_duration.p50 is not None and 14 <= m.run_duration.p50 <= 15
    assert m.task_delay.p95 is not None and abs(m.task_delay.p95 - 1.0) < 0.01
    assert m.task_duration.p95 == 10.0
    assert sum(m.runs["success"]) == 9 and sum(m.runs["failed"]) == 1
    # The latest bucket (the hour before NOW) holds run m0, the failed one.
    assert m.runs["failed"][-1] == 1 and m.runs["success"][-2] == 1
    assert m.slowest[0][:2] == ("demo_etl", "extract")
    assert hour.total_runs == 1  # only m0 ended within the last hour


def test_dashboard_page_overall_and_per_dag(viewer_client) -> None:
    html = viewer_client.get("/metrics/dashboard?window=week").get_data(as_text=True)
    assert "last week" in html and html.count("<svg") >= 1 and html.count("data-chart=") == 5
    assert 'data-testid="runs-finished">2<' in html  # the seed's success and failure
    html = viewer_client.get("/dags/demo_fail/metrics?window=bogus").get_data(as_text=True)
    assert 'data-testid="runs-finished">1<' in html  # unknown window: the default (a day)
    assert viewer_client.get("/dags/nope/metrics").status_code == 404
