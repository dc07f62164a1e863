"""Human in the loop: what HITL tasks, their trigger and the people answering them do.

The worker side (``ask``), the trigger side (``read_answer``, ``take_defaults``) and the
people's side (``list_hitl_details``, ``get_hitl_detail``, ``respond``: the REST API, the web
UI and the CLI). Each call is one short transaction; an answer pokes the scheduler so the
task it resumes is dispatched at once. The JSON shapes are Airflow 3.1's ``HITLDetail``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from scheduler.api.cross_dag import worker_settings
from scheduler.api.databases import database, read_database
from scheduler.api.users import require_user
from scheduler.authoring.params import ParamsDict
from scheduler.engine.wakeup import wake_schedulers
from scheduler.errors import HITLForbiddenError, HITLResponseError, ParamValidationError
from scheduler.paging import Page
from scheduler.settings import Settings
from scheduler.store import hitl as store
from scheduler.store.db import transaction
from scheduler.store.hitl import HitlKey, Responder
from scheduler.store.models_auth import ROLES
from scheduler.store.models_hitl import HitlDetailRow

#: The lowest role that may answer a question (the REST API's and the web UI's too).
RESPONDER_ROLE = "Op"

__all__ = [
    "HitlKey",
    "Responder",
    "ask",
    "check_response",
    "get_hitl_detail",
    "list_hitl_details",
    "read_answer",
    "respond",
    "responder_named",
    "take_defaults",
    "worker_settings",
]


def _now() -> datetime:
    return datetime.now(UTC)


# -- the task's side -----------------------------------------------------------------------


def ask(settings: Settings, key: HitlKey, request: dict[str, Any], *, try_number: int) -> None:
    """Store the question of a HITL task's try (its subject, body, options, defaults,
    multiple, params spec and assigned users)."""
    with transaction(database(settings)) as session:
        store.upsert_request(session, key, request, try_number=try_number, now=_now())


def read_answer(settings: Settings, key: HitlKey) -> dict[str, Any] | None:
    """The answer of ``key`` as its task resumes with it, or None while there is none."""
    with transaction(read_database(settings)) as session:
        row, _ = store.get_detail(session, key)
        return store.answer_payload(row) if row.responded_at is not None else None


def take_defaults(settings: Settings, key: HitlKey) -> dict[str, Any]:
    """The wait timed out: record the question's defaults (and its params' defaults) as the
    answer, unless a person answered first; the answer the task resumes with."""
    with transaction(database(settings)) as session:
        row, _ = store.get_detail(session, key)
        if row.responded_at is None:
            params_input = ParamsDict.from_spec(row.params or {}).dump()
            row = store.record_response(
                session,
                key,
                list(row.defaults or []),
                params_input,
                responder=None,
                source="triggerer:hitl-timeout",
                now=_now(),
            )
        return store.answer_payload(row)


# -- the people's side ---------------------------------------------------------------------


def list_hitl_details(
    settings: Settings,
    *,
    dag_id: str | None = None,
    run_id: str | None = None,
    response_received: bool | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Page[dict[str, Any]]:
    """A page of questions (newest first) as Airflow's HITLDetail JSON; its total counts
    every one that matches."""
    with transaction(read_database(settings)) as session:
        rows, total = store.list_details(
            session,
            dag_id=dag_id,
            run_id=run_id,
            response_received=response_received,
            limit=limit,
            offset=offset,
        )
        return Page(offset, limit, total, [detail_json(row, state) for row, state in rows])


def get_hitl_detail(settings: Settings, key: HitlKey) -> dict[str, Any]:
    """The question of one task instance (404 through the API if it asks none)."""
    with transaction(read_database(settings)) as session:
        row, state = store.get_detail(session, key)
        return detail_json(row, state)


def respond(
    settings: Settings,
    key: HitlKey,
    chosen_options: Any,
    params_input: Any,
    *,
    responder: Responder,
    source: str,
) -> dict[str, Any]:
    """Answer the question of ``key`` as ``responder`` (the caller checked the role is Op or
    above); Airflow's HITLDetailResponse. Wrong options or params input: HITLResponseError;
    answered already: HITLConflictError; not an assigned user: HITLForbiddenError."""
    with transaction(database(settings)) as session:
        row, state = store.get_detail(session, key)
        store.check_unanswered(row, state, key)
        _check_assigned(row, responder, key)
        chosen, values = check_response(row, chosen_options, params_input)
        row = store.record_response(
            session, key, chosen, values, responder=responder, source=source, now=_now()
        )
        answer = {
            "responded_by": responder.as_dict(),
            "responded_at": _iso(row.responded_at),
            "chosen_options": list(row.chosen_options),
            "params_input": dict(row.params_input or {}),
        }
    wake_schedulers(settings)
    return answer


def check_response(
    row: HitlDetailRow, chosen_options: Any, params_input: Any
) -> tuple[list[str], dict[str, Any]]:
    """The answer as stored: options offered (one unless ``multiple``), params input with
    the params' defaults filled in and every value checked against its param's schema."""
    if isinstance(chosen_options, str):
        chosen_options = [chosen_options]
    if not isinstance(chosen_options, list) or not chosen_options:
        raise HITLResponseError(
            f"chosen_options must be a non-empty list of options; choose from {row.options}"
        )
    unknown = [o for o in chosen_options if o not in row.options]
    if unknown:
        raise HITLResponseError(f"options {unknown} are not offered; choose from {row.options}")
    chosen = list(dict.fromkeys(chosen_options))
    if len(chosen) > 1 and not row.multiple:
        raise HITLResponseError(
            f"this question takes one option (multiple=False), not {len(chosen)}: {chosen}"
        )
    return chosen, _checked_params_input(row.params or {}, params_input)


def _checked_params_input(spec: Mapping[str, Any], params_input: Any) -> dict[str, Any]:
    if params_input is None:
        params_input = {}
    if not isinstance(params_input, dict):
        raise HITLResponseError(
            f"params_input must be a JSON object of the params {sorted(spec)}, not "
            f"{type(params_input).__name__}"
        )
    unknown = sorted(set(params_input) - set(spec))
    if unknown:
        known = ", ".join(sorted(spec)) or "none"
        raise HITLResponseError(f"params_input has unknown params {unknown}; the params: {known}")
    params = ParamsDict.from_spec(spec)
    for name, value in params_input.items():
        params[name] = value
    try:
        return params.validate()
    except ParamValidationError as exc:
        raise HITLResponseError(f"params_input.{exc}") from exc


def _check_assigned(row: HitlDetailRow, responder: Responder, key: HitlKey) -> None:
    assigned = row.assigned_users or []
    if not assigned:
        return
    if any(u.get("id") == responder.id or u.get("name") == responder.name for u in assigned):
        return
    names = ", ".join(str(u.get("name") or u.get("id")) for u in assigned)
    raise HITLForbiddenError(
        f"user {responder.name} is not assigned to answer task instance {key}; its "
        f"assigned_users: {names}"
    )


def responder_named(settings: Settings, username: str) -> Responder:
    """Baton user ``username`` as the responder, if their role is Op or above (the CLI's
    check; the web UI's decorators check the logged-in user)."""
    user = require_user(settings, username)
    if not user.active or ROLES.index(user.role) < ROLES.index(RESPONDER_ROLE):
        raise HITLForbiddenError(
            f"user '{username}' has role {user.role}{'' if user.active else ' (inactive)'}; "
            f"answering needs an active user with role {RESPONDER_ROLE} or above"
        )
    return Responder(id=str(user.id), name=user.username)


# -- JSON ----------------------------------------------------------------------------------


def detail_json(row: HitlDetailRow, state: str) -> dict[str, Any]:
    """Airflow's HITLDetail: the question, the answer and the task instance."""
    responder = None
    if row.responded_by_user_name is not None:
        responder = {"id": row.responded_by_user_id, "name": row.responded_by_user_name}
    return {
        "task_instance": {
            "dag_id": row.dag_id,
            "dag_run_id": row.run_id,
            "task_id": row.task_id,
            "map_index": row.map_index,
            "try_number": row.try_number,
            "state": state,
        },
        "options": list(row.options or []),
        "subject": row.subject,
        "body": row.body,
        "defaults": row.defaults,
        "multiple": bool(row.multiple),
        "params": dict(row.params or {}),
        "assigned_users": list(row.assigned_users or []),
        "created_at": _iso(row.created_at),
        "responded_by_user": responder,
        "responded_at": _iso(row.responded_at),
        "chosen_options": row.chosen_options,
        "params_input": dict(row.params_input or {}),
        "response_received": row.responded_at is not None,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
