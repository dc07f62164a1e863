"""The pages of HTTP errors outside the API: the layout with its navigation bar, and a
message that says what happened and what to do.

Registered app-wide (``app_errorhandler``) before ``install_http_handlers``, which keeps
JSON for ``/api/`` paths and hands every other path to these handlers. A view that aborts
with a description (``abort(403, description=...)``, ``not_found(error)``) has its own
words shown; werkzeug's generic texts are replaced by ones that name the path.
"""

from __future__ import annotations

import logging

from flask import Blueprint, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

bp = Blueprint("errors", __name__)

TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    413: "Request too large",
    500: "Server error",
}


def _message(exc: HTTPException) -> str:
    """The view's own description, else one that names what was asked for."""
    generic = type(exc).description
    if exc.description and exc.description != generic:
        return exc.description
    if exc.code == 404:
        return f"There is no page at {request.path}. The navigation bar above lists the pages."
    if exc.code == 405:
        return f"{request.path} does not accept {request.method} requests."
    if exc.code == 403:
        return "You are not allowed to do this with your role."
    return exc.description or exc.name


@bp.app_errorhandler(400)
@bp.app_errorhandler(403)
@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
@bp.app_errorhandler(413)
def http_error(exc: HTTPException) -> tuple[str, int]:
    code = exc.code or 400
    page = render_template(
        "error.html", title=TITLES.get(code, exc.name), message=_message(exc), code=code
    )
    return page, code


@bp.app_errorhandler(500)
def server_error(exc: InternalServerError) -> tuple[str, int]:
    # The traceback goes to the log only: it may hold values a user should not see.
    original = getattr(exc, "original_exception", None)
    log.error("request %s %s failed", request.method, request.path, exc_info=original)
    message = (
        "The server failed to answer this request. The web server's log has the details "
        "(search it for the path below); reloading may work if the cause was temporary."
    )
    return render_template("error.html", title=TITLES[500], message=message, code=500), 500
