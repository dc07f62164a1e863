"""``{{ macros.<plugin>.<fn>() }}``: plugin macros next to Airflow's built-in ones.

A worker loads the plugins the first time a template names a macro that is not built in,
then keeps the result for the rest of its life (per plugins folder): a DAG that uses only
``macros.ds_add`` never imports a plugin, and a thousand tries import them once.
"""

from __future__ import annotations

from types import ModuleType, SimpleNamespace
from typing import Any

from jinja2.exceptions import UndefinedError

from scheduler.plugins.loader import PluginReport, load_plugins, plugins_folder
from scheduler.settings import Settings

_reports: dict[str, PluginReport] = {}


def process_plugins(settings: Settings | None = None) -> PluginReport:
    """The plugins of this process's settings, loaded once per process and folder."""
    settings = settings or Settings.from_env()
    key = str(plugins_folder(settings))
    report = _reports.get(key)
    if report is None:
        report = _reports[key] = load_plugins(settings)
    return report


def forget_plugins() -> None:
    """Drop the cached reports (tests; a process that wants to see new plugins)."""
    _reports.clear()


class TemplateMacros:
    """``context["macros"]``: the built-in macros module first, then plugin namespaces."""

    def __init__(self, builtin: ModuleType) -> None:
        self._builtin = builtin

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if hasattr(self._builtin, name):
            return getattr(self._builtin, name)
        namespaces = process_plugins().macros()
        if name in namespaces:
            return SimpleNamespace(**namespaces[name])
        # Jinja's own UndefinedError (not an AttributeError, which Jinja would replace by a
        # generic "has no attribute" message): the try fails saying where macros come from.
        raise UndefinedError(
            f"macros.{name} is neither a built-in macro nor a plugin's macros "
            f"(plugins with macros: {', '.join(sorted(namespaces)) or 'none'}); "
            "see `baton plugins list`"
        )

    def __repr__(self) -> str:
        return f"<macros: {self._builtin.__name__} + plugin macros>"
