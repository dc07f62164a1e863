"""The API's blueprint object, apart from the views so each view module can import it."""

from __future__ import annotations

from flask import Blueprint

from webui.rest import errors

api_bp = Blueprint("api", __name__)
errors.register(api_bp)
