"""``baton users``: the web UI's accounts (create, list, delete) and their API tokens."""

from __future__ import annotations

import os
import secrets

import click

from scheduler import api
from scheduler.cli.context import settings
from scheduler.cli.output import emit, emit_object, output_option
from scheduler.errors import UserNotFoundError
from scheduler.store.events import process_source
from scheduler.store.models_auth import ROLES

_GENERATED_PASSWORD_BYTES = 12


@click.group()
def users() -> None:
    """Manage who can log in to the web UI and the REST API."""


@users.command("create")
@click.option("--username", required=True, help="The login name.")
@click.option("--role", type=click.Choice(ROLES), required=True, help="Viewer < Op < Admin.")
@click.option(
    "--password-from-env",
    metavar="VAR",
    help="Read the password from environment variable VAR; if VAR is unset or empty, "
    "generate one and print it once. Without this option the password is prompted for.",
)
@click.option("--if-missing", is_flag=True, help="Do nothing (exit 0) if the user exists.")
def create(username: str, role: str, password_from_env: str | None, if_missing: bool) -> None:
    """Create a user (its password is stored hashed)."""
    conf = settings()
    if if_missing and api.find_user(conf, username) is not None:
        click.echo(f"User '{username}' already exists; left unchanged.")
        return
    password, generated = _new_password(password_from_env)
    api.create_user(conf, username, password, role)
    click.echo(f"Created user '{username}' with role {role}.")
    if generated:
        click.echo(
            f"{password_from_env} is not set, so a password was generated (shown only now, "
            f"store it safely): {password}"
        )


@users.command("reset-password")
@click.option("--username", required=True, help="Whose password to replace.")
@click.option(
    "--password-from-env",
    metavar="VAR",
    help="Read the new password from environment variable VAR; if VAR is unset or empty, "
    "generate one and print it once. Without this option the password is prompted for.",
)
def reset_password(username: str, password_from_env: str | None) -> None:
    """Give a user a new password (e.g. a lost Admin password); its open sessions end."""
    conf = settings()
    api.require_user(conf, username)
    password, generated = _new_password(password_from_env)
    api.reset_password(conf, username, password)
    click.echo(f"Reset the password of user '{username}'; its open sessions have ended.")
    if generated:
        click.echo(
            f"{password_from_env} is not set, so a password was generated (shown only now, "
            f"store it safely): {password}"
        )


def _new_password(password_from_env: str | None) -> tuple[str, bool]:
    """``(password, generated)`` from VAR, generated when VAR is empty, else prompted."""
    if password_from_env is None:
        return click.prompt("Password", hide_input=True, confirmation_prompt=True), False
    password = os.environ.get(password_from_env, "")
    if password:
        return password, False
    return secrets.token_urlsafe(_GENERATED_PASSWORD_BYTES), True


@users.command("list")
@output_option
def list_(output: str) -> None:
    """List users with their role and last login (never their password)."""
    rows = [
        {
            "username": u.username,
            "role": u.role,
            "created_at": u.created_at,
            "last_login_at": u.last_login_at,
            "active": u.active,
        }
        for u in api.list_users(settings())
    ]
    emit(rows, output, ["username", "role", "active", "created_at", "last_login_at"])


@users.command("delete")
@click.argument("username")
def delete(username: str) -> None:
    """Delete a user and revoke its API tokens; its open sessions end at once."""
    api.delete_user(settings(), username)
    click.echo(f"Deleted user '{username}'.")


@users.group()
def tokens() -> None:
    """API tokens ("Authorization: Bearer TOKEN"): a token acts as its user, with its role."""


@tokens.command("create")
@click.option("--username", required=True, help="The user the token acts as.")
@click.option("--name", required=True, help="What uses the token, e.g. 'prometheus' or 'ci'.")
@output_option
def tokens_create(username: str, name: str, output: str) -> None:
    """Create a token and print it once: only its hash is stored, so it cannot be shown again."""
    conf = settings()
    user = api.require_user(conf, username)
    token_id, value = api.create_token(conf, user.id, name, source=process_source("cli"))
    if output == "json":
        emit_object({"id": token_id, "username": username, "name": name, "token": value}, output)
        return
    click.echo(f"Created API token {token_id} '{name}' for user '{username}'.")
    click.echo("Copy it now, it is shown only this once:")
    click.echo(value)


@tokens.command("list")
@click.option("--username", help="Only this user's tokens (default: every user's).")
@output_option
def tokens_list(username: str | None, output: str) -> None:
    """List tokens with their owner, creation and last use (never their value)."""
    rows = [
        {
            "id": token.id,
            "username": owner,
            "name": token.name,
            "created_at": token.created_at,
            "last_used_at": token.last_used_at,
        }
        for owner, token in api.tokens_by_user(settings(), username)
    ]
    emit(rows, output, ["id", "username", "name", "created_at", "last_used_at"])


@tokens.command("revoke")
@click.argument("token_id", type=int)
@click.option("--username", required=True, help="The token's user (see baton users tokens list).")
def tokens_revoke(token_id: int, username: str) -> None:
    """Revoke a token: requests carrying it are refused from now on."""
    conf = settings()
    user = api.require_user(conf, username)
    if not api.revoke_token(conf, user.id, token_id, source=process_source("cli")):
        raise UserNotFoundError(
            f"user '{username}' has no API token {token_id}; see its tokens with "
            f"baton users tokens list --username {username}"
        )
    click.echo(f"Revoked API token {token_id} of user '{username}'.")
