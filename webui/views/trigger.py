"""The trigger form: a run's conf as JSON text, or as one field per DAG param.

A mistake (bad JSON, a list instead of an object, a run id taken) is shown on the form with
what was typed kept, answered 400; never a 500.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from scheduler import api
from scheduler.errors import BatonError, DagNotFoundError
from scheduler.spec import DagSpec
from scheduler.store import dags as dag_store
from webui.auth import event_source, role_required
from webui.views.common import not_found, read_session, settings

bp = Blueprint("trigger", __name__, url_prefix="/dags/<dag_id>")


class FormError(ValueError):
    """A value typed in the form that cannot be used; the message says which and why."""


@bp.errorhandler(DagNotFoundError)
def _missing(error: BatonError) -> tuple[str, int]:
    return not_found(error)


def _spec(dag_id: str) -> DagSpec:
    with read_session() as session:
        return dag_store.get_spec(session, dag_id)


@bp.route("/trigger", methods=["GET"])
@role_required("Op")
def trigger_form(dag_id: str) -> str:
    spec = _spec(dag_id)
    return _render(spec, conf_text=json.dumps(spec.params, indent=2), mode="json")


@bp.route("/trigger", methods=["POST"])
@role_required("Op")
def trigger(dag_id: str) -> Response | tuple[str, int]:
    spec = _spec(dag_id)
    mode = "params" if request.form.get("mode") == "params" else "json"
    conf_text = request.form.get("conf", "")
    try:
        conf = _params_conf(spec) if mode == "params" else parse_conf_text(conf_text)
        run = api.trigger_dag(
            settings(),
            dag_id,
            conf=conf,
            run_id=request.form.get("run_id", "").strip() or None,
            logical_date=api.parse_logical_date(request.form.get("logical_date", "").strip()),
            source=event_source(),
        )
    except (FormError, BatonError) as exc:
        return _render(spec, conf_text=conf_text, mode=mode, error=str(exc)), 400
    return redirect(url_for("dag.graph", dag_id=dag_id, run_id=run.run_id))


def parse_conf_text(text: str) -> dict[str, Any]:
    """The conf textarea: empty, or a JSON object."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormError(
            f"the conf is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}; "
            'write an object such as {"key": "value"}'
        ) from None
    if not isinstance(value, dict):
        raise FormError(
            f"the conf must be a JSON object ({{...}}), not a {type(value).__name__}; "
            'write e.g. {"key": "value"}'
        )
    return value


def _params_conf(spec: DagSpec) -> dict[str, Any]:
    """One form field per param: text for string params, JSON for the others."""
    conf: dict[str, Any] = {}
    for name, default in spec.params.items():
        text = request.form.get(f"param.{name}", "")
        if isinstance(default, str):
            conf[name] = text
            continue
        try:
            conf[name] = json.loads(text) if text.strip() else None
        except json.JSONDecodeError as exc:
            raise FormError(
                f"param '{name}' must be JSON like its default {json.dumps(default)}: "
                f"{exc.msg} at column {exc.colno}"
            ) from None
    return conf


def _render(spec: DagSpec, *, conf_text: str, mode: str, error: str | None = None) -> str:
    fields = [
        (name, request.form.get(f"param.{name}", _field_text(default)), isinstance(default, str))
        for name, default in spec.params.items()
    ]
    return render_template(
        "trigger.html", spec=spec, conf_text=conf_text, mode=mode, error=error, fields=fields
    )


def _field_text(default: Any) -> str:
    return default if isinstance(default, str) else json.dumps(default)
