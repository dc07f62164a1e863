"""View decorators that state who may call a view.

Login is already enforced for every route by ``guard.enforce``; these decorators add the role
and make the rule visible where the view is defined. The minimum role is kept on the view
as ``baton_role`` so tests can check every route against every role.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from werkzeug.wrappers import Response as BaseResponse

from webui.auth.identity import current_user
from webui.auth.responses import forbidden, unauthenticated
from webui.auth.roles import ROLES, has_role, lowest_role

P = ParamSpec("P")
R = TypeVar("R")


def role_required(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R | BaseResponse]]:
    """Allow users whose role is at least the lowest of ``roles`` (Admin > Op > Viewer)."""
    needed = lowest_role(roles or (ROLES[0],))

    def decorate(view: Callable[P, R]) -> Callable[P, R | BaseResponse]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | BaseResponse:
            user = current_user()
            if user is None:
                return unauthenticated()
            if not has_role(user.role, needed):
                return forbidden(
                    f"user '{user.username}' has role {user.role}; this needs {needed} or "
                    "above (an Admin can change roles on the users page)"
                )
            return view(*args, **kwargs)

        wrapper.__dict__["baton_role"] = needed  # a function's attribute, which mypy cannot see
        return wrapper

    return decorate


def login_required(view: Callable[P, R]) -> Callable[P, R | BaseResponse]:
    """Any logged-in user (Viewer or above)."""
    return role_required(ROLES[0])(view)
