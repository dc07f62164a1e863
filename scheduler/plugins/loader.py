"""Finding and importing plugins: the plugins folder, then installed entry points.

* The folder (``BATON_PLUGINS_FOLDER``; default ``./plugins`` when it exists, else
  ``$BATON_HOME/plugins``): every module and package directly inside it. The folder of
  Baton's own ``plugins`` package is imported under that name (``plugins.http``), so DAG
  files importing ``from plugins.http import HttpOperator`` get the very same classes.
  Any other folder is put on ``sys.path`` (as Airflow does) and its modules imported by
  their own names.
* Entry points of installed distributions in the group ``baton.plugins``; each points at a
  ``BatonPlugin`` (class or instance) or at a module declaring one. Baton's bundled
  providers (``http``, ``sql``, ``example_greeter``) are declared this way in its own
  pyproject.toml, so they load whatever folder is set; reached through both the folder and
  an entry point, a plugin is loaded once.

The name ``plugins`` itself always means the bundled package (``scheduler/plugins_package``),
so a user's folder called ``plugins/`` never shadows it.

A module declares its plugins as module-level ``BatonPlugin`` instances or subclasses
defined in it; a module declaring none (a helper) is skipped. A plugin that fails to import
or to pass the checks becomes a ``PluginFailure`` in the report: it never stops the caller
nor the other plugins.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import sys
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from scheduler.connections import BaseHook
from scheduler.plugins.plugin import BatonPlugin, LoadedPlugin, MenuLink, check_plugin
from scheduler.plugins_package import is_bundled
from scheduler.settings import Settings

ENTRY_POINT_GROUP = "baton.plugins"


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that could not be loaded: which one, from where, and the error."""

    name: str
    source: str
    error: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "source": self.source, "error": self.error}


@dataclass(frozen=True)
class PluginReport:
    """What ``load_plugins`` found: the plugins that loaded and the ones that failed."""

    plugins: tuple[LoadedPlugin, ...] = ()
    failures: tuple[PluginFailure, ...] = ()

    def hook_for_conn_type(self, conn_type: str) -> type[BaseHook] | None:
        """The hook class a plugin registers for ``conn_type`` (the first one wins)."""
        for plugin in self.plugins:
            if conn_type in plugin.connection_types:
                return plugin.connection_types[conn_type]
        return None

    def macros(self) -> dict[str, dict[str, Any]]:
        """``{plugin name: {macro name: function}}``, for ``macros.<plugin>.<fn>``."""
        return {p.name: dict(p.macros) for p in self.plugins if p.macros}

    def menu_links(self) -> list[MenuLink]:
        return [link for plugin in self.plugins for link in plugin.menu_links]

    def to_dict(self) -> dict[str, Any]:
        return {
            "plugins": [p.to_dict() for p in self.plugins],
            "failures": [f.to_dict() for f in self.failures],
        }


def plugins_folder(settings: Settings) -> Path:
    """``BATON_PLUGINS_FOLDER``, else ``./plugins`` when it exists, else ``$BATON_HOME/plugins``."""
    if settings.plugins_folder:
        return Path(settings.plugins_folder).expanduser().resolve()
    local = Path.cwd() / "plugins"
    return local if local.is_dir() else settings.home / "plugins"


def load_plugins(settings: Settings, *, entry_points: bool = True) -> PluginReport:
    """Import every plugin of the folder and (unless told not to) of the entry points."""
    collector = _Collector()
    folder = plugins_folder(settings)
    for module_name, source in _folder_modules(folder):
        collector.add_module(module_name, source)
    if entry_points:
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            collector.add_entry_point(entry_point)
    return PluginReport(tuple(collector.loaded), tuple(collector.failures))


def _folder_modules(folder: Path) -> list[tuple[str, str]]:
    """``(module name, source)`` of each module or package directly in ``folder``."""
    if not folder.is_dir():
        return []
    prefix = "plugins." if is_bundled(folder) else ""
    if not prefix and str(folder) not in sys.path:
        sys.path.append(str(folder))
    found = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(("_", ".")):
            continue
        if path.suffix == ".py" and path.is_file():
            found.append((prefix + path.stem, f"folder:{path}"))
        elif path.is_dir() and (path / "__init__.py").is_file() and path.name.isidentifier():
            found.append((prefix + path.name, f"folder:{path}"))
    return found


@dataclass
class _Collector:
    loaded: list[LoadedPlugin] = field(default_factory=list)
    failures: list[PluginFailure] = field(default_factory=list)
    # The declarations seen: the same object reached twice (the folder's module and an
    # entry point pointing into it) is one plugin, not a duplicate.
    seen: list[Any] = field(default_factory=list)

    def add_module(self, module_name: str, source: str) -> None:
        try:
            module = importlib.import_module(module_name)
        except BaseException as exc:  # SystemExit from a plugin must not stop us either
            if isinstance(exc, KeyboardInterrupt):
                raise
            self._fail(module_name, source, _import_error(exc))
            return
        self._add_declared(_declared_in(module), module_name, source)

    def add_entry_point(self, entry_point: importlib.metadata.EntryPoint) -> None:
        dist = getattr(entry_point.dist, "name", None) or "?"
        source = f"entry point:{dist} {entry_point.name} = {entry_point.value}"
        try:
            target = entry_point.load()
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            self._fail(entry_point.name, source, _import_error(exc))
            return
        declared = _declared_in(target) if inspect.ismodule(target) else [target]
        self._add_declared(declared, entry_point.name, source)

    def _add_declared(self, declared: Iterable[Any], fallback_name: str, source: str) -> None:
        for item in declared:
            if any(item is other for other in self.seen):
                continue
            self.seen.append(item)
            try:
                plugin = item() if inspect.isclass(item) else item
                if not isinstance(plugin, BatonPlugin):
                    raise TypeError(
                        f"{item!r} is not a BatonPlugin; point the entry point at a "
                        "BatonPlugin subclass, instance or a module declaring one"
                    )
                self._add(check_plugin(plugin, source))
            except Exception as exc:
                name = getattr(item, "name", "") or fallback_name
                self._fail(str(name), source, f"{type(exc).__name__}: {exc}")

    def _add(self, plugin: LoadedPlugin) -> None:
        for other in self.loaded:
            if other.name == plugin.name:
                self._fail(
                    plugin.name,
                    plugin.source,
                    f"a plugin named '{plugin.name}' is already loaded from {other.source}; "
                    "rename one of them",
                )
                return
        self.loaded.append(plugin)

    def _fail(self, name: str, source: str, error: str) -> None:
        self.failures.append(PluginFailure(name, source, error))


def _declared_in(module: ModuleType) -> list[Any]:
    """Module-level BatonPlugin instances, and BatonPlugin subclasses defined in the module
    (or its submodules) of which the module holds no instance."""
    values = list(vars(module).values())
    instances: list[BatonPlugin] = []
    for value in values:
        if isinstance(value, BatonPlugin) and all(value is not i for i in instances):
            instances.append(value)
    classes = [
        value
        for value in values
        if inspect.isclass(value)
        and issubclass(value, BatonPlugin)
        and value is not BatonPlugin
        and _defined_under(value, module.__name__)
        and not any(type(i) is value for i in instances)
    ]
    return [*instances, *dict.fromkeys(classes)]


def _defined_under(cls: type, module_name: str) -> bool:
    return cls.__module__ == module_name or cls.__module__.startswith(f"{module_name}.")


def _import_error(exc: BaseException) -> str:
    """The exception and the last frame of the plugin's own code, on one line."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = next(
        (f"{f.filename}:{f.lineno}" for f in reversed(frames) if "importlib" not in f.filename),
        None,
    )
    text = f"{type(exc).__name__}: {exc}"
    return f"{text} (at {where})" if where else text
