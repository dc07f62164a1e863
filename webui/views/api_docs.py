"""The REST API's interactive documentation: Swagger UI at ``/api/v1/docs``.

Swagger UI's files come from the ``swagger-ui-py`` package (PyPI; Swagger UI 5, the first
to read OpenAPI 3.1, which ``swagger-ui-bundle``'s 4.x does not), served by this blueprint
under ``/api/v1/docs/assets/``: no CDN, so the page works offline and under the CSP
(``script-src 'self'``). Only its ``static`` folder is used: the package's own framework
glue is never imported. The page reads the OpenAPI document the API already serves
(``/api/v1/openapi.json``, ``webui/rest/openapi.py``); "Try it out" sends the session cookie
and the page's CSRF token, so a logged-in user calls the API as themselves.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from flask import Blueprint, render_template, url_for

from webui.auth import login_required


def _swagger_static() -> str:
    """The ``static`` folder of the installed ``swagger_ui`` package (found, not imported)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the swagger-ui-py package is missing: pip install 'swagger-ui-py>=25.7' "
            "(a Baton dependency; /api/v1/docs serves its Swagger UI files)"
        )
    return str(Path(next(iter(spec.submodule_search_locations))) / "static")


bp = Blueprint(
    "api_docs",
    __name__,
    url_prefix="/api/v1/docs",
    static_folder=_swagger_static(),
    static_url_path="/assets",
)


@bp.get("/")
@login_required
def swagger_ui() -> str:
    return render_template("api_docs.html", openapi_url=url_for("api.get_openapi"))
