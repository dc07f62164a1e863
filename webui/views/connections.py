"""The connections pages (Airflow's Admin > Connections): list, create, edit, test, delete.

Op and above, as in Airflow. The password and the extra's values never go back to the
browser: the list says whether a password is set and which extra keys exist; the edit form
leaves the password blank (blank = unchanged, unless "remove the password" is ticked) and
shows every extra value as ``***``, which the save turns back into the stored value.
Every change and test is in the event log (``scheduler/api/connections.py``).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from scheduler.api import connections as conn_api
from scheduler.connections import Connection
from scheduler.errors import BatonError, ConnectionNotFoundError
from webui.auth import event_source, role_required
from webui.views.common import not_found, settings
from webui.views.plugins import plugin_report

bp = Blueprint("connections", __name__, url_prefix="/connections")

FIELDS = ("conn_type", "description", "host", "port", "login", "schema")


@bp.errorhandler(ConnectionNotFoundError)
def _missing(error: BatonError) -> tuple[str, int]:
    return not_found(error)


@bp.route("/")
@role_required("Op")
def connection_list() -> str:
    return render_template("connections/list.html", items=conn_api.list_connections(settings()))


@bp.route("/new")
@role_required("Op")
def new_connection() -> str:
    return _form(None, {}, None)


@bp.route("/", methods=["POST"])
@role_required("Op")
def create_connection() -> Response | tuple[str, int]:
    values = _form_values()
    try:
        conn = _connection(values.get("conn_id", ""), values, password=values.get("password"))
        conn_api.create_connection(settings(), conn, source=event_source())
    except BatonError as exc:
        return _form(None, values, str(exc)), 400
    flash(f"Connection '{conn.conn_id}' created.", "success")
    return redirect(url_for("connections.connection_list"))


@bp.route("/<conn_id>/edit")
@role_required("Op")
def edit_connection(conn_id: str) -> str:
    conn = conn_api.get_stored_connection(settings(), conn_id)
    shown = conn.redacted()
    values = {name: shown[name] if shown[name] is not None else "" for name in FIELDS}
    values["extra"] = json.dumps(shown["extra"], indent=2) if shown["extra"] else ""
    return _form(conn_id, values, None, has_password=conn.password is not None)


@bp.route("/<conn_id>/edit", methods=["POST"])
@role_required("Op")
def update_connection(conn_id: str) -> Response | tuple[str, int]:
    values = _form_values()
    remove = values.get("remove_password") == "on"
    typed = values.get("password") or None
    try:
        conn = _connection(conn_id, values, password=None if remove else typed)
        conn_api.update_connection(
            settings(), conn, keep_password=typed is None and not remove, source=event_source()
        )
    except BatonError as exc:
        stored = conn_api.get_stored_connection(settings(), conn_id)
        page = _form(conn_id, values, str(exc), has_password=stored.password is not None)
        return page, 400
    flash(f"Connection '{conn_id}' saved.", "success")
    return redirect(url_for("connections.connection_list"))


@bp.route("/<conn_id>/test", methods=["POST"])
@role_required("Op")
def test_connection(conn_id: str) -> Response:
    try:
        result = conn_api.test_connection(settings(), conn_id, source=event_source())
    except BatonError as exc:
        flash(str(exc), "error")
    else:
        verdict = "works" if result.ok else "FAILED"
        flash(
            f"Connection '{conn_id}' {verdict}: {result.message} (hook {result.hook})",
            "success" if result.ok else "error",
        )
    return redirect(url_for("connections.connection_list"))


@bp.route("/<conn_id>/delete", methods=["POST"])
@role_required("Op")
def delete_connection(conn_id: str) -> Response:
    try:
        conn_api.delete_connection(settings(), conn_id, source=event_source())
    except BatonError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Connection '{conn_id}' deleted.", "success")
    return redirect(url_for("connections.connection_list"))


def _form_values() -> dict[str, str]:
    return {key: value.strip() for key, value in request.form.items() if key != "csrf_token"}


def _connection(conn_id: str, values: dict[str, str], *, password: str | None) -> Connection:
    """The form as a Connection; BatonError naming the field that is wrong."""
    conn_api.check_conn_id(conn_id)
    if not values.get("conn_type"):
        raise BatonError("a connection needs a type, e.g. http or postgres")
    return Connection(
        conn_id=conn_id,
        conn_type=values["conn_type"],
        description=values.get("description") or None,
        host=values.get("host") or None,
        port=_port(values.get("port", "")),
        login=values.get("login") or None,
        password=password,
        schema=values.get("schema") or None,
        extra=_extra(values.get("extra", "")),
    )


def _port(text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise BatonError(f"port {text!r} is not a port number; use 1 to 65535 or leave it empty")
    return int(text)


def _extra(text: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BatonError(
            f"the extra is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}; "
            'write an object such as {"timeout": 10}'
        ) from None
    if not isinstance(value, dict):
        raise BatonError(f"the extra must be a JSON object, not a {type(value).__name__}")
    return value


def _form(
    conn_id: str | None, values: dict[str, Any], error: str | None, *, has_password: bool = False
) -> str:
    safe = {key: value for key, value in values.items() if key != "password"}  # never echoed
    return render_template(
        "connections/form.html",
        conn_id=conn_id,
        values=safe,
        error=error,
        has_password=has_password,
        conn_types=_conn_types(),
    )


def _conn_types() -> list[str]:
    """Types some plugin registers a hook for (testable ones), offered as suggestions."""
    return sorted({t for p in plugin_report().plugins for t in p.connection_types})
