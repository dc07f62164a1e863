"""``baton variables``: set, get, list and delete variables (stored encrypted).

A variable whose key looks sensitive (``api_key``, ``db_password``...) is printed as ``***``
unless ``--reveal`` is given; ``BATON_VAR_<KEY>`` variables win over stored ones.
"""

from __future__ import annotations

import json

import click

from scheduler.cli.context import settings
from scheduler.cli.output import emit, output_option
from scheduler.connections import get_variable, manage
from scheduler.connections.lookup import mask_variable
from scheduler.errors import VariableNotFoundError
from scheduler.masking import REDACTED, is_sensitive_key, redact


@click.group()
def variables() -> None:
    """Manage variables.

    Variable.get("KEY") in DAG files, {{ var.value.KEY }} in templates; stored encrypted,
    and a BATON_VAR_<KEY> environment variable wins over a stored one.
    """


@variables.command("set")
@click.argument("key")
@click.argument("value")
@click.option("--description")
@click.option("-j", "--json", "as_json", is_flag=True, help="Check that VALUE is valid JSON.")
def set_(key: str, value: str, description: str | None, as_json: bool) -> None:
    """Set variable KEY to VALUE."""
    if as_json:
        try:
            value = json.dumps(json.loads(value), indent=2)
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"not valid JSON ({exc.msg})", param_hint="VALUE") from None
    manage.set_variable(settings(), key, value, description)
    click.echo(f"Set variable '{key}'")


@variables.command("get")
@click.argument("key")
@click.option("-d", "--default", help="Print this when KEY is not set (instead of failing).")
@click.option("--reveal", is_flag=True, help="Print a sensitive variable's value as it is.")
def get(key: str, default: str | None, reveal: bool) -> None:
    """Print the value of variable KEY (environment first, then the database)."""
    value = get_variable(key, settings())
    if value is None:
        if default is None:
            raise VariableNotFoundError(
                f"variable '{key}' is not set; `baton variables list` shows the ones that are"
            )
        value = default
    click.echo(value if reveal else _shown(key, value))


@variables.command("list")
@click.option("--reveal", is_flag=True, help="Print sensitive values as they are.")
@output_option
def list_(reveal: bool, output: str) -> None:
    """List the stored variables and the BATON_VAR_* ones."""
    rows = [
        {
            "key": item.variable.key,
            "value": item.variable.value
            if reveal
            else _shown(item.variable.key, item.variable.value),
            "description": item.variable.description,
            "source": item.source,
        }
        for item in manage.list_variables(settings())
        if item.variable is not None
    ]
    emit(rows, output, ["key", "value", "description", "source"])


@variables.command("delete")
@click.argument("key")
def delete(key: str) -> None:
    """Delete stored variable KEY."""
    manage.delete_variable(settings(), key)
    click.echo(f"Deleted variable '{key}'")


def _shown(key: str, value: str) -> str:
    # Registers the value (sensitive key) or its sensitive JSON fields, then hides them.
    mask_variable(key, value)
    return REDACTED if is_sensitive_key(key) else redact(value)
