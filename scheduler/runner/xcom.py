"""XCom inside a try: pushes are kept in memory, pulls go through an ``XComReader``.

A worker never writes XComs to the database: the pushes travel back in ``TaskFinished.xcoms``
as JSON text and the Engine stores them with the try's state in one transaction. Reading
other tasks' XComs goes through a reader chosen by whoever runs the try (an in-memory one
for tests and ``baton dags test``, a database-backed one in the scheduler).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from scheduler.errors import XComError
from scheduler.executor import TaskFinished, TaskRequest
from scheduler.runner.xcom_seal import register_pushed, seal, unseal, unseal_each
from scheduler.store.xcom import SealedXCom

RETURN_VALUE_KEY = "return_value"


class XComReader(Protocol):
    """Where ``xcom_pull`` looks for values pushed by earlier tries."""

    def read(
        self, dag_id: str, run_id: str, task_id: str, key: str, map_index: int = -1
    ) -> tuple[bool, Any]:
        """``(True, value)`` if that XCom exists, else ``(False, None)``."""
        ...

    def read_mapped(self, dag_id: str, run_id: str, task_id: str, key: str) -> list[Any]:
        """The values of every instance of a mapped task, in ``map_index`` order."""
        ...


#: Makes the reader for one try (it may cache connections across calls).
XComReaderFactory = Callable[[TaskRequest], XComReader]


class InMemoryXComReader:
    """A dict of XComs: for tests, ``baton dags test`` and the inline executor."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, str, str, str, int], Any] = {}

    def read(
        self, dag_id: str, run_id: str, task_id: str, key: str, map_index: int = -1
    ) -> tuple[bool, Any]:
        ident = (dag_id, run_id, task_id, key, map_index)
        return (True, self._values[ident]) if ident in self._values else (False, None)

    def read_mapped(self, dag_id: str, run_id: str, task_id: str, key: str) -> list[Any]:
        found = sorted(
            (ident[4], value)
            for ident, value in self._values.items()
            if ident[:4] == (dag_id, run_id, task_id, key) and ident[4] >= 0
        )
        return [value for _, value in found]

    def set(
        self, dag_id: str, run_id: str, task_id: str, key: str, value: Any, map_index: int = -1
    ) -> None:
        self._values[(dag_id, run_id, task_id, key, map_index)] = value

    def record(self, finished: TaskFinished) -> None:
        """Store the XComs a finished try sent back, as the Engine would (it keeps none of
        a compensation's: they would overwrite the values of the task being undone)."""
        if finished.key.compensation:
            return
        dag_id, run_id, task_id = finished.key[:3]
        tokens = dict(finished.sealed_xcoms)
        for key, text in finished.xcoms:
            value = SealedXCom(tokens[key]) if key in tokens else json.loads(text)
            self.set(dag_id, run_id, task_id, key, value, finished.key.map_index)


def serialize_xcom(value: Any, task_id: str, key: str) -> str:
    """JSON text of an XCom value; ``XComError`` says which task, key and type failed."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise XComError(
            f"task '{task_id}' produced XCom '{key}' of type {type(value).__name__}, which is "
            f"not JSON-serialisable ({exc}); return or push JSON-compatible data "
            "(dict, list, str, int, float, bool, None)"
        ) from None


class TryXComs:
    """The XComs of one try: its own pushes (visible to its own pulls) and the reader."""

    def __init__(
        self, dag_id: str, run_id: str, task_id: str, reader: XComReader, map_index: int = -1
    ) -> None:
        self.dag_id, self.run_id, self.task_id = dag_id, run_id, task_id
        self.map_index = map_index
        self._reader = reader
        self._pushed: dict[str, str] = {}
        self._sealed: tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] | None
        self._sealed = None

    def push(self, key: str, value: Any) -> None:
        # Serialise now, so a bad value fails at the push line, not after execute().
        self._pushed[key] = serialize_xcom(value, self.task_id, key)
        register_pushed(key, value)
        self._sealed = None

    def pull_one(
        self, dag_id: str, task_id: str, key: str, default: Any, map_index: int = -1
    ) -> Any:
        own = (dag_id, task_id, map_index) == (self.dag_id, self.task_id, self.map_index)
        if own and key in self._pushed:
            return json.loads(self._pushed[key])
        found, value = self._reader.read(dag_id, self.run_id, task_id, key, map_index)
        return unseal(value) if found else default

    def pull_mapped(self, dag_id: str, task_id: str, key: str) -> list[Any]:
        """Every instance's value of mapped ``task_id``, in map_index order (what a task
        downstream of a mapped task gets, as in Airflow)."""
        return unseal_each(self._reader.read_mapped(dag_id, self.run_id, task_id, key))

    def as_tuples(self) -> tuple[tuple[str, str], ...]:
        """The pushes as ``(key, json_text)``, unmasked (what this try itself sees)."""
        return tuple(self._pushed.items())

    def sealed(self) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
        """What leaves the worker: ``(key, masked_json)`` for every push, and ``(key,
        token)`` with the encrypted original of those that held a secret."""
        if self._sealed is None:
            sealed = {key: seal(key, text) for key, text in self._pushed.items()}
            shown = tuple((key, text) for key, (text, _) in sealed.items())
            tokens = tuple((key, token) for key, (_, token) in sealed.items() if token)
            self._sealed = (shown, tokens)
        return self._sealed
