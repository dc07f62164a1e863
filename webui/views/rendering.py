"""Turning DAG-supplied text into safe HTML: highlighted source code and doc_md.

Both produce markup from untrusted text, so both are configured to escape: Pygments escapes
every token, and markdown-it runs with raw HTML disabled (``<script>`` in a doc_md shows as
text) and its link validation on (no ``javascript:`` links).
"""

from __future__ import annotations

from pathlib import Path

from markdown_it import MarkdownIt
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

MAX_SOURCE_BYTES = 1_000_000
_FORMATTER = HtmlFormatter(linenos="table", cssclass="highlight", anchorlinenos=False)
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def read_source(path: str) -> tuple[str | None, str | None]:
    """The file's text, or None and why it cannot be shown."""
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_SOURCE_BYTES:
            return None, f"{path} is {size} bytes, more than the {MAX_SOURCE_BYTES} shown here"
        return file.read_text(errors="replace"), None
    except OSError as exc:
        return None, f"cannot read {path}: {exc.strerror or exc}"


def highlight_python(source: str) -> Markup:
    return Markup(highlight(source, PythonLexer(), _FORMATTER))


def markdown(text: str | None) -> Markup | None:
    if not text:
        return None
    return Markup(_MARKDOWN.render(text))
