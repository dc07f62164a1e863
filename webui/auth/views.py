"""The auth blueprint: login and logout, the user's API tokens, and (for Admins) users."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse  # what redirect() returns

from scheduler import api
from scheduler.errors import AuthError, LoginThrottledError
from webui.auth.decorators import login_required, role_required
from webui.auth.device import device_nonce, remember_device
from webui.auth.identity import (
    CurrentUser,
    current_user,
    event_source,
    settings,
    start_session,
)
from webui.auth.responses import safe_next
from webui.auth.roles import ROLES

auth_bp = Blueprint("auth", __name__, url_prefix="/auth")

# The same message whatever was wrong, so the form does not tell which user names exist.
LOGIN_FAILED = "Wrong user name or password."
_NAME_MAX = 100


@auth_bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | str | tuple[str, int]:
    target = safe_next(request.values.get("next")) or "/"
    if request.method == "GET":
        if current_user() is not None:
            return redirect(target)
        return render_template("auth/login.html", next=target)
    username = request.form.get("username", "")[:_NAME_MAX]
    device = device_nonce(username)
    try:
        user = api.login(
            settings(),
            username,
            request.form.get("password", ""),
            source_addr=request.remote_addr,
            device=device,
        )
    except LoginThrottledError as exc:
        # The same words, status and header for every account, known or not.
        page = render_template("auth/login.html", next=target, error=f"{exc}.")
        return Response(page, 429, {"Retry-After": str(exc.retry_after)})
    if user is None:
        return render_template("auth/login.html", next=target, error=LOGIN_FAILED), 401
    start_session(user.id)
    response = redirect(target)
    remember_device(response, username, device)
    return response


@auth_bp.route("/logout", methods=["POST"])
@login_required
def logout() -> BaseResponse:
    api.logout(settings(), _me().id, source=event_source())
    session.clear()
    return redirect(url_for("auth.login"))


@auth_bp.route("/tokens", methods=["GET"])
@login_required
def tokens() -> str:
    return render_template("auth/tokens.html", tokens=api.list_tokens(settings(), _me().id))


@auth_bp.route("/tokens", methods=["POST"])
@login_required
def create_token() -> tuple[str, int] | str:
    name = request.form.get("name", "").strip()
    if not name or len(name) > _NAME_MAX:
        flash(f"A token needs a name of 1 to {_NAME_MAX} characters, e.g. 'prometheus'.", "error")
        listing = api.list_tokens(settings(), _me().id)
        return render_template("auth/tokens.html", tokens=listing), 400
    token_id, value = api.create_token(settings(), _me().id, name, source=event_source())
    listing = api.list_tokens(settings(), _me().id)
    return render_template("auth/tokens.html", tokens=listing, new_token=value, new_id=token_id)


@auth_bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int) -> BaseResponse:
    if not api.revoke_token(settings(), _me().id, token_id, source=event_source()):
        flash(f"You have no token {token_id}; it may already be revoked.", "error")
    return redirect(url_for("auth.tokens"))


@auth_bp.route("/users", methods=["GET"])
@role_required("Admin")
def users() -> str:
    return render_template("auth/users.html", users=api.list_users(settings()), roles=ROLES)


@auth_bp.route("/users", methods=["POST"])
@role_required("Admin")
def create_user() -> BaseResponse | tuple[str, int]:
    form = request.form
    try:
        api.create_user(
            settings(),
            form.get("username", "").strip(),
            form.get("password", ""),
            form.get("role", ""),
            source=event_source(),
        )
    except AuthError as exc:
        flash(str(exc), "error")
        listing = api.list_users(settings())
        return render_template("auth/users.html", users=listing, roles=ROLES), 400
    return redirect(url_for("auth.users"))


@auth_bp.route("/users/<username>/delete", methods=["POST"])
@role_required("Admin")
def delete_user(username: str) -> BaseResponse:
    if username == _me().username:
        flash("You cannot delete yourself; log in as another Admin to do it.", "error")
        return redirect(url_for("auth.users"))
    try:
        api.delete_user(settings(), username, source=event_source())
    except AuthError as exc:
        flash(str(exc), "error")
    return redirect(url_for("auth.users"))


@auth_bp.route("/users/<username>/role", methods=["POST"])
@role_required("Admin")
def change_role(username: str) -> BaseResponse:
    role = request.form.get("role", "")
    try:
        old = api.change_role(settings(), username, role, source=event_source())
    except AuthError as exc:
        flash(str(exc), "error")
    else:
        flash(f"User '{username}' now has role {role} (was {old}).", "success")
    return redirect(url_for("auth.users"))


@auth_bp.route("/users/<username>/password", methods=["POST"])
@role_required("Admin")
def reset_password(username: str) -> BaseResponse:
    try:
        api.reset_password(
            settings(), username, request.form.get("password", ""), source=event_source()
        )
    except AuthError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Password of '{username}' reset; their open sessions have ended.", "success")
    return redirect(url_for("auth.users"))


@auth_bp.route("/users/<username>/active", methods=["POST"])
@role_required("Admin")
def set_active(username: str) -> BaseResponse:
    active = request.form.get("active") == "true"
    if username == _me().username and not active:
        flash("You cannot deactivate yourself; log in as another Admin to do it.", "error")
        return redirect(url_for("auth.users"))
    try:
        api.set_user_active(settings(), username, active, source=event_source())
    except AuthError as exc:
        flash(str(exc), "error")
    else:
        flash(f"User '{username}' {'activated' if active else 'deactivated'}.", "success")
    return redirect(url_for("auth.users"))


@auth_bp.route("/password", methods=["GET"])
@login_required
def password_form() -> str:
    return render_template("auth/password.html")


@auth_bp.route("/password", methods=["POST"])
@login_required
def change_password() -> BaseResponse | tuple[str, int]:
    form = request.form
    new = form.get("new_password", "")
    if new != form.get("confirm_password", ""):
        flash("The new password and its confirmation differ; type them again.", "error")
        return render_template("auth/password.html"), 400
    me = _me()
    try:
        api.change_own_password(
            settings(), me.id, form.get("current_password", ""), new, source=event_source()
        )
    except AuthError as exc:
        flash(str(exc), "error")
        return render_template("auth/password.html"), 400
    start_session(me.id)  # the change ended every session; this browser stays logged in
    flash("Your password was changed; your other sessions have ended.", "success")
    return redirect(url_for("auth.password_form"))


def _me() -> CurrentUser:
    user = current_user()
    assert user is not None  # the guard and the decorators ran before the view
    return user
