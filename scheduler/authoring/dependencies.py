"""Task dependencies: ``>>``, ``<<``, ``chain`` and ``cross_downstream`` (Airflow's semantics).

Anything that stands for operators (an operator, an ``XComArg``) mixes in ``DependencyMixin``;
lists may appear on either side: ``a >> [b, c] >> d``. The edges themselves are recorded by
``BaseOperator.relate``; errors point at the line with the ``>>``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from scheduler.authoring.location import caller_location
from scheduler.errors import DagDefinitionError

if TYPE_CHECKING:
    from scheduler.authoring.baseoperator import BaseOperator


class DependencyMixin:
    """``>>`` and ``<<`` for anything that stands for one or more operators."""

    def dependency_operators(self) -> list[BaseOperator]:
        """The operators this object stands for."""
        raise NotImplementedError

    @property
    def roots(self) -> list[BaseOperator]:
        """The operators that get the edges when something is set upstream of this."""
        return self.dependency_operators()

    @property
    def leaves(self) -> list[BaseOperator]:
        """The operators that get the edges when something is set downstream of this."""
        return self.dependency_operators()

    def update_relative(self, other: Any, upstream: bool, edge_modifier: Any = None) -> None:
        """Told that ``other`` was set upstream (or downstream) of this; a no-op except for
        task groups (which remember their neighbours) and edge labels (which wait for both
        sides)."""

    def set_upstream(self, other: Any, edge_modifier: Any = None) -> None:
        """Make ``other`` (operators, XComArgs, task groups or lists of them) run before this;
        ``edge_modifier`` (a ``Label``) labels the new edges."""
        for operator in self.roots:
            operator.relate(other, upstream=True, edge_modifier=edge_modifier)

    def set_downstream(self, other: Any, edge_modifier: Any = None) -> None:
        """Make ``other`` run after this."""
        for operator in self.leaves:
            operator.relate(other, upstream=False, edge_modifier=edge_modifier)

    def __rshift__(self, other: Any) -> Any:
        self.set_downstream(other)
        return other

    def __lshift__(self, other: Any) -> Any:
        self.set_upstream(other)
        return other

    def __rrshift__(self, other: Any) -> Any:  # [a, b] >> self
        self.set_upstream(other)
        return self

    def __rlshift__(self, other: Any) -> Any:  # [a, b] << self
        self.set_downstream(other)
        return self


def operators_of(value: Any, location: str | None) -> list[BaseOperator]:
    """The operators in ``value``: an operator, an XComArg, or a (nested) list of them."""
    return [op for node in nodes_of(value, location) for op in node.dependency_operators()]


def nodes_of(value: Any, location: str | None) -> list[DependencyMixin]:
    """The nodes in ``value``: operators, XComArgs, task groups, labels, or (nested) lists."""
    if isinstance(value, DependencyMixin):
        return [value]
    if isinstance(value, list | tuple | set | frozenset):
        return [node for item in value for node in nodes_of(item, location)]
    raise DagDefinitionError(
        f"dependencies can only be set between operators, XComArgs, task groups and lists of "
        f"them, not {type(value).__name__} {value!r}; did you mean the task object rather "
        "than its id?",
        location=location,
    )


def chain(*tasks: Any) -> None:
    """Link ``tasks`` one after the other (Airflow's ``chain``).

    ``chain(a, [b, c], d)`` is ``a >> [b, c] >> d``; two lists next to each other are linked
    pairwise and must have the same length: ``chain([a, b], [c, d])`` is ``a >> c, b >> d``.
    """
    for up, down in itertools.pairwise(tasks):
        up_is_list = isinstance(up, Sequence) and not isinstance(up, str)
        down_is_list = isinstance(down, Sequence) and not isinstance(down, str)
        if up_is_list and down_is_list:
            if len(up) != len(down):
                raise DagDefinitionError(
                    f"chain() got a list of {len(up)} tasks next to a list of {len(down)}; "
                    "neighbouring lists are linked pairwise and need the same length (use "
                    "cross_downstream to link every task of one list to every task of the other)",
                    location=caller_location(),
                )
            for first, second in zip(up, down, strict=True):
                _as_mixin(first).set_downstream(second)
        elif up_is_list:
            _as_mixin(down).set_upstream(up)
        else:
            _as_mixin(up).set_downstream(down)


def cross_downstream(from_tasks: Sequence[Any], to_tasks: Any) -> None:
    """Make every task of ``to_tasks`` run after every task of ``from_tasks``."""
    for task in from_tasks:
        _as_mixin(task).set_downstream(to_tasks)


def _as_mixin(value: Any) -> DependencyMixin:
    if isinstance(value, DependencyMixin):
        return value
    raise DagDefinitionError(
        f"chain() and cross_downstream() link operators, XComArgs and flat lists of them, "
        f"not {type(value).__name__} {value!r}",
        location=caller_location(),
    )


def chain_linear(*elements: Any) -> None:
    """Link each element to the next, every task of one to every task of the next (Airflow's
    ``chain_linear``): ``chain_linear(a, [b, c], [d, e, f], g)`` makes b and c run after a,
    each of d, e, f after both b and c, and g after d, e and f. Unlike ``chain``, lists next
    to each other need not have the same length.
    """
    location = caller_location()
    if not elements:
        raise DagDefinitionError(
            "chain_linear() got no tasks; pass at least two, e.g. chain_linear(a, [b, c], d)",
            location=location,
        )
    if any(_is_label(e) for e in elements):
        raise DagDefinitionError(
            "chain_linear() does not take labels (as in Airflow); write a >> Label('...') >> b",
            location=location,
        )
    if len(elements) < 2:
        raise DagDefinitionError(
            "chain_linear() set no dependencies: it got a single element; did you forget to "
            "unpack a list with *? e.g. chain_linear(*tasks)",
            location=location,
        )
    for up, down in itertools.pairwise(elements):
        for task in up if isinstance(up, Sequence) and not isinstance(up, str) else [up]:
            _as_mixin(task).set_downstream(down)


def _is_label(value: Any) -> bool:
    # By name: the edge-label module imports this one.
    return any(cls.__name__ == "EdgeModifier" for cls in type(value).__mro__)
