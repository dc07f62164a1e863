"""The trigger form: a run's conf as JSON text, or as one typed field per DAG param.

A mistake (bad JSON, a value breaking its param's schema, a run id taken) is shown on the
form with what was typed kept, answered 400; never a 500. The params' validation is the one
every trigger passes (``create_manual_run``), so the message is the CLI's and the API's.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from scheduler import api
from scheduler.errors import BatonError, DagNotFoundError, ParamValidationError
from scheduler.json_limits import JsonLimits, loads_limited
from scheduler.spec import DagSpec
from scheduler.store import dags as dag_store
from webui.auth import event_source, role_required
from webui.views.common import not_found, read_session, settings
from webui.views.param_form import FormError, conf_from_form, param_fields, sections

bp = Blueprint("trigger", __name__, url_prefix="/dags/<dag_id>")


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
        conf = (
            conf_from_form(spec, request.form) if mode == "params" else parse_conf_text(conf_text)
        )
        run = api.trigger_dag(
            settings(),
            dag_id,
            conf=conf,
            run_id=request.form.get("run_id", "").strip() or None,
            logical_date=api.parse_logical_date(request.form.get("logical_date", "").strip()),
            source=event_source(),
        )
    except (FormError, BatonError) as exc:
        error_param = _param_of(exc) if mode == "params" else None
        page = _render(
            spec, conf_text=conf_text, mode=mode, error=str(exc), error_param=error_param
        )
        return page, 400
    return redirect(url_for("dag.graph", dag_id=dag_id, run_id=run.run_id))


def parse_conf_text(text: str) -> dict[str, Any]:
    """The conf textarea: empty, or a JSON object."""
    if not text.strip():
        return {}
    try:
        value = loads_limited(text, JsonLimits.from_settings(settings()))
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


def _param_of(error: Exception) -> str | None:
    """The param a refusal is about (``cfg`` for ``cfg.retries``), to mark its field."""
    field = error.field if isinstance(error, FormError | ParamValidationError) else None
    return field.split(".")[0].split("[")[0] if field else None


def _render(
    spec: DagSpec,
    *,
    conf_text: str,
    mode: str,
    error: str | None = None,
    error_param: str | None = None,
) -> str:
    submitted = request.form if mode == "params" and request.method == "POST" else None
    fields = param_fields(spec, submitted)
    return render_template(
        "trigger.html",
        spec=spec,
        conf_text=conf_text,
        mode=mode,
        error=error,
        error_param=error_param,
        fields=fields,
        sections=sections(fields),
    )
