"""Template macros of the example plugin: ``{{ macros.example_greeter.shout("hi") }}``."""

from __future__ import annotations


def shout(text: str) -> str:
    """``shout("hello")`` → ``"HELLO!"``."""
    return f"{str(text).upper()}!"
