"""Helpers shared by the authoring tests."""

from __future__ import annotations

import sys
from typing import Any


def line_here(offset: int = 0) -> int:
    """The caller's current line number plus ``offset``."""
    return sys._getframe(1).f_lineno + offset


class XComStore:
    """The little of ``context["ti"]`` the authoring API uses: ``xcom_push``/``xcom_pull``.

    The real one belongs to the runner; here XComs live in a dict keyed by (task_id, key).
    """

    def __init__(self, values: dict[tuple[str, str], Any] | None = None) -> None:
        self.values = dict(values or {})

    def xcom_push(self, key: str, value: Any) -> None:
        self.values[("self", key)] = value

    def xcom_pull(self, task_ids: str, key: str = "return_value", default: Any = None) -> Any:
        return self.values.get((task_ids, key), default)
