"""The variables pages (Airflow's Admin > Variables): list, create, edit with a JSON-aware
editor, delete, and import / export of every variable as one JSON file.

Op and above, as in Airflow. A variable whose key or content is sensitive is shown masked
and its edit form starts blank (blank = keep the stored value); exports carry ``***`` for
it and an import of ``***`` keeps the stored value (``scheduler/api/variables.py``).
"""

from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from scheduler.api import variables as var_api
from scheduler.errors import BatonError, VariableNotFoundError
from webui.auth import event_source, role_required
from webui.views.common import not_found, settings

bp = Blueprint("variables", __name__, url_prefix="/variables")

MAX_IMPORT_BYTES = 5_000_000


@bp.errorhandler(VariableNotFoundError)
def _missing(error: BatonError) -> tuple[str, int]:
    return not_found(error)


@bp.route("/")
@role_required("Op")
def variable_list() -> str:
    return render_template("variables/list.html", variables=var_api.shown_variables(settings()))


@bp.route("/new")
@role_required("Op")
def new_variable() -> str:
    return _form(None, {}, None)


@bp.route("/", methods=["POST"])
@role_required("Op")
def create_variable() -> Response | tuple[str, int]:
    key = request.form.get("key", "").strip()
    return _save(key, request.form.get("val", ""), creating=True)


@bp.route("/edit/<path:key>")
@role_required("Op")
def edit_variable(key: str) -> str:
    shown = var_api.shown_variable(settings(), key)
    values = {
        "val": "" if shown.sensitive else shown.value,
        "description": shown.description or "",
        "is_json": shown.is_json,
    }
    return _form(key, values, None, sensitive=shown.sensitive, masked=shown.value)


@bp.route("/edit/<path:key>", methods=["POST"])
@role_required("Op")
def update_variable(key: str) -> Response | tuple[str, int]:
    return _save(key, request.form.get("val", ""), creating=False)


@bp.route("/delete/<path:key>", methods=["POST"])
@role_required("Op")
def delete_variable(key: str) -> Response:
    try:
        var_api.delete_variable(settings(), key, source=event_source())
    except BatonError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Variable '{key}' deleted.", "success")
    return redirect(url_for("variables.variable_list"))


@bp.route("/export")
@role_required("Op")
def export_variables() -> Response:
    body = json.dumps(var_api.export_variables(settings()), indent=2, sort_keys=True)
    return Response(
        body + "\n",
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="variables.json"'},
    )


@bp.route("/import", methods=["POST"])
@role_required("Op")
def import_variables() -> Response:
    upload = request.files.get("file")
    data = upload.read(MAX_IMPORT_BYTES + 1) if upload else b""
    if not data:
        flash("Choose a JSON file to import (as exported here or by Airflow).", "error")
    elif len(data) > MAX_IMPORT_BYTES:
        flash(f"The file is larger than {MAX_IMPORT_BYTES} bytes; split it.", "error")
    else:
        try:
            done = var_api.import_variables(
                settings(), data.decode("utf-8", errors="replace"), source=event_source()
            )
        except BatonError as exc:
            flash(f"Nothing imported: {exc}", "error")
        else:
            kept = f"; kept {len(done.kept_keys)} masked one(s) as stored" if done.kept_keys else ""
            flash(f"Imported {len(done.set_keys)} variable(s){kept}.", "success")
    return redirect(url_for("variables.variable_list"))


def _save(key: str, value: str, *, creating: bool) -> Response | tuple[str, int]:
    form = request.form
    as_json = form.get("is_json") == "on"
    description = form.get("description", "").strip() or None
    keep = not creating and value == ""  # a blank edit keeps a (sensitive) stored value
    try:
        if creating and var_api.is_stored(settings(), key):
            raise BatonError(f"variable '{key}' already exists; edit it instead")
        var_api.set_variable(
            settings(),
            key,
            None if keep else value,
            description,
            as_json=as_json,
            source=event_source(),
        )
    except BatonError as exc:
        values = {"key": key, "val": value, "description": description or "", "is_json": as_json}
        return _form(None if creating else key, values, str(exc)), 400
    flash(f"Variable '{key}' saved.", "success")
    return redirect(url_for("variables.variable_list"))


def _form(
    key: str | None,
    values: dict[str, object],
    error: str | None,
    *,
    sensitive: bool = False,
    masked: str = "",
) -> str:
    return render_template(
        "variables/form.html",
        key=key,
        values=values,
        error=error,
        sensitive=sensitive,
        masked=masked,
    )
