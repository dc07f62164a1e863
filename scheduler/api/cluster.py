"""The cluster's health: the database, the live schedulers and (with Celery) the workers.

``health_report`` keeps Airflow's shape (``metadatabase``, ``scheduler`` with
``latest_scheduler_heartbeat``) and, with ``detail``, adds Baton's lists: every live
scheduler job, and the Celery workers with the tries they run. ``check_jobs`` is
``baton jobs check``: Airflow's command, flags and messages.
"""

from __future__ import annotations

import socket
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from scheduler.api.celery_cluster import INSPECT_TIMEOUT_S, inspect_workers
from scheduler.api.databases import read_database
from scheduler.clock import utcnow
from scheduler.errors import BatonError
from scheduler.settings import Settings, mask_url_password
from scheduler.store import jobs as job_store
from scheduler.store.db import transaction
from scheduler.store.live_jobs import live_jobs
from scheduler.store.models import SchedulerJobRow

HEALTHY, UNHEALTHY = "healthy", "unhealthy"
JOB_TYPES = ("SchedulerJob",)  # Airflow's names; the others are not jobs Baton records


def health_report(
    settings: Settings, *, detail: bool = False, timeout: float = INSPECT_TIMEOUT_S
) -> dict[str, Any]:
    """The report of ``/health`` (``detail=False``) or ``/api/v1/health`` (``detail=True``)."""
    now = utcnow()
    threshold = timedelta(seconds=settings.scheduler_health_threshold)
    try:
        with transaction(read_database(settings)) as session:
            session.execute(text("SELECT 1"))
            live = live_jobs(session, now, threshold)
            # Several schedulers: one stopping (the newest heartbeat, then) leaves the others.
            latest = live[0] if live else job_store.latest_heartbeat(session)
    except Exception as exc:  # any failure here *is* the answer: the database is unhealthy
        report: dict[str, Any] = {
            "metadatabase": {"status": UNHEALTHY, "error": _describe(exc)},
            "scheduler": {"status": UNHEALTHY, "latest_scheduler_heartbeat": None},
        }
        if detail:
            report["schedulers"] = []
    else:
        report = {
            "metadatabase": {"status": HEALTHY},
            "scheduler": {
                "status": HEALTHY if live else UNHEALTHY,
                "latest_scheduler_heartbeat": latest.last_heartbeat.isoformat() if latest else None,
            },
        }
        if detail:
            report["schedulers"] = [_job(job, now) for job in live]
    if detail and settings.executor == "celery":
        report["celery"] = celery_report(settings, timeout)
    return report


def is_healthy(report: dict[str, Any]) -> bool:
    """What a load balancer asks: the database answers and a scheduler is alive."""
    return all(report[part]["status"] == HEALTHY for part in ("metadatabase", "scheduler"))


def celery_report(settings: Settings, timeout: float = INSPECT_TIMEOUT_S) -> dict[str, Any]:
    view = inspect_workers(settings, timeout)
    status = HEALTHY if view.workers and view.error is None else UNHEALTHY
    report: dict[str, Any] = {
        "status": status,
        "broker": view.broker,
        "workers": [
            {**asdict(worker), "running_tries": len(worker.active_tries)} for worker in view.workers
        ],
    }
    if view.error is not None:
        report["error"] = view.error
    elif not view.workers:
        report["error"] = f"no Celery worker answered within {timeout:g} s"
    return report


def _job(job: SchedulerJobRow, now: datetime) -> dict[str, Any]:
    return {
        "id": job.id,
        "hostname": job.hostname,
        "pid": job.pid,
        "started_at": job.started_at.isoformat(),
        "latest_heartbeat": job.last_heartbeat.isoformat(),
        "heartbeat_age_s": round((now - job.last_heartbeat).total_seconds(), 3),
    }


def check_jobs(
    settings: Settings,
    *,
    job_type: str | None = None,
    hostname: str | None = None,
    limit: int = 1,
    allow_multiple: bool = False,
    local: bool = False,
) -> str:
    """Airflow's ``jobs check``: the message of success, or ``BatonError`` with the failure.

    The newest ``limit`` running jobs (0: all) are checked for a fresh heartbeat.
    """
    if job_type is not None and job_type not in JOB_TYPES:
        raise BatonError(
            f"--job-type {job_type!r} is not a job Baton records; use one of: "
            f"{', '.join(JOB_TYPES)}"
        )
    if allow_multiple and limit <= 1:
        raise BatonError(
            "To use option --allow-multiple, you must set the limit to a value greater than 1."
        )
    if hostname and local:
        raise BatonError("You can't use --hostname and --local at the same time")
    if local:
        hostname = socket.gethostname()  # what a scheduler records as its hostname
    threshold = timedelta(seconds=settings.scheduler_health_threshold)
    with transaction(read_database(settings)) as session:
        alive = live_jobs(session, utcnow(), threshold, hostname=hostname, limit=limit)
    if not alive:
        raise BatonError("No alive jobs found.")
    if len(alive) > 1 and not allow_multiple:
        raise BatonError(f"Found {len(alive)} alive jobs. Expected only one.")
    return "Found one alive job." if len(alive) == 1 else f"Found {len(alive)} alive jobs."


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {mask_url_password(str(exc))}"[:300]
