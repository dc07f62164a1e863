"""``TaskGroup``: tasks drawn together in the UI, with prefixed ids and shared default_args.

    with DAG("orders", ...):
        start = EmptyOperator(task_id="start")
        with TaskGroup("payment", default_args={"retries": 2}) as payment:
            charge = EmptyOperator(task_id="charge")      # task_id "payment.charge"
            with TaskGroup("fraud"):                        # group_id "payment.fraud"
                EmptyOperator(task_id="score")              # "payment.fraud.score"
        start >> payment                                    # start >> every root of the group

Airflow's names and meanings: a group's roots are its tasks with no upstream inside the
group, its leaves those with no downstream inside it; ``group >> x`` links the leaves to
``x``, ``x >> group`` links ``x`` to the roots. Every DAG has a root group (``group_id``
None, ``dag.task_group``); tasks created outside any ``with TaskGroup`` belong to it.
A group changes nothing in how its tasks run: it only names and groups them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from scheduler.authoring.context import current_dag
from scheduler.authoring.dependencies import DependencyMixin, nodes_of
from scheduler.authoring.location import caller_location
from scheduler.errors import DagDefinitionError, DuplicateTaskIdError

if TYPE_CHECKING:
    from scheduler.authoring.baseoperator import BaseOperator
    from scheduler.authoring.dag import DAG

MAX_GROUP_ID_LENGTH = 200  # Airflow's limit for a group key
_GROUP_ID = re.compile(r"^[\w-]+$")  # no dots: a dot separates the levels of a prefixed id

_group_stack: ContextVar[tuple[TaskGroup, ...]] = ContextVar("baton_task_groups", default=())


def current_task_group(dag: DAG | None) -> TaskGroup | None:
    """The innermost open ``with TaskGroup`` of ``dag``, else its root group (None without
    a DAG)."""
    for group in reversed(_group_stack.get()):
        if dag is None or group.dag is dag:
            return group
    return dag.task_group if dag is not None else None


class TaskGroup(DependencyMixin):
    """A named group of tasks (and of other groups) inside one DAG."""

    def __init__(
        self,
        group_id: str | None,
        prefix_group_id: bool = True,
        parent_group: TaskGroup | None = None,
        dag: DAG | None = None,
        default_args: Mapping[str, Any] | None = None,
        tooltip: str = "",
        ui_color: str = "CornflowerBlue",
        ui_fgcolor: str = "#000",
        add_suffix_on_collision: bool = False,
        group_display_name: str = "",
        **kwargs: Any,
    ) -> None:
        self._location = caller_location()
        if kwargs:
            raise DagDefinitionError(
                f"TaskGroup {group_id!r}: invalid arguments were passed to TaskGroup: "
                f"{', '.join(sorted(kwargs))}; remove them or check their spelling",
                location=self._location,
            )
        self._group_id = group_id
        self.prefix_group_id = bool(prefix_group_id)
        self.tooltip = _text("tooltip", tooltip, group_id, self._location)
        self.ui_color = _text("ui_color", ui_color, group_id, self._location)
        self.ui_fgcolor = _text("ui_fgcolor", ui_fgcolor, group_id, self._location)
        self.group_display_name = _text(
            "group_display_name", group_display_name, group_id, self._location
        )
        self.children: dict[str, BaseOperator | TaskGroup] = {}
        # Neighbours set on the group itself: an empty group passes its upstream tasks on.
        self.upstream_group_ids: set[str | None] = set()
        self.downstream_group_ids: set[str | None] = set()
        self.upstream_task_ids: set[str] = set()
        self.downstream_task_ids: set[str] = set()
        self.parent_group: TaskGroup | None = None
        # Set on a mapped task group (``@task_group`` + ``.expand``): what it maps over.
        self.expand_input: Any = None
        if not isinstance(default_args, Mapping | None):
            raise self._error(f"default_args={default_args!r} must be a dict")
        self.default_args: dict[str, Any] = copy.deepcopy(dict(default_args or {}))
        if group_id is None:  # the root group of a DAG (TaskGroup.create_root)
            if dag is None:
                raise DagDefinitionError(
                    "a TaskGroup without a group_id is the root group of a DAG and needs it: "
                    "pass dag=..., or give the group a group_id"
                )
            self.dag: DAG = dag
            return
        self._check_group_id(group_id)
        self._join(parent_group, dag, add_suffix_on_collision)

    @classmethod
    def create_root(cls, dag: DAG) -> TaskGroup:
        """The root group of ``dag``: no id, no parent."""
        return cls(None, dag=dag)

    # -- construction ---------------------------------------------------------------------

    def _error(self, message: str, cls: type[DagDefinitionError] = DagDefinitionError) -> Exception:
        return cls(f"TaskGroup '{self._group_id}': {message}", location=self._location)

    def _check_group_id(self, group_id: Any) -> None:
        if not isinstance(group_id, str) or not group_id:
            raise DagDefinitionError(
                f"TaskGroup group_id must be a non-empty string, got {group_id!r}",
                location=self._location,
            )
        if len(group_id) > MAX_GROUP_ID_LENGTH:
            raise self._error(f"group_id is longer than {MAX_GROUP_ID_LENGTH} characters")
        if not _GROUP_ID.match(group_id):
            raise self._error(
                "group_id may contain only letters, digits, '_' and '-' (a '.' is added "
                "between the levels of nested groups); rename it"
            )

    def _join(self, parent: TaskGroup | None, dag: DAG | None, add_suffix: bool) -> None:
        """Attach to the parent group (the open ``with TaskGroup``, else the DAG's root)."""
        dag = dag or (parent.dag if parent is not None else None) or current_dag()
        if dag is None:
            raise self._error(
                "a TaskGroup can only be used inside a DAG; create it inside `with DAG(...):` "
                "(or a @dag function) or pass dag=..."
            )
        parent = parent or current_task_group(dag)
        assert parent is not None  # every DAG has its root group
        if parent.dag is not dag:
            raise self._error(
                f"parent_group '{parent.group_id}' belongs to DAG '{parent.dag.dag_id}', not "
                f"to DAG '{dag.dag_id}'; create the group in its parent's DAG"
            )
        self.dag = dag
        self.parent_group = parent
        self._avoid_collision(add_suffix)
        parent.add(self)
        # A nested group's defaults apply over its parent's (and both over the DAG's).
        self.default_args = {**parent.default_args, **self.default_args}

    def _avoid_collision(self, add_suffix: bool) -> None:
        """A group_id must differ from every task_id and group_id of the DAG; the
        ``@task_group`` decorator (``add_suffix_on_collision``) picks ``name__N`` instead."""
        used = set(self.dag.task_dict) | set(self.dag.task_group_dict)
        if self.group_id not in used:
            return
        if not add_suffix:
            raise self._error(
                f"group_id '{self.group_id}' is already used by a task or a task group of "
                f"DAG '{self.dag.dag_id}'; give each group a unique group_id",
                DuplicateTaskIdError,
            )
        assert self._group_id is not None
        core = re.split(r"__\d+$", self._group_id)[0]
        base = self.parent_group.child_id(core) if self.parent_group else core
        pattern = re.compile(rf"{re.escape(base)}__(\d+)")
        numbers = [int(m.group(1)) for used_id in used if (m := pattern.fullmatch(used_id))]
        self._group_id = f"{core}__{max(numbers, default=0) + 1}"

    # -- identity -------------------------------------------------------------------------

    @property
    def group_id(self) -> str | None:
        """The full id: ``outer.inner`` when the parent prefixes its children's ids."""
        parent = self.parent_group
        if self._group_id and parent is not None and parent.prefix_group_id and parent._group_id:
            return parent.child_id(self._group_id)
        return self._group_id

    @property
    def node_id(self) -> str | None:
        return self.group_id

    @property
    def label(self) -> str | None:
        """The name shown in the UI: ``group_display_name``, else the unprefixed group_id."""
        return self.group_display_name or self._group_id

    @property
    def is_root(self) -> bool:
        return not self._group_id

    @property
    def location(self) -> str | None:
        return self._location

    @property
    def task_group(self) -> TaskGroup | None:
        """The parent group (Airflow's name on every node)."""
        return self.parent_group

    def child_id(self, label: str) -> str:
        """``label`` prefixed with this group's id (when ``prefix_group_id``)."""
        group_id = self.group_id
        return f"{group_id}.{label}" if self.prefix_group_id and group_id else label

    def __repr__(self) -> str:
        return f"<TaskGroup: {self.group_id}>"

    # -- children -------------------------------------------------------------------------

    def add(self, node: BaseOperator | TaskGroup) -> None:
        """Make ``node`` (a task or a group) a child of this group."""
        key = node.node_id
        if key is None:
            raise self._error("a DAG's root group cannot be a child of another group")
        existing = self.children.get(key)
        if existing is node:
            return
        if existing is not None:
            kind = "task_id" if hasattr(node, "task_id") else "group_id"
            raise DuplicateTaskIdError(
                f"DAG '{self.dag.dag_id}': {kind} '{key}' is already used by another task or "
                "task group; give each a unique id",
                location=getattr(node, "location", None),
            )
        self.children[key] = node

    def remove(self, node_id: str) -> None:
        self.children.pop(node_id, None)

    def __iter__(self) -> Iterator[BaseOperator]:
        """Every task in this group and its nested groups, in declaration order."""
        for child in self.children.values():
            if isinstance(child, TaskGroup):
                yield from child
            else:
                yield child

    def iter_tasks(self) -> Iterator[BaseOperator]:
        return iter(self)

    def has_task(self, task: BaseOperator) -> bool:
        return any(t is task for t in self)

    def get_child_by_label(self, label: str) -> BaseOperator | TaskGroup:
        """A child by its id without this group's prefix: ``group.get_child_by_label("t")``."""
        return self.children[self.child_id(label)]

    def __getitem__(self, label: str) -> BaseOperator | TaskGroup:
        try:
            return self.get_child_by_label(label)
        except KeyError:
            known = ", ".join(self.children) or "none"
            raise KeyError(
                f"task group '{self.group_id}' has no child '{label}'; its children: {known}"
            ) from None

    def get_task_group_dict(self) -> dict[str | None, TaskGroup]:
        """This group and every group below it, by group_id (the root's key is None)."""
        groups: dict[str | None, TaskGroup] = {self.group_id: self}
        for child in self.children.values():
            if isinstance(child, TaskGroup):
                groups.update(child.get_task_group_dict())
        return groups

    # -- dependencies ---------------------------------------------------------------------

    def dependency_operators(self) -> list[BaseOperator]:
        return list(self)

    @property
    def roots(self) -> list[BaseOperator]:
        """Tasks of the group with no upstream inside the group."""
        tasks = list(self)
        ids = {t.task_id for t in tasks}
        return [t for t in tasks if t.upstream_task_ids.isdisjoint(ids)]

    @property
    def leaves(self) -> list[BaseOperator]:
        """Tasks of the group with no downstream inside the group. As in Airflow, a teardown
        there stands for the last work before it, so ``group >> next`` waits for the work,
        not for the clean-up."""
        tasks = {t.task_id: t for t in self}
        leaves: dict[str, BaseOperator] = {}
        for task in tasks.values():
            if task.downstream_task_ids.isdisjoint(tasks):
                found = [task] if not _is_teardown(task) else _work_before(task, tasks)
                leaves.update((t.task_id, t) for t in found)
        return list(leaves.values())

    def get_roots(self) -> Iterator[BaseOperator]:
        return iter(self.roots)

    def get_leaves(self) -> Iterator[BaseOperator]:
        return iter(self.leaves)

    def update_relative(self, other: Any, upstream: bool, edge_modifier: Any = None) -> None:
        """Remember what was linked to the group itself (Airflow keeps these for its graph)."""
        if isinstance(other, TaskGroup):  # both groups learn of the link
            first, second = (other, self) if upstream else (self, other)
            second.upstream_group_ids.add(first.group_id)
            first.downstream_group_ids.add(second.group_id)
            return
        ids = self.upstream_task_ids if upstream else self.downstream_task_ids
        for operator in other.roots if upstream else other.leaves:
            if operator is not self:
                ids.add(operator.task_id)

    def set_upstream(self, other: Any, edge_modifier: Any = None) -> None:
        """``other`` runs before every root of the group."""
        nodes = nodes_of(other, caller_location())
        for node in nodes:
            self.update_relative(node, True, edge_modifier)
        for task in self.roots:
            task.relate(nodes, upstream=True, edge_modifier=edge_modifier)

    def set_downstream(self, other: Any, edge_modifier: Any = None) -> None:
        """``other`` runs after every leaf of the group."""
        nodes = nodes_of(other, caller_location())
        leaves = self._leaves_or_upstream()
        for node in nodes:
            self.update_relative(node, False, edge_modifier)
        for task in leaves:
            task.relate(nodes, upstream=False, edge_modifier=edge_modifier)

    def _leaves_or_upstream(self) -> list[BaseOperator]:
        """Airflow: an empty group passes on the tasks set upstream of it (so that
        ``a >> empty_group >> b`` still means ``a >> b``), else its parent's leaves."""
        group: TaskGroup | None = self
        while group is not None:
            if leaves := group.leaves:
                return leaves
            if group.upstream_task_ids:
                return [self.dag.get_task(t) for t in sorted(group.upstream_task_ids)]
            group = group.parent_group
        return []

    # -- the context manager --------------------------------------------------------------

    def __enter__(self) -> TaskGroup:
        if self.is_root:
            raise self._error("the root task group cannot be opened with `with`")
        token = _group_stack.set((*_group_stack.get(), self))
        self._tokens = [*getattr(self, "_tokens", []), token]
        return self

    def __exit__(self, *exc_info: object) -> None:
        _group_stack.reset(self._tokens.pop())


def _is_teardown(task: Any) -> bool:
    return bool(getattr(task, "is_teardown", False))


def _work_before(teardown: Any, tasks: Mapping[str, Any]) -> list[Any]:
    """The tasks of the group a teardown follows that are not teardowns themselves and have
    no other non-teardown downstream in the group (Airflow's get_leaves), setups left out."""
    found: list[Any] = []
    for up_id in sorted(teardown.upstream_task_ids):
        up = tasks.get(up_id)
        if up is None:
            continue
        if _is_teardown(up):
            found += _work_before(up, tasks)
        elif getattr(up, "is_setup", False):
            continue
        elif not any(
            d != teardown.task_id and d in tasks and not _is_teardown(tasks[d])
            for d in up.downstream_task_ids
        ):
            found.append(up)
    return found


def _text(name: str, value: Any, group_id: Any, location: str | None) -> str:
    if not isinstance(value, str):
        raise DagDefinitionError(
            f"TaskGroup {group_id!r}: {name}={value!r} must be a string", location=location
        )
    return value
