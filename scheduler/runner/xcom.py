"""XCom inside a try: pushes are kept in memory, pulls go through an ``XComReader``.

A worker never writes XComs to the database: the pushes travel back in ``TaskFinished.xcoms``
as JSON text and the Engine stores them with the try's state in one transaction. Reading
other tasks' XComs goes through a reader chosen by whoever runs the try (an in-memory one
for tests and ``baton dags test``, a database-backed one in the scheduler).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
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

    def read_mapped(
        self,
        dag_id: str,
        run_id: str,
        task_id: str,
        key: str,
        start: int = 0,
        stop: int | None = None,
    ) -> list[Any]:
        """The values of a mapped task's instances, in ``map_index`` order: all, or the
        ``start:stop`` slice of that order."""
        ...

    def count_mapped(self, dag_id: str, run_id: str, task_id: str, key: str) -> int:
        """How many instances of a mapped task pushed ``key``."""
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

    def read_mapped(
        self,
        dag_id: str,
        run_id: str,
        task_id: str,
        key: str,
        start: int = 0,
        stop: int | None = None,
    ) -> list[Any]:
        found = sorted(
            (ident[4], value)
            for ident, value in self._values.items()
            if ident[:4] == (dag_id, run_id, task_id, key) and ident[4] >= 0
        )
        return [value for _, value in found][start:stop]

    def count_mapped(self, dag_id: str, run_id: str, task_id: str, key: str) -> int:
        return len(self.read_mapped(dag_id, run_id, task_id, key))

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


class LazyXComSequence(Sequence[Any]):
    """The results of a mapped task's instances, in map_index order, read from the store
    only when used (Airflow's ``LazyXComSequence``): ``len()`` counts them, an index reads
    one, iterating reads them a page at a time, so a reduce over 10,000 results never holds
    a copy it does not need."""

    PAGE = 1000

    def __init__(self, reader: XComReader, dag_id: str, run_id: str, task_id: str, key: str):
        self._reader, self._ident = reader, (dag_id, run_id, task_id, key)
        self._length: int | None = None

    def __len__(self) -> int:
        if self._length is None:
            self._length = self._reader.count_mapped(*self._ident)
        return self._length

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        position = index + len(self) if index < 0 else index
        found = self._reader.read_mapped(*self._ident, start=position, stop=position + 1)
        if position < 0 or not found:
            raise IndexError(f"{self!r} has {len(self)} values; there is no index {index}")
        return unseal(found[0])

    def __iter__(self) -> Iterator[Any]:
        start = 0
        while True:
            page = self._reader.read_mapped(*self._ident, start=start, stop=start + self.PAGE)
            yield from unseal_each(page)
            if len(page) < self.PAGE:
                return
            start += self.PAGE

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"LazyXComSequence({self._ident[2]!r}, key={self._ident[3]!r})"


def _as_json(value: Any) -> Any:
    if isinstance(value, LazyXComSequence):  # a reduce that returns its input unchanged
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def serialize_xcom(value: Any, task_id: str, key: str) -> str:
    """JSON text of an XCom value; ``XComError`` says which task, key and type failed."""
    try:
        return json.dumps(value, default=_as_json)
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

    def pull_mapped(self, dag_id: str, task_id: str, key: str) -> LazyXComSequence:
        """Every instance's value of mapped ``task_id``, in map_index order, read when used
        (what a task downstream of a mapped task gets, as in Airflow)."""
        return LazyXComSequence(self._reader, dag_id, self.run_id, task_id, key)

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
