"""The circuit breakers of connections, and closing one by hand (Op and above).

A reset calls what ``baton breakers reset`` calls, with the user as the event's source, and
appends a ``user_action`` event: the log says who closed a breaker even when it was already
closed (a reset of a closed breaker only clears its counts, with no state change event).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from scheduler import api
from scheduler.breakers import reset_breaker
from scheduler.errors import BatonError
from webui.auth import event_source, role_required
from webui.queries import breakers as breaker_queries
from webui.views.common import read_session, settings

bp = Blueprint("breakers", __name__)


@bp.route("/breakers")
@role_required("Viewer")
def breaker_list() -> str:
    with read_session() as session:
        rows = breaker_queries.breakers(session)
        throttles = breaker_queries.throttles(session)
    return render_template("breakers.html", rows=rows, throttles=throttles)


@bp.route("/breakers/reset", methods=["POST"])
@role_required("Op")
def reset() -> Response:
    """Close the breaker of the form's ``conn_id`` (the service is known to be back)."""
    conn_id = request.form.get("conn_id", "").strip()
    if not conn_id:
        flash("no connection given: use the Reset button of a breaker in the list", "error")
        return redirect(url_for("breakers.breaker_list"))
    source = event_source()
    try:
        reset_breaker(settings(), conn_id, source=source)
    except BatonError as exc:
        flash(str(exc), "error")
    else:
        detail = f"reset the circuit breaker of connection '{conn_id}' to closed"
        api.record_event(settings(), "user_action", source, detail=detail)
        flash(f"Circuit breaker of connection '{conn_id}' reset to closed.", "success")
    return redirect(url_for("breakers.breaker_list"))
