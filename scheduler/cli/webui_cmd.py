"""``baton webui`` (the web UI and REST API under gunicorn) and ``baton standalone`` (the
scheduler and the web UI together, for a laptop or a small install).

The app is loaded by gunicorn from ``webui:create_app()`` in each worker, after the fork:
every worker opens its own database connections. Importing this module does not import
Flask, so other ``baton`` commands stay quick.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

import click
from gunicorn.app.base import BaseApplication
from gunicorn.util import import_app

from scheduler.cli.context import settings
from scheduler.store.db import make_engine
from scheduler.store.schema import check_schema

APP = "webui:create_app()"
STOP_TIMEOUT_S = 120.0  # the scheduler lets running tries finish before it exits

bind_option = click.option(
    "--bind", default="127.0.0.1:8080", show_default=True, help="HOST:PORT to listen on."
)
workers_option = click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="gunicorn worker processes.",
)


class _Gunicorn(BaseApplication):  # type: ignore[misc]
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
def webui(bind: str, workers: int) -> None:
    """Serve the web UI and the REST API (/api/v1) with gunicorn."""
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
def standalone(bind: str, workers: int) -> None:
    """Run the scheduler and the web UI together; Ctrl-C or SIGTERM stops both."""
    settings()  # a bad setting fails here, before any child starts
    children = {
        "scheduler": _spawn(["scheduler"]),
        "webui": _spawn(["webui", "--bind", bind, "--workers", str(workers)]),
    }
    click.echo(
        f"Baton is running: web UI on http://{bind}, scheduler pid "
        f"{children['scheduler'].pid}. Ctrl-C stops both."
    )
    sys.exit(_supervise(children))


def _spawn(args: Sequence[str]) -> subprocess.Popen[bytes]:
    """``baton ARGS`` as a child in its own process group: a terminal's Ctrl-C reaches only
    us, and we stop the children in order."""
    command = [sys.executable, "-c", "from scheduler.cli import main; main()", *args]
    return subprocess.Popen(command, process_group=0)


class _StopRequests:
    """Counts SIGTERM/SIGINT. A plain counter, not a threading.Event: setting an Event takes
    a lock the interrupted main thread may hold, and the handler then deadlocks."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_: Any) -> None:
        self.count += 1


def _supervise(children: dict[str, subprocess.Popen[bytes]]) -> int:
    """Wait for a stop signal or for a child to exit; then stop the others. Exit status:
    0 after a requested stop, else the status of the child that died."""
    requests = _StopRequests()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, requests)
    dead: dict[str, int] = {}
    while not requests.count and not dead:
        time.sleep(0.2)  # a signal interrupts the sleep and the loop sees the request
        dead = {name: code for name, c in children.items() if (code := c.poll()) is not None}
    for name, code in dead.items():
        click.echo(f"The {name} exited with status {code}; stopping the rest.", err=True)
    _stop_all(children, requests, requested=requests.count)
    return next(iter(dead.values()), 0) or 0


def _stop_all(
    children: dict[str, subprocess.Popen[bytes]], requests: _StopRequests, requested: int
) -> None:
    """SIGTERM every child still running and wait; another Ctrl-C (or the timeout) kills."""
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for name, child in children.items():
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while child.poll() is None and time.monotonic() < deadline:
            if requests.count > requested:  # asked again: stop waiting
                break
            time.sleep(0.2)
        if child.poll() is None:
            click.echo(f"The {name} did not stop in time; killing it.", err=True)
            child.kill()
            child.wait()
