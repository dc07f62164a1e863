"""Who may do what in the web UI and the REST API.

Every route needs a logged-in user (``guard.enforce`` runs before each request) except the
login page, ``/health`` and static files; views state the role they need with
``role_required``. Roles are ordered: Admin can do everything Op can, Op everything Viewer can.
"""

from __future__ import annotations

from webui.auth.csrf import csrf_token
from webui.auth.decorators import login_required, role_required
from webui.auth.identity import CurrentUser, current_user, event_source
from webui.auth.roles import ROLES, has_role
from webui.auth.views import auth_bp

__all__ = [
    # decorators
    "login_required",
    "role_required",
    # the request's user
    "CurrentUser",
    "current_user",
    "event_source",
    "has_role",
    "ROLES",
    # CSRF (also the Jinja global csrf_token())
    "csrf_token",
    # the login, tokens and users pages
    "auth_bp",
]
