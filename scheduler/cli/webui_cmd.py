"""``baton webui`` (the web UI and REST API under gunicorn) and ``baton standalone`` (the
scheduler and the web UI together, for a laptop or a small install; ``cli/supervisor.py``
restarts either one when it dies).

The app is loaded by gunicorn from ``webui:create_app()`` in each worker, after the fork:
every worker opens its own database connections. Importing this module does not import
Flask, so other ``baton`` commands stay quick.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from gunicorn.app.base import BaseApplication
from gunicorn.util import import_app

from scheduler.cli.context import settings
from scheduler.cli.supervisor import Supervisor
from scheduler.errors import ConfigError
from scheduler.settings import check_bind
from scheduler.store.db import make_engine
from scheduler.store.schema import check_schema

APP = "webui:create_app()"

bind_option = click.option(
    "--bind",
    default=None,
    help="HOST:PORT to listen on  [default: BATON_WEBUI_BIND, which defaults to 127.0.0.1:8080]",
)
workers_option = click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="gunicorn worker processes.",
)


class _Gunicorn(BaseApplication):
    """gunicorn driven from Python: no config file, the options given on our command line."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return import_app(APP)


@click.command()
@bind_option
@workers_option
def webui(bind: str | None, workers: int) -> None:
    """Serve the web UI and the REST API (/api/v1) with gunicorn."""
    bind = _bind(bind)
    engine = make_engine(settings().database_url)
    check_schema(engine)  # fail here, once, rather than in every worker
    engine.dispose()
    options = {
        "bind": bind,
        "workers": workers,
        "worker_class": "gthread",
        "threads": 4,
        "timeout": 60,
        "accesslog": "-",
        "proc_name": "baton-webui",
    }
    _Gunicorn(options).run()


@click.command()
@bind_option
@workers_option
def standalone(bind: str | None, workers: int) -> None:
    """Run the scheduler, the triggerer and the web UI together, restarting any that dies;
    Ctrl-C or SIGTERM stops them all."""
    bind = _bind(bind)  # a bad setting fails here, before any child starts
    supervisor = Supervisor(
        {
            "scheduler": ["scheduler"],
            "triggerer": ["triggerer"],  # runs deferred tasks' triggers
            "webui": ["webui", "--bind", bind, "--workers", str(workers)],
        }
    )
    supervisor.start()
    click.echo(
        f"Baton is running: web UI on http://{bind}, scheduler pid "
        f"{supervisor.pid('scheduler')}, triggerer pid {supervisor.pid('triggerer')}. "
        "Ctrl-C stops them all."
    )
    sys.exit(supervisor.run())


def _bind(option: str | None) -> str:
    """``--bind`` when given, else the ``BATON_WEBUI_BIND`` setting; checked either way."""
    if option is None:
        return settings().webui_bind
    try:
        return check_bind(option, "--bind")
    except ConfigError as error:
        raise click.BadParameter(str(error), param_hint="--bind") from None
