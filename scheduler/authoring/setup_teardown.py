"""Setup and teardown tasks (Airflow's ``as_setup`` / ``as_teardown`` / ``@setup`` /
``@teardown``), authoring side.

    create >> work >> delete.as_teardown(setups=create)

    with delete.as_teardown(setups=create):   # create >> [tasks made here] >> delete
        work_one() >> work_two()

A teardown gets the trigger rule ``all_done_setup_success`` (it runs after its work, failed
or not, when one of its setups succeeded) and by default does not count for the run's
state; the planner applies both (``scheduler.planner.teardowns``, ``scheduler.setup_scope``).

The context manager keeps Airflow's documented wiring: when the block ends, the setup goes
upstream of the tasks created in it (or added with ``scope.add_task``) that have no upstream,
and the teardown downstream of those that have no downstream; blocks nest (the outer setup
runs before the inner one, the inner teardown before the outer one). ``@setup`` and
``@teardown`` live in ``setup_teardown_decorators``.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scheduler.authoring.dependencies import operators_of
from scheduler.authoring.location import caller_location
from scheduler.errors import DagDefinitionError
from scheduler.trigger_rule import TriggerRule

if TYPE_CHECKING:
    from scheduler.authoring.baseoperator import BaseOperator


class SetupTeardownMixin:
    """``is_setup``, ``is_teardown``, ``on_failure_fail_dagrun``, ``as_setup()``,
    ``as_teardown()`` and the ``with`` block, for operators and XComArgs alike (an XComArg
    acts on the operator it stands for)."""

    # Class-level defaults, so operators need no constructor argument for them.
    _is_setup = False
    _is_teardown = False
    _on_failure_fail_dagrun = False

    def dependency_operators(self) -> list[BaseOperator]:
        raise NotImplementedError

    def _marked(self) -> BaseOperator:
        return self.dependency_operators()[0]

    @property
    def is_setup(self) -> bool:
        return self._marked()._is_setup

    @is_setup.setter
    def is_setup(self, value: bool) -> None:
        for operator in self.dependency_operators():
            operator._is_setup = bool(value)

    @property
    def is_teardown(self) -> bool:
        return self._marked()._is_teardown

    @is_teardown.setter
    def is_teardown(self, value: bool) -> None:
        for operator in self.dependency_operators():
            operator._is_teardown = bool(value)

    @property
    def on_failure_fail_dagrun(self) -> bool:
        """Whether this teardown's failure fails the run (by default teardowns do not)."""
        return self._marked()._on_failure_fail_dagrun

    @on_failure_fail_dagrun.setter
    def on_failure_fail_dagrun(self, value: bool) -> None:
        for operator in self.dependency_operators():
            if value and not operator._is_teardown:
                raise DagDefinitionError(
                    f"task '{operator.task_id}': on_failure_fail_dagrun=True only applies to a "
                    "teardown task; call .as_teardown(on_failure_fail_dagrun=True) instead",
                    location=caller_location(),
                )
            operator._on_failure_fail_dagrun = bool(value)

    def as_setup(self) -> Any:
        """Mark this task as a setup; returns it, so ``create.as_setup() >> work`` works."""
        self.is_setup = True
        return self

    def as_teardown(
        self,
        *,
        setups: Any = None,
        on_failure_fail_dagrun: bool | None = None,
    ) -> Any:
        """Mark this task as a teardown (trigger rule ``all_done_setup_success``); ``setups``
        (tasks or a list) become setups and run before it. Returns this task."""
        for operator in self.dependency_operators():
            operator._is_teardown = True
            operator.trigger_rule = TriggerRule.ALL_DONE_SETUP_SUCCESS
        if on_failure_fail_dagrun is not None:
            self.on_failure_fail_dagrun = on_failure_fail_dagrun
        if setups is not None:
            location = caller_location()
            for setup in operators_of(setups, location):
                setup._is_setup = True
                for operator in self.dependency_operators():
                    setup.set_downstream(operator)
        return self

    def __enter__(self) -> Scope:
        operators = self.dependency_operators()
        if not all(op._is_setup or op._is_teardown for op in operators):
            raise DagDefinitionError(
                f"only setup and teardown tasks can open a `with` block; mark "
                f"'{operators[0].task_id}' with .as_setup() or .as_teardown(setups=...) first",
                location=caller_location(),
            )
        scope = Scope(operators)
        _scopes.set((*_scopes.get(), scope))
        return scope

    def __exit__(self, *exc_info: object) -> None:
        stack = _scopes.get()
        scope, outer = stack[-1], stack[:-1]
        _scopes.set(outer)
        if exc_info[0] is None:
            scope.wire(outer[-1] if outer else None)


@dataclass
class Scope:
    """An open ``with setup_or_teardown:`` block and the work tasks made in it."""

    operators: list[BaseOperator]
    tasks: list[BaseOperator] = field(default_factory=list)

    def add_task(self, task: Any) -> None:
        """Put a task created before the block into it (Airflow's ``scope.add_task``)."""
        for operator in operators_of(task, caller_location()):
            if operator not in self.tasks:
                self.tasks.append(operator)

    @property
    def setups(self) -> list[BaseOperator]:
        """The block's setups: the block's own, or the setups right above its teardown."""
        own = [op for op in self.operators if op._is_setup]
        if own:
            return own
        return [
            op._dag.task_dict[up]
            for op in self.operators
            for up in sorted(op.upstream_task_ids)
            if op._dag is not None and op._dag.task_dict[up]._is_setup
        ]

    @property
    def teardowns(self) -> list[BaseOperator]:
        """The block's teardowns: its own, or the teardowns right below its setup."""
        own = [op for op in self.operators if op._is_teardown]
        if own:
            return own
        return [
            op._dag.task_dict[down]
            for op in self.operators
            for down in sorted(op.downstream_task_ids)
            if op._dag is not None and op._dag.task_dict[down]._is_teardown
        ]

    def wire(self, outer: Scope | None) -> None:
        work = [
            t
            for t in self.tasks
            if not (t._is_setup or t._is_teardown)
            and t._dag is not None
            and t._dag.task_dict.get(t.task_id) is t  # not a compensation taken out of the DAG
        ]
        setups, teardowns = self.setups, self.teardowns
        if work:
            roots = [t for t in work if not t.upstream_task_ids] or work[:1]
            leaves = [t for t in work if not t.downstream_task_ids] or work[-1:]
            for setup in setups:
                setup.set_downstream(roots)
            for teardown in teardowns:
                teardown.set_upstream(leaves)
        if outer is not None:  # nested resources: outer setup first, outer teardown last
            for setup in outer.setups:
                if setups and setup not in setups:
                    setup.set_downstream(setups)
            for teardown in outer.teardowns:
                if teardowns and teardown not in teardowns:
                    teardown.set_upstream(teardowns)


_scopes: ContextVar[tuple[Scope, ...]] = ContextVar("baton_setup_scopes", default=())


def note_created(task: BaseOperator) -> None:
    """Called for every new operator: one made inside a ``with`` block joins the innermost."""
    stack = _scopes.get()
    if stack:
        stack[-1].tasks.append(task)


def check_setup_teardown(tasks: Iterable[BaseOperator], where: str) -> None:
    """Airflow's ``validate_setup_teardown``: the work right below a setup keeps the trigger
    rule all_success (so clearing a setup gates its work again); no task is both."""
    by_id = {t.task_id: t for t in tasks}
    for task in by_id.values():
        if task._is_setup and task._is_teardown:
            raise DagDefinitionError(
                f"{where}: task '{task.task_id}' is marked both setup and teardown; a task can "
                "be one of them only",
                location=task.location,
            )
        if not task._is_setup:
            continue
        for down_id in sorted(task.downstream_task_ids):
            down = by_id[down_id]
            if not down._is_teardown and down.trigger_rule != TriggerRule.ALL_SUCCESS:
                raise DagDefinitionError(
                    f"{where}: task '{down_id}' comes right after setup '{task.task_id}' with "
                    f"trigger_rule='{down.trigger_rule}'; tasks right after a setup must keep "
                    "trigger_rule all_success (as in Airflow), or be its teardown",
                    location=down.location,
                )
