"""A DAG's Versions tab: its versions, the code as of one, and a diff between two.

The diff is computed here with ``difflib`` and rendered as plain escaped lines, each with
a class for added, removed or hunk lines; no script is involved.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from scheduler.errors import BatonError, DagNotFoundError, DagVersionNotFoundError
from scheduler.store import dag_versions as version_store
from webui.auth import login_required
from webui.views.common import not_found, read_session
from webui.views.dag import _load, _page
from webui.views.rendering import highlight_python

bp = Blueprint("dag_versions", __name__, url_prefix="/dags/<dag_id>/versions")


@bp.errorhandler(DagNotFoundError)
@bp.errorhandler(DagVersionNotFoundError)
def _missing(error: BatonError) -> tuple[str, int]:
    return not_found(error)


@bp.route("")
@login_required
def version_list(dag_id: str) -> str:
    with read_session() as session:
        dag, spec = _load(session, dag_id)
        versions = version_store.list_versions(session, dag_id)
    newest = versions[-1].version_number if versions else None
    return _page(
        "dag/versions.html",
        dag,
        spec,
        "versions",
        versions=list(reversed(versions)),
        newest=newest,
    )


@bp.route("/<int:version_number>")
@login_required
def version_code(dag_id: str, version_number: int) -> str:
    with read_session() as session:
        dag, spec = _load(session, dag_id)
        version = version_store.get_version(session, dag_id, version_number)
    html = highlight_python(version.source_code) if version.source_code else None
    return _page("dag/version_code.html", dag, spec, "versions", version=version, code=html)


@bp.route("/diff")
@login_required
def version_diff(dag_id: str) -> str | tuple[str, int]:
    with read_session() as session:
        dag, spec = _load(session, dag_id)
        numbers = _two_numbers(request.args.get("from"), request.args.get("to"))
        if numbers is None:
            message = "choose two versions to compare: ?from=N&to=M (version numbers)"
            return render_template("error.html", title="Bad request", message=message), 400
        old = version_store.get_version(session, dag_id, numbers[0])
        new = version_store.get_version(session, dag_id, numbers[1])
    lines = [(_kind(line), line) for line in version_store.diff_lines(old, new)]
    return _page("dag/version_diff.html", dag, spec, "versions", old=old, new=new, lines=lines)


def _two_numbers(first: str | None, second: str | None) -> tuple[int, int] | None:
    try:
        return int(first or ""), int(second or "")
    except ValueError:
        return None


def _kind(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "file"
    if line.startswith("@@"):
        return "hunk"
    return {"+": "add", "-": "del"}.get(line[:1], "same")
