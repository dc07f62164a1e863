"""``XComArg``: a task's future result, passed to other tasks as if it were the value.

``total = add(x, y)`` inside a DAG returns an ``XComArg``; passing it (even nested in a list
or dict) to another task or to an operator's templated field makes that task run after
``add`` and, at run time, receive the value ``add`` returned. The runner calls
``resolve_xcom_args`` on the template fields before rendering them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from scheduler.authoring.dependencies import DependencyMixin
from scheduler.authoring.missing import missing_attribute
from scheduler.authoring.params import NOTSET, DagParam
from scheduler.authoring.setup_teardown import SetupTeardownMixin
from scheduler.errors import XComError

if TYPE_CHECKING:
    from scheduler.authoring.baseoperator import BaseOperator

XCOM_RETURN_KEY = "return_value"
_MISSING = object()


class XComArg(SetupTeardownMixin, DependencyMixin):
    """The XCom ``key`` of ``operator`` (by default what its ``execute`` returned).

    ``arg["k"]`` refers to XCom key ``"k"``: with ``multiple_outputs=True`` a task pushes
    each key of the dict it returns as its own XCom.
    """

    if not TYPE_CHECKING:  # an Airflow attribute Baton lacks: say so
        __getattr__ = missing_attribute

    def __init__(self, operator: BaseOperator, key: str = XCOM_RETURN_KEY) -> None:
        self._operator = operator
        self.key = key

    @property
    def operator(self) -> BaseOperator:
        """The task whose XCom this is."""
        return self._operator

    def __getitem__(self, key: str) -> XComArg:
        if not isinstance(key, str):
            raise TypeError(f"XCom keys are strings; got {key!r} for task {self.operator.task_id}")
        return XComArg(self.operator, key)

    def __iter__(self) -> Iterator[Any]:
        # Without this, __getitem__ would make ``for x in arg`` loop forever at parse time.
        raise TypeError(
            f"the result of task '{self.operator.task_id}' is not known while the DAG is "
            "defined, so it cannot be iterated; iterate inside a task instead"
        )

    def dependency_operators(self) -> list[BaseOperator]:
        return [self.operator]

    def resolve(self, context: Mapping[str, Any]) -> Any:
        """The value pushed under ``key`` by ``operator`` in this run."""
        value = context["ti"].xcom_pull(
            task_ids=self.operator.task_id, key=self.key, default=_MISSING
        )
        if value is not _MISSING:
            return value
        # Airflow: a task that returned None pushed nothing; its downstream gets None.
        if self.key == XCOM_RETURN_KEY or getattr(self.operator, "multiple_outputs", False):
            return None
        raise XComError(
            f"task '{self.operator.task_id}' pushed no XCom with key '{self.key}'; check the "
            "key's spelling, or push it with context['ti'].xcom_push(key=..., value=...)"
        )

    # -- transforming a (mapped) result: Airflow's .map(), .zip(), .concat() ------------

    def map(self, function: Callable[[Any], Any]) -> XComArg:
        """The items of this result passed through ``function``, lazily, one per item (to
        map a task over, or to hand on as a list)."""
        return MapXComArg(self, function)

    def zip(self, *others: XComArg, fillvalue: Any = NOTSET) -> XComArg:
        """Tuples of the items of this result and ``others``, position by position; as long
        as the shortest, or the longest when ``fillvalue`` is given."""
        return ZipXComArg((self, *others), fillvalue)

    def concat(self, *others: XComArg) -> XComArg:
        """The items of this result followed by those of ``others``."""
        return ConcatXComArg((self, *others))

    def items(self, context: Mapping[str, Any]) -> Sequence[Any]:
        """The value as a sequence of items, as mapping sees it (a dict gives its pairs)."""
        return as_items(self.resolve(context), self.operator.task_id)

    def __str__(self) -> str:
        """A Jinja template pulling the value, so ``f"echo {arg}"`` works in templated fields."""
        return (
            f"{{{{ task_instance.xcom_pull(task_ids='{self.operator.task_id}', "
            f"key='{self.key}') }}}}"
        )

    def __repr__(self) -> str:
        return f"XComArg({self.operator.task_id!r}, key={self.key!r})"


class _DerivedXComArg(XComArg):
    """A result computed from other results at run time; it stands for their tasks."""

    def __init__(self, sources: tuple[XComArg, ...]) -> None:
        super().__init__(sources[0].operator)
        self.sources = sources

    def dependency_operators(self) -> list[BaseOperator]:
        return [op for source in self.sources for op in source.dependency_operators()]

    def resolve(self, context: Mapping[str, Any]) -> Any:
        return list(self.items(context))

    def __getitem__(self, key: str) -> XComArg:
        raise TypeError(f"{self!r} is computed from other results; it has no XCom keys")

    def __str__(self) -> str:
        raise TypeError(f"{self!r} cannot be used in a template string; pass it as an argument")


class MapXComArg(_DerivedXComArg):
    def __init__(self, source: XComArg, function: Callable[[Any], Any]) -> None:
        if not callable(function):
            raise TypeError(f".map() takes a function, not {function!r}")
        super().__init__((source,))
        self.function = function

    def items(self, context: Mapping[str, Any]) -> Sequence[Any]:
        return _MappedItems(self.sources[0].items(context), self.function)

    def __repr__(self) -> str:
        return f"{self.sources[0]!r}.map({getattr(self.function, '__name__', self.function)})"


class ZipXComArg(_DerivedXComArg):
    def __init__(self, sources: tuple[XComArg, ...], fillvalue: Any) -> None:
        for source in sources:
            if not isinstance(source, XComArg):
                raise TypeError(f".zip() takes task results, not {source!r}")
        super().__init__(sources)
        self.fillvalue = fillvalue

    def items(self, context: Mapping[str, Any]) -> Sequence[Any]:
        columns = [source.items(context) for source in self.sources]
        if self.fillvalue is NOTSET:
            return list(zip(*columns, strict=False))
        return list(itertools.zip_longest(*columns, fillvalue=self.fillvalue))

    def __repr__(self) -> str:
        return f"zip({', '.join(map(repr, self.sources))})"


class ConcatXComArg(_DerivedXComArg):
    def __init__(self, sources: tuple[XComArg, ...]) -> None:
        for source in sources:
            if not isinstance(source, XComArg):
                raise TypeError(f".concat() takes task results, not {source!r}")
        super().__init__(sources)

    def items(self, context: Mapping[str, Any]) -> Sequence[Any]:
        return [item for source in self.sources for item in source.items(context)]

    def __repr__(self) -> str:
        return f"concat({', '.join(map(repr, self.sources))})"


class _MappedItems(Sequence[Any]):
    """``function`` applied to each item when it is read (Airflow's lazy ``.map()``)."""

    def __init__(self, items: Sequence[Any], function: Callable[[Any], Any]) -> None:
        self._items, self._function = items, function

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self._function(item) for item in self._items[index]]
        return self._function(self._items[index])


def as_items(value: Any, task_id: str) -> Sequence[Any]:
    """What mapping over ``value`` iterates: a list's items, a dict's ``(key, value)``
    pairs (Airflow's rule); anything else cannot be mapped over."""
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return value
    raise XComError(
        f"task '{task_id}' returned {type(value).__name__} {str(value)[:80]!r}; only a list "
        "or a dict can be mapped over"
    )


def iter_xcom_args(value: Any) -> Iterator[XComArg]:
    """Every XComArg in ``value``, looking into lists, tuples, sets and dict values."""
    if isinstance(value, XComArg):
        yield value
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from iter_xcom_args(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from iter_xcom_args(item)


def resolve_xcom_args(value: Any, context: Mapping[str, Any]) -> Any:
    """``value`` with every ``XComArg`` (and ``@dag`` argument) replaced by its run value.

    Containers are rebuilt with the same type only when they hold something to resolve;
    anything else is returned unchanged.
    """
    if isinstance(value, XComArg | DagParam):
        return value.resolve(context)
    if not _has_resolvable(value):
        return value
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a NamedTuple
        return type(value)(*(resolve_xcom_args(item, context) for item in value))
    if isinstance(value, list | tuple | set | frozenset):
        return type(value)(resolve_xcom_args(item, context) for item in value)
    return {key: resolve_xcom_args(item, context) for key, item in value.items()}


def _has_resolvable(value: Any) -> bool:
    if isinstance(value, XComArg | DagParam):
        return True
    if isinstance(value, list | tuple | set | frozenset):
        return any(_has_resolvable(item) for item in value)
    if isinstance(value, dict):
        return any(_has_resolvable(item) for item in value.values())
    return False
