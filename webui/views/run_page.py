"""A run's own page (Airflow's run details): state, conf, who or what triggered it, dates,
a Gantt of its tries, its task instances and its slice of the event log; and the run
actions for Op and above: clear (all, or only the failed tasks), mark success / failed,
delete. The actions call ``scheduler.api`` with the user as the events' source."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from scheduler import api
from scheduler.api.explain import explain_run_state, task_states_of
from scheduler.api.run_timing import timing_in
from scheduler.errors import BatonError, DagNotFoundError, RunNotFoundError
from scheduler.masking import redact_value
from scheduler.spec import DagSpec
from scheduler.states import FINISHED_RUN_STATES
from scheduler.store import dag_versions as version_store
from scheduler.store import dags as dag_store
from scheduler.store import runs as run_store
from webui.auth import event_source, login_required, role_required
from webui.charts.gantt import Bar, render_gantt
from webui.queries import events as event_queries
from webui.queries import runs as run_queries
from webui.views.common import not_found, read_session, settings, task_url
from webui.views.trigger_source import describe_trigger

bp = Blueprint("run", __name__, url_prefix="/dags/<dag_id>/runs/<run_id>")

EVENTS_SHOWN = 50
"""Newest events of the run on its page; the event log page pages through the rest."""


@bp.errorhandler(DagNotFoundError)
@bp.errorhandler(RunNotFoundError)
def _missing(error: BatonError) -> tuple[str, int]:
    return not_found(error)


@bp.route("")
@login_required
def run_details(dag_id: str, run_id: str) -> str:
    with read_session() as session:
        dag = dag_store.get_dag(session, dag_id)
        run = run_queries.get_run(session, dag_id, run_id)
        instances = run_store.list_task_instances(session, dag_id, run_id)
        tries = run_queries.run_tries(session, dag_id, run_id)
        filters = event_queries.EventFilters(dag_id=dag_id, run_id=run_id)
        events, older = event_queries.events(session, filters, None, EVENTS_SHOWN)
        version = version_store.version_of_run(session, dag_id, run_id)
        now = datetime.now(UTC)
        timing = timing_in(session, dag_id, run_id, now)
    bars = [
        Bar(t.task_id, t.try_number, t.state, t.queued_at, t.start_date, t.end_date) for t in tries
    ]
    return render_template(
        "run.html",
        dag=dag,
        run=run,
        version=version,
        conf_json=json.dumps(redact_value(run.conf or {}), indent=2, sort_keys=True),
        trigger=describe_trigger(run.run_type, run.triggered_by),
        duration=_duration(run.start_date, run.end_date, now),
        finished=run.state in FINISHED_RUN_STATES,
        instances=instances,
        timing=timing,
        gantt=render_gantt(bars, now, task_url(dag_id, run_id)),
        events=events,
        more_events=older is not None,
        explanation=explain_run_state(
            DagSpec.from_dict(dag.spec),
            run.state,
            task_states_of((ti.task_id, ti.state) for ti in instances),
        ),
    )


def _duration(start: datetime | None, end: datetime | None, now: datetime) -> float | None:
    """Seconds the run took, or has taken so far while it runs; None before it starts."""
    if start is None:
        return None
    return ((end or now) - start).total_seconds()


def _back(dag_id: str, run_id: str) -> Response:
    return redirect(url_for("run.run_details", dag_id=dag_id, run_id=run_id))


@bp.route("/clear", methods=["POST"])
@role_required("Op")
def clear(dag_id: str, run_id: str) -> Response:
    only_failed = request.form.get("only_failed") == "on"
    try:
        cleared = api.clear_run(
            settings(), dag_id, run_id, only_failed=only_failed, source=event_source()
        )
    except BatonError as exc:
        flash(str(exc), "error")
    else:
        flash(
            f"Cleared {len(cleared)} task(s): {', '.join(cleared) or 'none'}. "
            "The scheduler runs them again.",
            "success",
        )
    return _back(dag_id, run_id)


@bp.route("/mark", methods=["POST"])
@role_required("Op")
def mark(dag_id: str, run_id: str) -> Response:
    state = request.form.get("state", "")
    try:
        changed = api.mark_run(settings(), dag_id, run_id, state, source=event_source())
    except BatonError as exc:
        flash(str(exc), "error")
    else:
        what = f"{len(changed)} task instance(s) set {state}" if changed else "no task changed"
        flash(f"Marked run '{run_id}' {state} ({what}).", "success")
    return _back(dag_id, run_id)


@bp.route("/delete", methods=["POST"])
@role_required("Op")
def delete(dag_id: str, run_id: str) -> Response:
    try:
        api.delete_run(settings(), dag_id, run_id, source=event_source())
    except BatonError as exc:
        flash(str(exc), "error")
        return _back(dag_id, run_id)
    flash(f"Deleted run '{run_id}' of DAG '{dag_id}'; its events stay in the event log.", "success")
    return redirect(url_for("dag.runs", dag_id=dag_id))
