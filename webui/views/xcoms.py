"""The XCom browser (Airflow's Browse > XComs): every task's XComs, filtered by DAG, run,
task and key. Values are shown as stored, i.e. with the secrets the worker found masked
(``***``), and passed through this process's masker again; an XCom whose original was
sealed (encrypted for ``xcom_pull``) says so, and its original is never decrypted here."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, render_template, request

from scheduler.masking import redact
from webui.auth import login_required
from webui.queries import xcoms as xcom_queries
from webui.views.common import pager_args, read_session

bp = Blueprint("xcoms", __name__)

VALUE_SHOWN = 2000
"""Characters of a value shown in the list; the task instance page has the whole value."""


@bp.route("/xcoms")
@login_required
def xcom_list() -> str:
    filters = xcom_queries.XComFilters(
        **{
            name: request.args.get(name, "").strip()
            for name in ("dag_id", "run_id", "task_id", "key")
        }
    )
    with read_session() as session:
        page = xcom_queries.xcoms(session, filters, request.args.get("page"))
    return render_template(
        "xcoms.html",
        rows=page.rows,
        page=page,
        filters=filters,
        shown=lambda text: redact(text)[:VALUE_SHOWN],
        truncated=lambda text: len(text) > VALUE_SHOWN,
        filter_args={key: value for key, value in asdict(filters).items() if value},
        page_args=lambda **changes: pager_args(request.args, **changes),
    )
