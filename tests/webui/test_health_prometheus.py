"""``/health`` (public) reflects the scheduler's heartbeat and the database; ``/metrics``
exports counts and the hop latency in Prometheus text format."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from scheduler import api
from scheduler.clock import utcnow
from scheduler.settings import Settings
from scheduler.store.db import transaction
from scheduler.store.jobs import LoopStats, end_job, heartbeat, start_job
from tests.webui.conftest import BatonClient, WebUI
from webui import create_app


def _scheduler_heartbeat(webui: WebUI, age: timedelta) -> int:
    with transaction(api.database(webui.settings)) as session:
        return start_job(session, utcnow() - age)


def test_health_is_503_without_a_scheduler(anon_client: BatonClient) -> None:
    response = anon_client.get("/health")
    assert response.status_code == 503
    assert response.json == {  # Airflow's shape
        "metadatabase": {"status": "healthy"},
        "scheduler": {"status": "unhealthy", "latest_scheduler_heartbeat": None},
    }


def test_health_is_200_with_a_live_scheduler(webui: WebUI, anon_client: BatonClient) -> None:
    _scheduler_heartbeat(webui, timedelta(seconds=1))
    response = anon_client.get("/health")
    assert response.status_code == 200, response.json
    scheduler = response.json["scheduler"]
    assert scheduler["status"] == "healthy"
    assert scheduler["latest_scheduler_heartbeat"].endswith("+00:00")
    assert "schedulers" not in response.json  # hosts and pids only for a logged-in user


def test_a_stale_or_stopped_scheduler_is_unhealthy(webui: WebUI, anon_client: BatonClient) -> None:
    job = _scheduler_heartbeat(webui, timedelta(minutes=5))
    stale = anon_client.get("/health")
    assert stale.status_code == 503 and stale.json["scheduler"]["status"] == "unhealthy"
    with transaction(api.database(webui.settings)) as session:
        end_job(session, job, utcnow())
    assert anon_client.get("/health").status_code == 503


def test_an_unmigrated_database_is_unhealthy(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"BATON_HOME": str(tmp_path), "BATON_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    )
    client = create_app({"BATON_SETTINGS": settings}).test_client()
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json["metadatabase"]["status"] == "unhealthy"
    assert "baton db migrate" in response.json["metadatabase"]["error"]


def _metrics(client: BatonClient) -> dict[str, dict[tuple, float]]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[labels] = sample.value
    return samples


def test_metrics_count_runs_tasks_and_tries_by_state(viewer_client: BatonClient) -> None:
    samples = _metrics(viewer_client)
    runs = {dict(k)["state"]: v for k, v in samples["baton_dag_runs"].items()}
    assert runs == {"success": 1, "failed": 1, "queued": 1}
    tis = {dict(k)["state"]: v for k, v in samples["baton_task_instances"].items()}
    assert tis == {"success": 3, "failed": 1, "upstream_failed": 1, "none": 3}
    tries = {dict(k)["state"]: v for k, v in samples["baton_task_tries_recent"].items()}
    assert tries == {"success": 3, "failed": 1}
    assert samples["baton_queue_depth"][()] == 0


def test_hop_latency_histogram_has_one_hop_per_downstream_try(viewer_client: BatonClient) -> None:
    samples = _metrics(viewer_client)
    # demo_etl ran extract -> transform -> load: two hops; demo_fail stopped at its first task.
    assert samples["baton_task_hop_latency_seconds_count"][()] == 2
    buckets = samples["baton_task_hop_latency_seconds_bucket"]
    assert buckets[(("le", "+Inf"),)] == 2
    counts = [buckets[k] for k in sorted(buckets, key=lambda k: float(dict(k)["le"]))]
    assert counts == sorted(counts)  # cumulative
    assert 0 <= samples["baton_task_hop_latency_seconds_sum"][()] < 60


def test_heartbeat_age_metric(webui: WebUI, viewer_client: BatonClient) -> None:
    _scheduler_heartbeat(webui, timedelta(seconds=42))
    age = _metrics(viewer_client)["baton_scheduler_heartbeat_age_seconds"][()]
    assert 42 <= age < 300


def test_scheduler_loop_duration_comes_from_its_heartbeat(
    webui: WebUI, viewer_client: BatonClient
) -> None:
    loops = LoopStats()
    for seconds in (0.001, 0.003, 0.002):
        loops.add(seconds)
    job_id = _scheduler_heartbeat(webui, timedelta(seconds=1))
    with transaction(api.database(webui.settings)) as session:
        heartbeat(session, job_id, utcnow(), loops)
    samples = _metrics(viewer_client)
    assert samples["baton_scheduler_loop_duration_seconds_count"][()] == 3
    assert samples["baton_scheduler_loop_duration_seconds_sum"][()] == pytest.approx(0.006)
    assert samples["baton_scheduler_loop_duration_max_seconds"][()] == pytest.approx(0.003)
