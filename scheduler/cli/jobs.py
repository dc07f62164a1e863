"""``baton jobs check``: is a scheduler alive? (Airflow's ``airflow jobs check``).

Exits 0 with "Found one alive job." and 1 with "No alive jobs found." (or the reason), for
liveness probes: a Kubernetes ``livenessProbe``, a systemd ``ExecStartPost``, a cron alert.
"""

from __future__ import annotations

import sys

import click

from scheduler.api.cluster import JOB_TYPES, check_jobs
from scheduler.cli.context import settings
from scheduler.errors import BatonError


@click.group()
def jobs() -> None:
    """Check the liveness of Baton's jobs (the schedulers)."""


@jobs.command()
@click.option("--job-type", type=click.Choice(JOB_TYPES), help="The type of job(s) to check.")
@click.option("--hostname", help="Only jobs running on this host (as the job records it).")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="The number of most recent running jobs to check; 0 checks them all.",
)
@click.option(
    "--allow-multiple",
    is_flag=True,
    help="Succeed even if several matching alive jobs are found (needs --limit > 1).",
)
@click.option("--local", is_flag=True, help="Only jobs running on this host.")
def check(
    job_type: str | None, hostname: str | None, limit: int, allow_multiple: bool, local: bool
) -> None:
    """Exit 0 if a (matching) job is alive, 1 if none is: its heartbeat is older than
    BATON_SCHEDULER_HEALTH_THRESHOLD, or it stopped."""
    try:
        message = check_jobs(
            settings(),
            job_type=job_type,
            hostname=hostname,
            limit=limit,
            allow_multiple=allow_multiple,
            local=local,
        )
    except BatonError as exc:
        click.echo(str(exc), err=True)  # Airflow's words, as they are (no "Error:" prefix)
        sys.exit(1)
    click.echo(message)
