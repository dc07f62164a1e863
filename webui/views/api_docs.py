"""The REST API's interactive documentation: Swagger UI at ``/api/v1/docs``.

Swagger UI's files come from the ``swagger-ui-bundle`` package (PyPI), served by this
blueprint under ``/api/v1/docs/assets/``: no CDN, so the page works offline and under the
CSP (``script-src 'self'``). The page reads the OpenAPI document the API already serves
(``/api/v1/openapi.json``, ``webui/api/openapi.py``); "Try it out" sends the session cookie
and the page's CSRF token, so a logged-in user calls the API as themselves.
"""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from swagger_ui_bundle import swagger_ui_path

from webui.auth import login_required

bp = Blueprint(
    "api_docs",
    __name__,
    url_prefix="/api/v1/docs",
    static_folder=swagger_ui_path,
    static_url_path="/assets",
)


@bp.get("/")
@login_required
def swagger_ui() -> str:
    return render_template("api_docs.html", openapi_url=url_for("api.get_openapi"))
