"""``baton connections``: add, get, list, delete and test connections; and
``baton rotate-fernet-key``, which re-encrypts what they store.

Passwords and extra values are printed as ``***``, whatever the output format.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from scheduler.cli.context import settings
from scheduler.cli.output import emit, emit_object, output_option
from scheduler.connections import Connection, get_connection, manage
from scheduler.plugins import check_connection, process_plugins

_COLUMNS = ["conn_id", "conn_type", "host", "port", "login", "password", "schema", "source"]


@click.group()
def connections() -> None:
    """Manage connections to outside systems.

    Stored encrypted; a BATON_CONN_<ID> environment variable wins over a stored connection.
    """


@connections.command("add")
@click.argument("conn_id")
@click.option("--conn-uri", help="type://login:password@host:port/schema?key=value")
@click.option("--conn-json", help='A JSON object: {"conn_type": ..., "host": ..., ...}')
@click.option("--conn-type", help="The connection type, e.g. http, postgres.")
@click.option("--conn-host")
@click.option("--conn-login")
@click.option("--conn-password")
@click.option("--conn-port", type=int)
@click.option("--conn-schema")
@click.option("--conn-extra", help='Extra options as a JSON object, e.g. {"timeout": 10}.')
@click.option("--conn-description")
def add(conn_id: str, **options: Any) -> None:
    """Add connection CONN_ID, from a URI, JSON, or --conn-type and the other fields."""
    conn = _connection_from_options(conn_id, options)
    manage.add_connection(settings(), conn)
    click.echo(f"Added connection '{conn_id}' (type {conn.conn_type or '-'})")


def _connection_from_options(conn_id: str, options: dict[str, Any]) -> Connection:
    uri, as_json = options.pop("conn_uri"), options.pop("conn_json")
    fields = {k.removeprefix("conn_"): v for k, v in options.items() if v is not None}
    given = [name for name, value in (("--conn-uri", uri), ("--conn-json", as_json)) if value]
    if len(given) > 1 or (given and fields):
        raise click.UsageError(
            "give the connection one way: --conn-uri, or --conn-json, or --conn-type with "
            "the other --conn-* options"
        )
    if uri:
        return Connection.from_uri(conn_id, uri)
    if as_json:
        return Connection.from_json(conn_id, as_json)
    if "type" not in fields:
        raise click.UsageError("give --conn-uri, --conn-json or at least --conn-type")
    fields["conn_type"] = fields.pop("type")
    return Connection(conn_id=conn_id, **fields)


@connections.command("get")
@click.argument("conn_id")
@output_option
def get(conn_id: str, output: str) -> None:
    """Show connection CONN_ID as Baton resolves it (environment first), secrets masked."""
    emit_object(get_connection(conn_id, settings()).redacted(), output)


@connections.command("list")
@output_option
def list_(output: str) -> None:
    """List the stored connections and the BATON_CONN_* ones, secrets masked."""
    rows = [
        {**item.connection.redacted(), "source": item.source}
        for item in manage.list_connections(settings())
        if item.connection is not None
    ]
    emit(rows, output, _COLUMNS)


@connections.command("delete")
@click.argument("conn_id")
def delete(conn_id: str) -> None:
    """Delete stored connection CONN_ID."""
    manage.delete_connection(settings(), conn_id)
    click.echo(f"Deleted connection '{conn_id}'")


@connections.command("test")
@click.argument("conn_id")
@output_option
def test(conn_id: str, output: str) -> None:
    """Test CONN_ID with the hook a plugin registers for its type; exit 1 if it fails."""
    current = settings()
    result = check_connection(current, process_plugins(current), conn_id)
    if output == "json":
        click.echo(json.dumps(result.__dict__, indent=2))
    else:
        verdict = "OK" if result.ok else "FAILED"
        click.echo(f"{verdict}: {result.message} (hook {result.hook})")
    if not result.ok:
        sys.exit(1)


@click.command("rotate-fernet-key")
def rotate_fernet_key() -> None:
    """Re-encrypt connections and variables with a new key.

    With BATON_FERNET_KEY="new,old", everything moves to "new"; remove "old" afterwards.
    With the generated $BATON_HOME/fernet.key, a new key replaces the old one in the file.
    """
    rotation = manage.rotate_fernet_key(settings())
    if rotation.key_file_rotated:
        click.echo(f"Generated a new key; re-encrypted {rotation.values} value(s) with it")
    else:
        click.echo(
            f"Re-encrypted {rotation.values} value(s) with the first key of BATON_FERNET_KEY; "
            "you can now remove the older key(s) from it"
        )
