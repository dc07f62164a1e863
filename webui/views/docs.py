"""Baton's own documentation (the ``docs/*.md`` files of the source tree) as pages, so that
links to it work inside the UI: the example plugin's "Writing plugins" menu link points
at ``/docs/plugins.md``, and the docs link to each other by file name.

Only files directly in the docs folder with a plain name are served (no ``..``, no
sub-folders); the Markdown is rendered with raw HTML disabled, like a DAG's doc_md.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, abort, render_template
from markdown_it import MarkdownIt
from markdown_it.token import Token
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
    return render_template("doc.html", name=name, html=render_doc(text), names=doc_names())


def render_doc(text: str) -> Markup:
    """The Markdown as HTML; a relative link to anything but another served document
    (``../dags/example.py``: a file of the source tree) becomes plain text naming the path,
    so the page has no link that leads to a 404."""
    served = set(doc_names())
    tokens = _MARKDOWN.parse(text)
    for token in tokens:
        for child in token.children or []:
            if child.type != "link_open":
                continue
            href = str(child.attrGet("href") or "")
            keep = bool(urlsplit(href).scheme) or href.startswith("#")
            if not (keep or href.split("#", 1)[0] in served):
                child.meta["dropped"] = True
                child.tag, child.attrs = "span", {"title": f"in the source tree: {href}"}
    _close_dropped(tokens)
    return Markup(_MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {}))


def _close_dropped(tokens: list[Token]) -> None:
    """Give each turned-off link's closing token the ``span`` tag of its opening one."""
    for token in tokens:
        stack: list[bool] = []
        for child in token.children or []:
            if child.type == "link_open":
                stack.append(bool(child.meta.get("dropped")))
            elif child.type == "link_close" and stack and stack.pop():
                child.tag = "span"
