"""The plugin system: plugins declare operators, sensors, hooks, connection types, template
macros and menu links; ``load_plugins(settings)`` returns what loaded and what failed.

    from scheduler import BatonPlugin
    plugin = BatonPlugin(name="greeter", operators=[GreetOperator], hooks=[GreeterHook],
                         connection_types={"greeter": GreeterHook}, macros=[shout])

Provider plugins live in the top-level ``plugins`` package (``plugins/<system>/``) or in any
installed distribution with an entry point in the group ``baton.plugins``.
"""

from scheduler.plugins.connection_check import ConnectionCheck, check_connection
from scheduler.plugins.loader import (
    ENTRY_POINT_GROUP,
    PluginFailure,
    PluginReport,
    load_plugins,
    plugins_folder,
)
from scheduler.plugins.macros import TemplateMacros, forget_plugins, process_plugins
from scheduler.plugins.plugin import BatonPlugin, LoadedPlugin, MenuLink

__all__ = [
    # declaring a plugin
    "BatonPlugin",
    "MenuLink",
    # loading them
    "load_plugins",
    "plugins_folder",
    "PluginReport",
    "LoadedPlugin",
    "PluginFailure",
    "ENTRY_POINT_GROUP",
    # per process (workers, the CLI)
    "process_plugins",
    "forget_plugins",
    "TemplateMacros",
    # baton connections test
    "check_connection",
    "ConnectionCheck",
]
