"""``/api/v1/health`` lists the live schedulers (not the stale or stopped ones), the cluster
page shows them, and ``jobs check``'s rules (Airflow's) hold, on a real migrated database."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from scheduler import api
from scheduler.api.cluster import check_jobs
from scheduler.clock import utcnow
from scheduler.errors import BatonError
from scheduler.store.db import transaction
from scheduler.store.jobs import end_job, start_job
from tests.webui.conftest import BatonClient, WebUI
from webui import create_app


def _job(webui: WebUI, age: timedelta) -> int:
    with transaction(api.database(webui.settings)) as session:
        return start_job(session, utcnow() - age)


def test_the_api_lists_only_live_schedulers(webui: WebUI, viewer_client: BatonClient) -> None:
    live = _job(webui, timedelta(seconds=1))
    _job(webui, timedelta(minutes=5))  # stale: its scheduler is gone
    stopped = _job(webui, timedelta(seconds=0))
    with transaction(api.database(webui.settings)) as session:
        end_job(session, stopped, utcnow())
    response = viewer_client.get("/api/v1/health")
    assert response.status_code == 200, response.json
    assert [job["id"] for job in response.json["schedulers"]] == [live]
    job = response.json["schedulers"][0]
    assert set(job) == {
        "id",
        "hostname",
        "pid",
        "started_at",
        "latest_heartbeat",
        "heartbeat_age_s",
    }
    assert 0 <= job["heartbeat_age_s"] < 10
    assert "celery" not in response.json  # the local executor has no workers to inspect
    assert viewer_client.get("/health").json["scheduler"]["status"] == "healthy"


def test_the_health_api_needs_a_login(anon_client: BatonClient) -> None:
    assert anon_client.get("/api/v1/health").status_code == 401


def test_the_cluster_page_shows_the_live_schedulers(
    webui: WebUI, viewer_client: BatonClient
) -> None:
    empty = viewer_client.get("/cluster").get_data(as_text=True)
    assert "No live scheduler" in empty and 'data-testid="scheduler-status">unhealthy' in empty
    live = _job(webui, timedelta(seconds=1))
    html = viewer_client.get("/cluster").get_data(as_text=True)
    assert f'data-job-id="{live}"' in html
    assert 'data-testid="scheduler-status">healthy' in html
    assert 'href="/cluster"' in html  # in the nav


def test_jobs_check_follows_airflows_rules(webui: WebUI) -> None:
    with pytest.raises(BatonError, match=r"^No alive jobs found\.$"):
        check_jobs(webui.settings)
    _job(webui, timedelta(seconds=1))
    _job(webui, timedelta(seconds=2))
    assert check_jobs(webui.settings) == "Found one alive job."  # --limit 1: the newest
    with pytest.raises(BatonError, match=r"Found 2 alive jobs\. Expected only one\."):
        check_jobs(webui.settings, limit=0)
    assert check_jobs(webui.settings, limit=5, allow_multiple=True) == "Found 2 alive jobs."
    with pytest.raises(BatonError, match="you must set the limit to a value greater than 1"):
        check_jobs(webui.settings, allow_multiple=True)
    with pytest.raises(BatonError, match="can't use --hostname and --local"):
        check_jobs(webui.settings, hostname="h", local=True)
    with pytest.raises(BatonError, match=r"No alive jobs found\."):
        check_jobs(webui.settings, hostname="no-such-host")
    assert check_jobs(webui.settings, local=True, job_type="SchedulerJob") == (
        "Found one alive job."
    )
    with pytest.raises(BatonError, match="'TriggererJob' is not a job Baton records"):
        check_jobs(webui.settings, job_type="TriggererJob")


def test_a_broker_that_does_not_answer_is_reported_not_raised(webui: WebUI) -> None:
    """With Celery on a broker nobody listens on: /api/v1/health says why, the cluster page
    renders, /metrics answers with baton_celery_broker_up 0 (the real brokers are in
    tests/e2e/test_cluster_health.py)."""
    settings = replace(
        webui.settings, executor="celery", celery_broker_url="redis://:pw@127.0.0.1:1/0"
    )
    client = create_app({"BATON_SETTINGS": settings, "TESTING": True}).test_client()
    _job(webui, timedelta(seconds=1))
    headers = webui.bearer("Viewer")
    health = client.get("/api/v1/health", headers=headers)
    assert health.status_code == 200  # the web UI and a scheduler are fine
    celery = health.json["celery"]
    assert celery["status"] == "unhealthy" and celery["workers"] == []
    assert celery["error"].startswith("the broker does not answer")
    assert celery["broker"] == "redis://:***@127.0.0.1:1/0"  # the password never shows
    page = client.get("/cluster", headers=headers).get_data(as_text=True)
    assert 'data-testid="queues-error"' in page and "pw@" not in page
    metrics = client.get("/metrics", headers=headers).get_data(as_text=True)
    assert "baton_celery_broker_up 0.0" in metrics and "baton_celery_queue_depth" not in metrics
