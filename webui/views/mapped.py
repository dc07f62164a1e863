"""The mapped instances of a task in a run (Airflow's "Mapped Tasks" tab): a summary of
their states, then one page of them in map_index order with a link to each instance's page.

Read a page at a time and counted in SQL, so a run with 10,000 instances stays fast.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from scheduler.errors import BatonError, DagNotFoundError, RunNotFoundError, TaskNotFoundError
from scheduler.paging import numbered_page
from scheduler.spec import DagSpec
from scheduler.states import TaskState
from scheduler.store import dags as dag_store
from webui.auth import role_required
from webui.queries import runs as run_queries
from webui.queries.mapped import instances_page, mapped_summary
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
        key = (dag_id, run_id)
        asked = numbered_page(request.args.get("page"), PAGE_SIZE, total=10**9)
        page = instances_page(session, key, task_id, asked, states=chosen)
        if page.number > page.pages:  # past the last page: show the last one
            last = numbered_page(page.pages, PAGE_SIZE, page.total)
            page = instances_page(session, key, task_id, last, states=chosen)
        summary = mapped_summary(session, run.id, task_id)
    return render_template(
        "mapped_instances.html",
        dag_id=dag_id,
        run=run,
        task=task,
        task_id=task_id,
        summary=summary,
        page=page,
        state=state if chosen else "",
        states=sorted(summary.counts) if summary else [],
        page_args=lambda **changes: pager_args(request.args, **changes),
    )
