"""The example plugin: a hook over a connection type, an operator and a macro.

DAG files import what they use directly::

    from plugins.example_greeter import GreetOperator

and the declaration below tells Baton what the plugin brings (``baton plugins list``): the
``greeter`` connection type (so ``baton connections test`` can test such connections), the
``macros.example_greeter.*`` template macros and a link for the web UI's menu.
See docs/plugins.md for the walk-through.
"""

from plugins.example_greeter.hook import Greeter, GreeterHook
from plugins.example_greeter.macros import shout
from plugins.example_greeter.operators import GreetOperator
from scheduler import BatonPlugin, MenuLink

plugin = BatonPlugin(
    name="example_greeter",
    operators=[GreetOperator],
    hooks=[GreeterHook],
    connection_types={"greeter": GreeterHook},
    macros=[shout],
    menu_links=[MenuLink(name="Writing plugins", href="/docs/plugins.md")],
)

__all__ = ["GreetOperator", "Greeter", "GreeterHook", "plugin", "shout"]
