"""Names a package exports but imports on first use (PEP 562's module ``__getattr__``).

``scheduler``, ``scheduler.api`` and ``scheduler.engine`` export names whose modules are
heavy (the Store, the scheduler loop, the runner): a DAG file or a CLI call needs one or two
of them, and importing all of them up front was most of its start-up. Each package lists
its names with the module that defines them and keeps ``if TYPE_CHECKING:`` imports of the
same names, so that mypy and import-linter still see every edge::

    __getattr__, __dir__ = lazy_exports(globals(), {"RunDriver": "scheduler.engine.driver"})
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    namespace: dict[str, Any],
    homes: Mapping[str, str],
    missing: Callable[[str], Exception] | None = None,
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of the package whose ``globals()`` is
    ``namespace``: a name of ``homes`` (name -> the module defining it) is imported on first
    access and kept in ``namespace``, so later lookups skip ``__getattr__``. Any other name
    raises ``missing(name)`` (default: the usual AttributeError)."""
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            if missing is not None:
                raise missing(name)
            raise AttributeError(f"module {package!r} has no attribute {name!r}", name=name)
        value = getattr(importlib.import_module(home), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(namespace.get("__all__", ())))

    return __getattr__, __dir__
