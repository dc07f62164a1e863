"""The mapped instances of a task in a run (Airflow's "Mapped Tasks" tab): a summary of
their states, then one page of them in map_index order with a link to each instance's page.

Read a page at a time and counted in SQL, so a run with 10,000 instances stays fast.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from scheduler.errors import BatonError, DagNotFoundError, RunNotFoundError, TaskNotFoundError
from scheduler.spec import DagSpec
from scheduler.states import TaskState
from scheduler.store import dags as dag_store
from webui.auth import role_required
from webui.queries import runs as run_queries
from webui.queries.common import page_request
from webui.queries.mapped import instances_page
from webui.views.common import not_found, pager_args, read_session

bp = Blueprint("mapped", __name__, url_prefix="/dags/<dag_id>/runs/<run_id>/tasks/<task_id>")

PAGE_SIZE = 100
STATES = tuple(state.value for state in TaskState)


@bp.errorhandler(DagNotFoundError)
@bp.errorhandler(RunNotFoundError)
@bp.errorhandler(TaskNotFoundError)
def _missing(error: BatonError) -> tuple[str, int]:
    return not_found(error)


@bp.route("/mapped")
@role_required("Viewer")
def instances(dag_id: str, run_id: str, task_id: str) -> str:
    state = request.args.get("state", "")
    chosen = (state,) if state in STATES else ()
    with read_session() as session:
        spec = DagSpec.from_dict(dag_store.get_dag(session, dag_id).spec)
        task = spec.tasks.get(task_id)
        if task is None:
            raise TaskNotFoundError(
                f"DAG '{dag_id}' has no task '{task_id}'; pick one from its grid or graph"
            )
        run = run_queries.get_run(session, dag_id, run_id)
        key = (run.id, dag_id, run_id)
        asked = page_request(request.args.get("page"), PAGE_SIZE, total=10**9)
        found = instances_page(
            session, key, task_id, limit=PAGE_SIZE, offset=asked.offset, states=chosen
        )
        page = page_request(asked.number, PAGE_SIZE, found.total)
        if page.offset != asked.offset:  # past the last page: show the last one
            found = instances_page(
                session, key, task_id, limit=PAGE_SIZE, offset=page.offset, states=chosen
            )
    return render_template(
        "mapped_instances.html",
        dag_id=dag_id,
        run=run,
        task=task,
        task_id=task_id,
        found=found,
        page=page,
        state=state if chosen else "",
        states=sorted(found.summary.counts) if found.summary else [],
        page_args=lambda **changes: pager_args(request.args, **changes),
    )
