"""Dynamic task mapping: ``Op.partial(...).expand(...)``, ``.expand_kwargs(...)`` and the
same on ``@task`` functions (Airflow's names and meanings).

    add = PythonOperator.partial(task_id="add", python_callable=plus).expand(
        op_args=[[1], [2], [3]]
    )
    double.expand(x=numbers())             # one instance per item numbers() returns
    total(double.expand(x=[1, 2, 3]))      # total gets the three results, in map_index order

A ``MappedOperator`` is one task of the DAG; the scheduler expands it into one instance per
item once its inputs are known (``scheduler/planner/mapping.py``), and each instance runs a
real operator built by ``unmap`` with that instance's values. Several arguments to
``expand`` make a cross product; ``expand_kwargs`` takes one dict of arguments per instance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scheduler.authoring.baseoperator import BaseOperator
from scheduler.authoring.checks import check_call
from scheduler.authoring.default_args import init_parameter_names
from scheduler.authoring.location import caller_location
from scheduler.authoring.missing import public_class_name
from scheduler.authoring.params import NOTSET
from scheduler.authoring.xcom_arg import (
    ConcatXComArg,
    MapXComArg,
    XComArg,
    ZipXComArg,
    as_items,
    iter_xcom_args,
    resolve_xcom_args,
)
from scheduler.errors import DagDefinitionError, XComError

#: BaseOperator arguments that cannot vary between the instances of a mapped task.
_NOT_MAPPABLE = frozenset({"task_id", "dag", "task_group", "default_args", "compensate"})


@dataclass(frozen=True)
class ExpandInput:
    """What a mapped task expands over: ``expand``'s keyword arguments (a cross product of
    their items) or ``expand_kwargs``'s one source of argument dicts."""

    kind: str  # "expand" | "expand_kwargs"
    value: Any  # dict of name -> list/dict/XComArg, or a list/XComArg

    def sources(self) -> list[Any]:
        return list(self.value.values()) if self.kind == "expand" else [self.value]

    def to_spec(self, group: str | None = None) -> dict[str, Any]:
        """The JSON the planner reads (see ``scheduler/planner/mapping.py``)."""
        if self.kind == "expand":
            args = {name: _source_spec(value) for name, value in self.value.items()}
            return {"kind": "expand", "args": args, "group": group}
        return {"kind": "expand_kwargs", "source": _source_spec(self.value), "group": group}

    def values_at(self, map_index: int, context: Mapping[str, Any]) -> dict[str, Any]:
        """The keyword arguments of instance ``map_index``."""
        if self.kind == "expand_kwargs":
            items = _items(self.value, context)
            kwargs = resolve_xcom_args(items[map_index], context)
            if not isinstance(kwargs, dict) or not all(isinstance(k, str) for k in kwargs):
                raise XComError(
                    f"expand_kwargs() needs one dict of arguments per instance; item "
                    f"{map_index} is {type(kwargs).__name__} {str(kwargs)[:80]!r}"
                )
            return kwargs
        columns = {name: _items(value, context) for name, value in self.value.items()}
        positions = _product_positions([len(c) for c in columns.values()], map_index)
        return {
            name: resolve_xcom_args(items[position], context)
            for (name, items), position in zip(columns.items(), positions, strict=True)
        }


def _items(value: Any, context: Mapping[str, Any]) -> Sequence[Any]:
    if isinstance(value, XComArg):
        return value.items(context)
    return as_items(value, "the DAG file")


def _product_positions(sizes: list[int], map_index: int) -> list[int]:
    # The last argument varies fastest, as in Airflow (and itertools.product).
    positions = []
    for size in reversed(sizes):
        positions.append(map_index % size)
        map_index //= size
    return positions[::-1]


def _source_spec(value: Any) -> dict[str, Any]:
    if isinstance(value, MapXComArg):
        return _source_spec(value.sources[0])
    if isinstance(value, ZipXComArg):
        parts = [_source_spec(s) for s in value.sources]
        return {"zip": parts, "fill": value.fillvalue is not NOTSET}
    if isinstance(value, ConcatXComArg):
        return {"concat": [_source_spec(s) for s in value.sources]}
    if isinstance(value, XComArg):
        if value.key != "return_value":
            raise DagDefinitionError(
                f"mapping over XCom key '{value.key}' of task '{value.operator.task_id}' is "
                "not supported yet; map over the task's return value",
                location=caller_location(),
            )
        return {"xcom": value.operator.task_id}
    if isinstance(value, list | tuple | dict):
        return {"literal": len(value)}
    raise DagDefinitionError(
        f"expand() maps over lists, dicts and task results, not {type(value).__name__} "
        f"{value!r}; pass constant arguments to partial() instead",
        location=caller_location(),
    )


class OperatorPartial:
    """``Op.partial(**kwargs)``: the arguments every instance shares; ``expand`` or
    ``expand_kwargs`` makes the mapped task."""

    def __init__(self, operator_class: type[BaseOperator], kwargs: dict[str, Any]) -> None:
        self.operator_class = operator_class
        self.kwargs = kwargs
        self.location = caller_location()
        name = public_class_name(operator_class)
        if "task_id" not in kwargs:
            raise DagDefinitionError(f"{name}.partial() needs task_id=...", location=self.location)
        _check_names(operator_class, kwargs, f"{name}.partial()", self.location)
        self._expanded = False

    def expand(self, **mapped: Any) -> XComArg:
        """One instance per item of each argument (several arguments: their cross product)."""
        where = f"task '{self.kwargs['task_id']}': expand()"
        if not mapped:
            raise DagDefinitionError(
                f"{where} needs at least one argument to map over", location=caller_location()
            )
        _check_names(self.operator_class, mapped, where, caller_location())
        for name in mapped:
            if name in _NOT_MAPPABLE:
                raise DagDefinitionError(
                    f"{where}: '{name}' cannot be mapped; pass it to partial()",
                    location=caller_location(),
                )
            if name in self.kwargs:
                raise DagDefinitionError(
                    f"{where}: '{name}' is given to both partial() and expand(); keep one",
                    location=caller_location(),
                )
        return self._mapped(ExpandInput("expand", mapped))

    def expand_kwargs(self, kwargs: Any) -> XComArg:
        """One instance per dict of arguments in ``kwargs`` (a list or a task's result)."""
        if not isinstance(kwargs, list | tuple | XComArg):
            raise DagDefinitionError(
                f"task '{self.kwargs['task_id']}': expand_kwargs() takes a list of dicts or a "
                f"task result, not {type(kwargs).__name__}",
                location=caller_location(),
            )
        return self._mapped(ExpandInput("expand_kwargs", kwargs))

    def _mapped(self, expand_input: ExpandInput) -> XComArg:
        if self._expanded:
            raise DagDefinitionError(
                f"task '{self.kwargs['task_id']}': this partial() was expanded already; "
                "call partial() again for another mapped task",
                location=caller_location(),
            )
        self._expanded = True
        operator = MappedOperator.of(self.operator_class, self.kwargs, expand_input)
        return XComArg(operator)


class TaskFlowPartial:
    """``@task`` function ``.partial(**kwargs)``: the function arguments every instance
    shares; ``expand`` maps over the others."""

    def __init__(
        self,
        operator_class: type[BaseOperator],
        function: Any,
        operator_kwargs: dict[str, Any],
        shared: dict[str, Any],
    ) -> None:
        self.operator_class, self.function = operator_class, function
        self.operator_kwargs, self.shared = operator_kwargs, shared
        self._check(shared, "partial()")

    def expand(self, **mapped: Any) -> XComArg:
        if not mapped:
            raise DagDefinitionError(
                f"task '{self.operator_kwargs['task_id']}': expand() needs at least one "
                "argument to map over",
                location=caller_location(),
            )
        self._check(mapped, "expand()")
        both = sorted(set(mapped) & set(self.shared))
        if both:
            raise DagDefinitionError(
                f"task '{self.operator_kwargs['task_id']}': {', '.join(both)} given to both "
                "partial() and expand(); keep one",
                location=caller_location(),
            )
        return self._mapped(ExpandInput("expand", mapped))

    def expand_kwargs(self, kwargs: Any) -> XComArg:
        if not isinstance(kwargs, list | tuple | XComArg):
            raise DagDefinitionError(
                f"task '{self.operator_kwargs['task_id']}': expand_kwargs() takes a list of "
                f"dicts or a task result, not {type(kwargs).__name__}",
                location=caller_location(),
            )
        return self._mapped(ExpandInput("expand_kwargs", kwargs))

    def _mapped(self, expand_input: ExpandInput) -> XComArg:
        kwargs = {**self.operator_kwargs, "op_kwargs": self.shared}
        return XComArg(MappedOperator.of(self.operator_class, kwargs, expand_input))

    def _check(self, arguments: dict[str, Any], method: str) -> None:
        where = f"task '{self.operator_kwargs['task_id']}': {method}"
        check_call(self.function, where, kwargs=arguments)


class MappedArgument(XComArg):
    """An argument of a mapped task group's function: inside the group it stands for the
    value of the instance that runs (``@task_group def g(x): ...; g.expand(x=[1, 2])``)."""

    def __init__(self, name: str) -> None:  # no task of its own: not XComArg's operator
        self.name = name
        self.key = name
        self.group: Any = None

    def bind(self, group: Any) -> None:
        self.group = group

    @property
    def operator(self) -> BaseOperator:
        raise TypeError(
            f"argument '{self.name}' of mapped task group '{self.group.group_id}' is not a "
            "task result; pass it to tasks as an argument"
        )

    def dependency_operators(self) -> list[BaseOperator]:
        sources = self.group.expand_input.sources() if self.group is not None else []
        return [op for s in sources if isinstance(s, XComArg) for op in s.dependency_operators()]

    def resolve(self, context: Mapping[str, Any]) -> Any:
        map_index = context["ti"].map_index
        return self.group.expand_input.values_at(map_index, context)[self.name]

    def items(self, context: Mapping[str, Any]) -> Sequence[Any]:
        raise TypeError(
            f"argument '{self.name}' of mapped task group '{self.group.group_id}' is one "
            "value per instance; it cannot be mapped over again"
        )

    def __str__(self) -> str:
        raise TypeError(
            f"argument '{self.name}' of a mapped task group cannot be used in a template "
            "string; pass it to a task as an argument"
        )

    def __repr__(self) -> str:
        return f"MappedArgument({self.name!r})"


def _check_names(cls: type, kwargs: Mapping[str, Any], where: str, location: str | None) -> None:
    accepted = init_parameter_names(cls) | {"dag", "task_group", "default_args"}
    unknown = sorted(set(kwargs) - accepted)
    if unknown:
        raise DagDefinitionError(
            f"{where}: {public_class_name(cls)} has no argument(s) {', '.join(unknown)}",
            location=location,
        )


_BASE_ARGUMENTS = init_parameter_names(BaseOperator) | {"dag", "task_group", "default_args"}


class MappedOperator(BaseOperator):
    """A task of the DAG that runs as one instance per item of its ``expand_input``.

    It carries the BaseOperator settings every instance shares (retries, pool, trigger
    rule...), so the DAG sees it as any task; ``unmap`` builds instance ``i``'s operator.
    """

    def __init__(
        self,
        *,
        operator_class: type[BaseOperator],
        operator_kwargs: dict[str, Any],
        expand_input: ExpandInput,
        **base_kwargs: Any,
    ) -> None:
        super().__init__(**base_kwargs)
        self.operator_class = operator_class
        self.operator_kwargs = operator_kwargs
        self.expand_input = expand_input
        self.custom_operator_name = public_class_name(operator_class)
        # What the instances get: the shared settings as they came, default_args applied.
        self._shared = {k: v for k, v in base_kwargs.items() if k not in ("dag", "task_group")}
        for value in (operator_kwargs, *expand_input.sources()):
            for arg in iter_xcom_args(value):
                self.set_upstream(arg)

    @classmethod
    def of(
        cls, operator_class: type[BaseOperator], kwargs: dict[str, Any], expand: ExpandInput
    ) -> MappedOperator:
        base = {k: v for k, v in kwargs.items() if k in _BASE_ARGUMENTS}
        own = {k: v for k, v in kwargs.items() if k not in _BASE_ARGUMENTS}
        if base.get("compensate") is not None:
            raise DagDefinitionError(
                f"task '{kwargs['task_id']}': a mapped task cannot have compensate= yet; "
                "compensate inside the task, or map a task group around it",
                location=caller_location(),
            )
        return cls(operator_class=operator_class, operator_kwargs=own, expand_input=expand, **base)

    @property
    def is_mapped(self) -> bool:
        return True

    @property
    def mapped_group_id(self) -> str | None:
        return None  # mapping a task inside a mapped task group is not supported

    @property
    def multiple_outputs(self) -> bool:
        return bool(self.operator_kwargs.get("multiple_outputs", False))

    def mapping_spec(self) -> dict[str, Any]:
        return self.expand_input.to_spec()

    def unmap(self, context: Mapping[str, Any], map_index: int) -> BaseOperator:
        """The operator instance ``map_index`` runs: shared arguments plus its own values."""
        values = self.expand_input.values_at(map_index, context)
        kwargs = {**self._shared, **resolve_xcom_args(self.operator_kwargs, context)}
        target = getattr(self.operator_class, "mapped_arguments_into", None)
        if target:  # @task: the mapped values are the function's arguments
            kwargs[target] = {**(kwargs.get(target) or {}), **values}
        else:
            kwargs.update(values)
        operator = self.operator_class(**kwargs)
        operator.__dict__["_dag"] = self._dag  # belongs to the DAG without joining it again
        operator.__dict__["map_index"] = map_index
        return operator

    def execute(self, context: dict[str, Any]) -> Any:
        raise TypeError(
            f"mapped task '{self.task_id}' runs through its instances; unmap() it first"
        )

    def __repr__(self) -> str:
        return f"<Mapped({self.custom_operator_name}): {self.task_id}>"
