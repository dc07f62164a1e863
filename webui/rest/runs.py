"""``/dags/<dag_id>/dagRuns``: trigger, list, get."""

from __future__ import annotations

from typing import Any

from scheduler import api
from scheduler.api.run_timing import run_timing
from scheduler.api.sync_runs import MAX_WAIT_S, wait_for_run
from scheduler.errors import InvalidRunIdError, RunNotFoundError
from scheduler.run_ids import check_run_id
from scheduler.states import RunState
from webui.auth import event_source, login_required, role_required
from webui.auth.identity import settings
from webui.rest import serialize
from webui.rest.blueprint import api_bp
from webui.rest.errors import ApiError
from webui.rest.inputs import bool_arg, choice_arg, float_arg, json_body, paging, parse_datetime
from webui.rest.sync_reply import DEFAULT_WAIT_S, waited_reply

RUN_STATES = frozenset(state.value for state in RunState)


@api_bp.get("/dags/<dag_id>/dagRuns")
@login_required
def get_dag_runs(dag_id: str) -> dict[str, Any]:
    page = paging()
    state = choice_arg("state", RUN_STATES)
    found = api.runs_page(settings(), dag_id, state=state, limit=page.limit, offset=page.offset)
    return serialize.listing("dag_runs", found, serialize.dag_run)


@api_bp.post("/dags/<dag_id>/dagRuns")
@role_required("Op")
def post_dag_run(dag_id: str) -> dict[str, Any] | tuple[dict[str, Any], int]:
    """Trigger a run; with ``?wait=true`` answer once it finished (``timeout`` seconds at
    most, default 30), with its leaf task's return value: a request/response workflow."""
    wait = bool_arg("wait")
    timeout = float_arg("timeout", DEFAULT_WAIT_S, low=0.0, high=MAX_WAIT_S)
    body = json_body({"conf": dict, "logical_date": str, "dag_run_id": str}, required=set())
    logical_date = body.get("logical_date")
    run_id = body.get("dag_run_id")
    if run_id is not None:
        _check_new_run_id(dag_id, run_id)
    run = api.trigger_dag(
        settings(),
        dag_id,
        conf=body.get("conf"),
        run_id=run_id,
        logical_date=parse_datetime("logical_date", logical_date) if logical_date else None,
        source=event_source(),
    )
    if not wait:
        return serialize.dag_run(run)
    return waited_reply(wait_for_run(settings(), dag_id, run.run_id, timeout), timeout)


@api_bp.get("/dags/<dag_id>/dagRuns/<dag_run_id>")
@login_required
def get_dag_run(dag_id: str, dag_run_id: str) -> dict[str, Any]:
    """Airflow's fields, then Baton's timing ones (``baton_predicted_finish``...)."""
    run = serialize.dag_run(api.get_run(settings(), dag_id, dag_run_id))
    return {**run, **run_timing(settings(), dag_id, dag_run_id).api_fields()}


def _check_new_run_id(dag_id: str, run_id: str) -> None:
    try:
        check_run_id(run_id)  # the rule and the words of the CLI and the web UI
    except InvalidRunIdError as exc:
        raise ApiError(400, str(exc), "dag_run_id") from None
    try:
        api.get_run(settings(), dag_id, run_id)
    except RunNotFoundError:
        return
    raise ApiError(
        409, f"DAG '{dag_id}' already has a run '{run_id}'; choose another", "dag_run_id"
    )
