"""Baton's own documentation (the ``docs/*.md`` files of the source tree) as pages, so that
links to it work inside the UI: the example plugin's "Writing plugins" menu link points
at ``/docs/plugins.md``, and the docs link to each other by file name.

Only files directly in the docs folder with a plain name are served (no ``..``, no
sub-folders); the Markdown is rendered with raw HTML disabled, like a DAG's doc_md.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, abort, render_template
from markdown_it import MarkdownIt
from markupsafe import Markup

from webui.auth import login_required

bp = Blueprint("docs", __name__, url_prefix="/docs")

DOCS_FOLDER = Path(__file__).resolve().parents[2] / "docs"
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*\.md")
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


def doc_names() -> list[str]:
    """The documents there are, sorted (empty when Baton runs without its source tree)."""
    if not DOCS_FOLDER.is_dir():
        return []
    return sorted(p.name for p in DOCS_FOLDER.glob("*.md") if _NAME.fullmatch(p.name))


@bp.route("/")
@login_required
def doc_index() -> str:
    return render_template("doc.html", name=None, html=None, names=doc_names())


@bp.route("/<name>")
@login_required
def doc_page(name: str) -> str:
    if name not in doc_names():
        known = ", ".join(doc_names()) or f"none: {DOCS_FOLDER} is missing"
        abort(404, description=f"there is no document '{name}'; the documents: {known}")
    text = (DOCS_FOLDER / name).read_text(encoding="utf-8", errors="replace")
    html = Markup(_MARKDOWN.render(text))
    return render_template("doc.html", name=name, html=html, names=doc_names())
