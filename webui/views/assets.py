"""The assets page: every asset with the tasks producing it, the DAGs scheduled on it and
its recent events (each with the runs it triggered); and the events of one asset or of one
asset-triggered run (``?dag_id=&run_id=``), which the run lists link to.

Op and above can record an event by hand, as ``baton assets event`` does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from scheduler import api
from scheduler.api import assets as asset_api
from scheduler.asset_condition import describe
from scheduler.errors import BatonError
from scheduler.masking import redact_value
from webui.auth import event_source, role_required
from webui.views.common import settings

bp = Blueprint("assets", __name__)

RECENT_EVENTS = 50


@bp.route("/assets")
@role_required("Viewer")
def asset_list() -> str:
    found = asset_api.list_assets(settings())
    recent = asset_api.list_asset_events(settings(), limit=RECENT_EVENTS)
    return render_template(
        "assets.html",
        assets=found,
        aliases=asset_api.list_aliases(settings()),
        events=_shown(recent.rows),
        total=recent.total,
    )


@bp.route("/assets/events")
@role_required("Viewer")
def asset_events() -> str:
    """The latest events: of one asset (``?asset_id=``), behind one run (``?dag_id=&run_id=``)
    or of every asset."""
    dag_id, run_id = request.args.get("dag_id"), request.args.get("run_id")
    if dag_id and run_id:
        try:
            run = api.get_run(settings(), dag_id, run_id)
        except BatonError:
            abort(404)
        events: Sequence[dict[str, Any]] = asset_api.triggering_events_of_run(
            settings(), dag_id, run_id
        )
        title = f"Asset events behind {dag_id} / {run_id}"
        condition = describe(_condition_of(dag_id))
        return render_template(
            "asset_events.html", title=title, events=_shown(events), run=run, condition=condition
        )
    raw = request.args.get("asset_id", "")
    if not raw:
        events = asset_api.list_asset_events(settings(), limit=200).rows
        return render_template(
            "asset_events.html", title="Asset events", events=_shown(events), run=None
        )
    if not raw.isdigit():
        abort(404)
    try:
        events = asset_api.list_asset_events(settings(), asset_id=int(raw), limit=200).rows
    except BatonError:
        abort(404)
    uri = next((a["uri"] for a in asset_api.list_assets(settings()) if a["id"] == int(raw)), raw)
    return render_template(
        "asset_events.html", title=f"Events of {uri}", events=_shown(events), run=None
    )


@bp.route("/assets/events", methods=["POST"])
@role_required("Op")
def post_event() -> Response:
    uri = request.form.get("uri", "")
    text = request.form.get("extra", "").strip()
    try:
        extra = json.loads(text) if text else None
        asset_api.create_asset_event(settings(), uri=uri, extra=extra, source=event_source())
    except json.JSONDecodeError as exc:
        flash(
            f'extra is not valid JSON ({exc.msg}); write an object such as {{"rows": 42}}', "error"
        )
    except BatonError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Recorded an event of {uri}", "info")
    return redirect(url_for("assets.asset_list"))


def _shown(events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events with their extra as masked JSON text."""
    return [
        {**e, "extra_text": json.dumps(redact_value(e["extra"]), sort_keys=True)} for e in events
    ]


def _condition_of(dag_id: str) -> dict[str, Any] | None:
    try:
        return api.get_dag(settings(), dag_id).spec.get("asset_condition")
    except BatonError:
        return None
