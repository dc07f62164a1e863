"""The name ``plugins`` always means Baton's bundled providers (``plugins.http``,
``plugins.sql``, ``plugins.example_greeter``), whatever the current directory holds.

A process whose ``sys.path`` has the current directory (``python -c``, gunicorn, pytest)
started in a folder with a ``plugins/`` directory of the user's own would otherwise import
that directory as ``plugins``: as a namespace package without ``__file__`` (which broke the
web UI's plugin loading) or, if it has an ``__init__.py``, in place of the providers, so
``from plugins.http import HttpOperator`` failed. A finder placed first on ``sys.meta_path``
resolves the top-level name to the bundled package; its submodules are then found in the
bundled folder only. A user's plugins folder is imported by the loader under its modules'
own names (as Airflow does), never as ``plugins``.

Importing ``scheduler`` installs the finder, so every Baton process (CLI, scheduler, loader
children, workers, web server) has it before a DAG file or plugin imports ``plugins``.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

NAME = "plugins"
#: Installed beside the ``scheduler`` package (an editable checkout or site-packages).
BUNDLED = Path(__file__).resolve().parent.parent / NAME


class BundledPluginsFinder(importlib.abc.MetaPathFinder):
    """Finds the top-level ``plugins`` package in ``BUNDLED``, and nothing else."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != NAME:
            return None
        return importlib.util.spec_from_file_location(
            NAME, BUNDLED / "__init__.py", submodule_search_locations=[str(BUNDLED)]
        )


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (once). Does nothing when Baton is
    installed without its bundled providers."""
    if not (BUNDLED / "__init__.py").is_file():
        return
    if not any(isinstance(finder, BundledPluginsFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, BundledPluginsFinder())


def is_bundled(folder: Path) -> bool:
    """Whether ``folder`` is the bundled providers' folder."""
    return folder.resolve() == BUNDLED
