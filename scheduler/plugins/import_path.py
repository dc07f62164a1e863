"""The plugins folder on ``sys.path`` of every process that imports DAG files.

A DAG file imports its plugin's classes directly (``from legacy import LegacyOperator``), as
in Airflow, where the plugins folder is on ``sys.path`` of every component. The modules of
the plugins folder must then be importable wherever a DAG file is imported: the loader's
children, the workers, ``baton dags test`` / ``baton tasks test`` and ``baton dags sync``.
The scheduler calls ``put_plugins_on_path`` before it forks the loader and the workers, so
they (and the loader's children, which restore ``sys.path`` between files to what it was
when they started) inherit it; the commands that import DAG files in their own process call
it themselves.

Baton's bundled ``plugins`` package needs nothing: it is importable as ``plugins`` from
anywhere (``scheduler.plugins_package``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from scheduler.plugins.loader import plugins_folder
from scheduler.plugins_package import is_bundled
from scheduler.settings import Settings


def put_plugins_on_path(settings: Settings) -> Path | None:
    """Append the plugins folder to ``sys.path`` (once) and return it; ``None`` when it does
    not exist or is the bundled providers' folder. Appended, not prepended, as the plugin
    loader does: a plugin module never shadows the standard library or an installed
    package."""
    folder = plugins_folder(settings)
    if not folder.is_dir() or is_bundled(folder):
        return None
    if str(folder) not in sys.path:
        sys.path.append(str(folder))
    return folder
