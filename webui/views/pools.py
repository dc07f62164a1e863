"""The pools page: each pool's slots, what its tasks take now, and (Op and above) a form to
set or delete a pool.

The forms call what ``baton pools set`` / ``delete`` call, with the user as the event's
source; the scheduler is poked and applies the new limits at once.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from scheduler import api
from scheduler.errors import BatonError
from webui.auth import event_source, role_required
from webui.views.common import settings

bp = Blueprint("pools", __name__)


@bp.route("/pools")
@role_required("Viewer")
def pool_list() -> str:
    """The pools; ``?edit=NAME`` fills the form with that pool's settings to change them."""
    pools = api.list_pools(settings())
    wanted = request.args.get("edit", "")
    editing = next((p for p in pools if p.name == wanted), None)
    return render_template("pools.html", pools=pools, editing=editing)


@bp.route("/pools/set", methods=["POST"])
@role_required("Op")
def set_pool() -> Response:
    """Create the form's pool or change its slots, description and include_deferred."""
    name = request.form.get("name", "").strip()
    raw_slots = request.form.get("slots", "").strip()
    try:
        slots = int(raw_slots)
    except ValueError:
        flash(f"slots {raw_slots!r} is not a whole number; use -1 for unlimited", "error")
        return redirect(url_for("pools.pool_list"))
    description = request.form.get("description", "").strip() or None
    deferred = request.form.get("include_deferred") == "on"
    try:
        api.set_pool(
            settings(), name, slots, description, include_deferred=deferred, source=event_source()
        )
    except BatonError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Pool '{name}' set to {slots} slot(s).", "success")
    return redirect(url_for("pools.pool_list"))


@bp.route("/pools/delete", methods=["POST"])
@role_required("Op")
def delete_pool() -> Response:
    name = request.form.get("name", "").strip()
    try:
        api.delete_pool(settings(), name, source=event_source())
    except BatonError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Pool '{name}' deleted.", "success")
    return redirect(url_for("pools.pool_list"))
