"""``baton users``: the web UI's accounts (create, list, delete)."""

from __future__ import annotations

import os
import secrets

import click

from scheduler import api
from scheduler.cli.context import settings
from scheduler.cli.output import emit, output_option
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
    generated = False
    if password_from_env is not None:
        password = os.environ.get(password_from_env, "")
        if not password:
            password, generated = secrets.token_urlsafe(_GENERATED_PASSWORD_BYTES), True
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    api.create_user(conf, username, password, role)
    click.echo(f"Created user '{username}' with role {role}.")
    if generated:
        click.echo(
            f"{password_from_env} is not set, so a password was generated (shown only now, "
            f"store it safely): {password}"
        )


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
        }
        for u in api.list_users(settings())
    ]
    emit(rows, output, ["username", "role", "created_at", "last_login_at"])


@users.command("delete")
@click.argument("username")
def delete(username: str) -> None:
    """Delete a user and revoke its API tokens; its open sessions end at once."""
    api.delete_user(settings(), username)
    click.echo(f"Deleted user '{username}'.")
