"""What every command shares: the settings, read once per invocation."""

from __future__ import annotations

import click

from scheduler.settings import Settings


def settings() -> Settings:
    ctx = click.get_current_context()
    root = ctx.find_root()
    if root.obj is None:
        root.obj = Settings.from_env()
    return root.obj
