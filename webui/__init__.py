"""Baton's web UI and REST API: a Flask app factory.

Served as ``gunicorn 'webui:create_app()'`` (``baton webui`` does that). The pages live in
``webui.views`` (one blueprint per area), the JSON API in ``webui.rest`` under ``/api/v1``,
login, tokens and users in ``webui.auth``, ``/health`` and ``/metrics`` in ``webui.health``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, redirect, url_for
from werkzeug.wrappers import Response

from scheduler.settings import Settings
from webui import security
from webui.auth import auth_bp, csrf_token, current_user, has_role
from webui.auth.guard import enforce
from webui.health import health_bp
from webui.hooks import hooks_bp
from webui.rest import api_bp, install_http_handlers
from webui.views import BLUEPRINTS

__all__ = ["create_app"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The app. ``test_config`` overrides Flask config; its ``BATON_SETTINGS`` (a Settings)
    replaces the settings read from the environment."""
    app = Flask(__name__)
    config = dict(test_config or {})
    settings = config.pop("BATON_SETTINGS", None) or Settings.from_env()
    app.config["BATON_SETTINGS"] = settings
    app.config.update(config)
    security.configure(app, settings)
    app.before_request(enforce)
    app.jinja_env.globals.update(
        csrf_token=csrf_token, current_user=current_user, has_role=has_role
    )
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(auth_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(hooks_bp)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    install_http_handlers(app)  # after the pages' blueprints: JSON wins under /api/
    if not any(rule.rule == "/" for rule in app.url_map.iter_rules()):
        app.add_url_rule("/", "index", _index)
    return app


def _index() -> Response:
    """Home page until the pages blueprint defines one: the user's API tokens."""
    return redirect(url_for("auth.tokens"))
