"""``BatonPlugin``: what a plugin declares, and its checked, normalised form.

Declare a plugin either way (both are Airflow-like)::

    plugin = BatonPlugin(name="greeter", operators=[GreetOperator], hooks=[GreeterHook],
                         connection_types={"greeter": GreeterHook}, macros=[shout])

    class GreeterPlugin(BatonPlugin):       # Airflow's ``class MyPlugin(AirflowPlugin)``
        name = "greeter"
        operators = [GreetOperator]

Nothing is registered anywhere by declaring: ``load_plugins`` finds the declarations and
returns them (``LoadedPlugin``) in an explicit ``PluginReport``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from scheduler.authoring import BaseOperator, BaseSensorOperator
from scheduler.connections import BaseHook
from scheduler.errors import PluginError


@dataclass(frozen=True)
class MenuLink:
    """A link the web UI shows in its menu (Airflow's ``appbuilder_menu_items``)."""

    name: str
    href: str
    category: str = "Plugins"


class BatonPlugin:
    """A plugin's declaration. Give values as constructor arguments or class attributes.

    ``macros`` is a list of functions (Airflow's form) or a dict ``name -> function``; in
    templates they are ``{{ macros.<plugin name>.<function name>(...) }}``.
    """

    name: ClassVar[str] = ""
    operators: ClassVar[Sequence[type]] = ()
    sensors: ClassVar[Sequence[type]] = ()
    hooks: ClassVar[Sequence[type]] = ()
    connection_types: ClassVar[Mapping[str, type]] = {}
    macros: ClassVar[Sequence[Callable[..., Any]] | Mapping[str, Callable[..., Any]]] = ()
    menu_links: ClassVar[Sequence[MenuLink | Mapping[str, str]]] = ()

    _FIELDS = ("name", "operators", "sensors", "hooks", "connection_types", "macros", "menu_links")

    def __init__(self, **declared: Any) -> None:
        unknown = sorted(set(declared) - set(self._FIELDS))
        if unknown:
            raise PluginError(
                f"BatonPlugin got unknown argument(s) {', '.join(unknown)}; "
                f"it takes {', '.join(self._FIELDS)}"
            )
        for key, value in declared.items():
            setattr(self, key, value)

    def __repr__(self) -> str:
        return f"<BatonPlugin {self.name!r}>"


@dataclass(frozen=True)
class LoadedPlugin:
    """A plugin that loaded and passed the checks, with everything it registers."""

    name: str
    source: str
    """Where it came from: ``folder:/path/file.py`` or ``entry point:dist name = module``."""
    operators: tuple[type, ...] = ()
    sensors: tuple[type, ...] = ()
    hooks: tuple[type, ...] = ()
    connection_types: dict[str, type[BaseHook]] = field(default_factory=dict)
    macros: dict[str, Callable[..., Any]] = field(default_factory=dict)
    menu_links: tuple[MenuLink, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary: class names, not classes."""
        return {
            "name": self.name,
            "source": self.source,
            "operators": [_qualname(c) for c in self.operators],
            "sensors": [_qualname(c) for c in self.sensors],
            "hooks": [_qualname(c) for c in self.hooks],
            "connection_types": {k: _qualname(v) for k, v in self.connection_types.items()},
            "macros": sorted(self.macros),
            "menu_links": [
                {"name": m.name, "href": m.href, "category": m.category} for m in self.menu_links
            ],
        }


def check_plugin(plugin: BatonPlugin, source: str) -> LoadedPlugin:
    """The normalised plugin; ``PluginError`` says which declaration is wrong and why."""
    name = plugin.name
    if not isinstance(name, str) or not name.isidentifier():
        raise PluginError(
            f"plugin {type(plugin).__name__} has name {name!r}; give it a name that is a "
            "Python identifier (it is used as macros.<name> in templates)"
        )
    return LoadedPlugin(
        name=name,
        source=source,
        operators=_classes(name, "operators", plugin.operators, BaseOperator),
        sensors=_classes(name, "sensors", plugin.sensors, BaseSensorOperator),
        hooks=_classes(name, "hooks", plugin.hooks, BaseHook),
        connection_types=_connection_types(name, plugin.connection_types),
        macros=_macros(name, plugin.macros),
        menu_links=tuple(_menu_link(name, link) for link in plugin.menu_links),
    )


def _classes(plugin: str, what: str, values: Sequence[Any], base: type) -> tuple[type, ...]:
    for value in values:
        if not (inspect.isclass(value) and issubclass(value, base)):
            raise PluginError(
                f"plugin '{plugin}': {what} lists {value!r}, which is not a subclass of "
                f"{base.__name__}; list the classes themselves"
            )
    return tuple(values)


def _connection_types(plugin: str, types: Mapping[str, Any]) -> dict[str, type[BaseHook]]:
    hooks: dict[str, type[BaseHook]] = {}
    for conn_type, hook in types.items():
        if not (inspect.isclass(hook) and issubclass(hook, BaseHook)):
            raise PluginError(
                f"plugin '{plugin}': connection type {conn_type!r} maps to {hook!r}; map each "
                "conn_type to its hook class (a BaseHook subclass)"
            )
        hooks[conn_type] = hook
    return hooks


def _macros(plugin: str, macros: Any) -> dict[str, Callable[..., Any]]:
    items = (
        macros.items()
        if isinstance(macros, Mapping)
        else [(getattr(fn, "__name__", repr(fn)), fn) for fn in macros]
    )
    for macro_name, fn in items:
        if not callable(fn):
            raise PluginError(f"plugin '{plugin}': macro {macro_name!r} is {fn!r}, not a function")
    return dict(items)


def _menu_link(plugin: str, link: Any) -> MenuLink:
    if isinstance(link, MenuLink):
        return link
    if isinstance(link, Mapping) and {"name", "href"} <= set(link):
        return MenuLink(str(link["name"]), str(link["href"]), str(link.get("category", "Plugins")))
    raise PluginError(
        f"plugin '{plugin}': menu link {link!r} needs a name and an href; use "
        "MenuLink(name=..., href=...) or {'name': ..., 'href': ...}"
    )


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
