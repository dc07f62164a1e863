"""Human in the loop in the web UI: the "Required actions" page (Airflow 3.1's), the answer
form shown on a waiting task instance's page, and the form's POST.

The page lists the questions HITL tasks are waiting on (``?answered=1``: the answered
ones). The form (the routes are the task instance page's, ``views/tasks.py``) offers the
options (one button each, or checkboxes with ``multiple``) and the question's params as
the trigger form's typed fields; answering needs Op or above and goes through
``scheduler.api.hitl.respond``, like the REST API's PATCH.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Blueprint, render_template, request
from werkzeug.datastructures import MultiDict

from scheduler.api import hitl
from scheduler.api.hitl import HitlKey, Responder
from scheduler.errors import HITLDetailNotFoundError
from webui.auth import current_user, event_source, role_required
from webui.views.common import settings
from webui.views.param_form import conf_from_form, param_fields
from webui.views.rendering import markdown

bp = Blueprint("required_actions", __name__)
PAGE_SIZE = 100


@dataclass(frozen=True)
class QuestionParams:
    """What ``param_form`` reads of a DagSpec, for a question's params."""

    params: dict[str, Any]
    param_specs: dict[str, Any] = field(default_factory=dict)


def question_params(detail: dict[str, Any]) -> QuestionParams:
    specs = detail["params"] or {}
    return QuestionParams({k: v.get("value") for k, v in specs.items()}, specs)


@bp.route("/required_actions")
@role_required("Viewer")
def required_actions() -> str:
    answered = request.args.get("answered") == "1"
    found = hitl.list_hitl_details(settings(), response_received=answered, limit=PAGE_SIZE)
    return render_template(
        "required_actions.html",
        details=[_timed(d) for d in found.rows],
        total=found.total,
        answered=answered,
    )


def _timed(detail: dict[str, Any]) -> dict[str, Any]:
    """``detail`` with its times as datetimes too, for the ``when`` filter."""
    times = {
        name: datetime.fromisoformat(detail[key]) if detail[key] else None
        for name, key in (("created", "created_at"), ("responded", "responded_at"))
    }
    return {**detail, **times}


def answer_form(dag_id: str, run_id: str, task_id: str, map_index: int) -> dict[str, Any] | None:
    """What the task instance page shows of its question (None: it asks none)."""
    try:
        detail = hitl.get_hitl_detail(settings(), HitlKey(dag_id, run_id, task_id, map_index))
    except HITLDetailNotFoundError:
        return None
    prefill = MultiDict(
        [(f"param.{k}", v) for k, v in request.args.items(multi=True) if k in detail["params"]]
    )
    fields = param_fields(question_params(detail), prefill or None)
    return {
        "detail": _timed(detail),
        "fields": fields,
        "body_html": markdown(detail["body"]),
        "preselected": request.args.getlist("_options"),
    }


def submit_answer(key: HitlKey, form: MultiDict[str, str]) -> str:
    """Answer ``key``'s question with the form's options and params as the logged-in user;
    the flash message. Raises BatonError / FormError with what to fix."""
    detail = hitl.get_hitl_detail(settings(), key)
    params_input = conf_from_form(question_params(detail), form)
    user = current_user()
    assert user is not None  # the view needs a login
    answer = hitl.respond(
        settings(),
        key,
        form.getlist("chosen_options"),
        params_input,
        responder=Responder(id=str(user.id), name=user.username),
        source=event_source(),
    )
    return f"Answered {', '.join(answer['chosen_options'])}: the task resumes."
