"""Which DAGs a DAG file declared: an explicit collection, scoped to one import.

``DAG.__init__`` calls ``register``; the loader wraps the import in ``collect_dags()`` and
gets the list back. Outside an import nothing is recorded, so there is no global registry.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_collected: ContextVar[list[Any] | None] = ContextVar("baton_collected_dags", default=None)


@contextmanager
def collect_dags() -> Iterator[list[Any]]:
    """Collect every DAG created inside the ``with`` block."""
    dags: list[Any] = []
    token = _collected.set(dags)
    try:
        yield dags
    finally:
        _collected.reset(token)


def register(dag: Any) -> None:
    dags = _collected.get()
    if dags is not None and all(d is not dag for d in dags):
        dags.append(dag)
