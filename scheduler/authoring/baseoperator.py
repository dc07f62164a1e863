"""``BaseOperator``: one task of a DAG. A custom operator is a subclass with ``execute``.

    class Hello(BaseOperator):
        template_fields = ("name",)

        def __init__(self, *, name: str, **kwargs):
            super().__init__(**kwargs)
            self.name = name

        def execute(self, context):
            print(f"hello {self.name}")

Arguments keep Airflow's names and meanings. Invalid ones fail at once with the location of
the operator's construction in the DAG file; see ``default_args`` for how ``default_args``
are applied.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from scheduler.authoring.airflow_names import operator_airflow_args
from scheduler.authoring.arguments import check_arguments
from scheduler.authoring.assets import outlet_dicts
from scheduler.authoring.checks import (
    check_callbacks,
    check_id,
    positive_int,
    to_pool,
    to_queue,
    to_timedelta,
    to_trigger_rule,
)
from scheduler.authoring.context import current_dag
from scheduler.authoring.dag import DAG
from scheduler.authoring.default_args import apply_defaults, init_parameter_names
from scheduler.authoring.dependencies import DependencyMixin, nodes_of
from scheduler.authoring.location import caller_location
from scheduler.authoring.missing import missing_attribute, public_class_name
from scheduler.authoring.params import ParamsDict, check_defaults
from scheduler.authoring.priority import effective_weight, to_weight_rule
from scheduler.authoring.setup_teardown import SetupTeardownMixin, note_created
from scheduler.authoring.taskgroup import TaskGroup, current_task_group
from scheduler.authoring.xcom_arg import XComArg, iter_xcom_args
from scheduler.errors import DagDefinitionError
from scheduler.trigger_rule import TriggerRule
from scheduler.weight_rule import WeightRule

Callback = Callable[[dict[str, Any]], Any]
_CALLBACKS = (
    "on_execute_callback",
    "on_success_callback",
    "on_failure_callback",
    "on_retry_callback",
    "on_skipped_callback",
    # Baton's: the task's compensation failed for good (the task goes compensation_failed).
    "on_compensation_failure_callback",
    # Baton's: a try runs past the p95 of the task's usual durations (engine/long_tries.py).
    "on_longer_than_usual_callback",
)


class BaseOperator(SetupTeardownMixin, DependencyMixin):
    """One task: subclasses implement ``execute(context)``; its return value is the XCom."""

    if not TYPE_CHECKING:  # an Airflow attribute Baton lacks: say so, without private names
        __getattr__ = missing_attribute

    #: Attributes rendered with Jinja2 (and whose XComArgs are resolved) before ``execute``.
    template_fields: Sequence[str] = ()
    #: A templated string ending with one of these is the name of a template file.
    template_ext: Sequence[str] = ()
    ui_color: str = "#fff"
    ui_fgcolor: str = "#000"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            # Replacing a class's method is what this hook is for; mypy flags every such
            # assignment (method-assign), deliberate or not.
            cls.__init__ = apply_defaults(cls.__dict__["__init__"])  # type: ignore[method-assign]

    @apply_defaults
    def __init__(
        self,
        *,
        task_id: str,
        owner: str = "baton",
        retries: int | None = 0,
        retry_delay: timedelta | float | None = timedelta(minutes=5),
        retry_exponential_backoff: bool = False,
        max_retry_delay: timedelta | float | None = None,
        execution_timeout: timedelta | float | None = None,
        trigger_rule: str | TriggerRule = TriggerRule.ALL_SUCCESS,
        pool: str | None = "default_pool",
        pool_slots: int = 1,
        priority_weight: int = 1,
        weight_rule: str | WeightRule = WeightRule.DOWNSTREAM,
        queue: str | None = "default",
        depends_on_past: bool = False,
        wait_for_downstream: bool = False,
        max_active_tis_per_dag: int | None = None,
        max_active_tis_per_dagrun: int | None = None,
        compensate: Callable[..., Any] | BaseOperator | None = None,
        compensate_on_failure: bool = False,
        on_execute_callback: Callback | list[Callback] | None = None,
        on_success_callback: Callback | list[Callback] | None = None,
        on_failure_callback: Callback | list[Callback] | None = None,
        on_retry_callback: Callback | list[Callback] | None = None,
        on_skipped_callback: Callback | list[Callback] | None = None,
        on_compensation_failure_callback: Callback | list[Callback] | None = None,
        on_longer_than_usual_callback: Callback | list[Callback] | None = None,
        do_xcom_push: bool = True,
        params: Mapping[str, Any] | None = None,
        dag: DAG | None = None,
        doc_md: str | None = None,
        task_group: TaskGroup | None = None,
        inlets: Any = None,
        outlets: Any = None,
        **kwargs: Any,
    ) -> None:
        dag = dag if dag is not None else current_dag()
        task_group = task_group or current_task_group(dag)
        if dag is None and task_group is not None:
            dag = task_group.dag
        in_dag = f"DAG '{dag.dag_id}'" if isinstance(dag, DAG) else ""
        check_id("task_id", task_id, in_dag, self.location)
        # Inside a group the id gets the group's prefix: "group.task" (Airflow's child_id).
        task_id = task_group.child_id(task_id) if task_group is not None else task_id
        self.task_id = check_id("task_id", task_id, in_dag, self.location)
        where = f"{in_dag}: task '{task_id}'" if in_dag else f"task '{task_id}'"
        if kwargs:  # an Airflow argument passed with a value that changes nothing is kept
            self.__dict__.update(
                check_arguments(
                    kwargs,
                    accepted=init_parameter_names(type(self)),
                    airflow=operator_airflow_args(type(self)),
                    where=f"{where} ({public_class_name(type(self))})",
                    location=self.location,
                )
            )
        self.owner = owner
        self.retries = positive_int("retries", retries or 0, where, self.location, minimum=0)
        if retry_delay is None:  # not set: Airflow's default
            retry_delay = timedelta(minutes=5)
        self.retry_delay: timedelta = to_timedelta(
            "retry_delay", retry_delay, where, self.location
        ) or timedelta(0)
        self.retry_exponential_backoff = bool(retry_exponential_backoff)
        self.max_retry_delay = to_timedelta(
            "max_retry_delay", max_retry_delay, where, self.location
        )
        self.execution_timeout = to_timedelta(
            "execution_timeout", execution_timeout, where, self.location
        )
        self.trigger_rule = to_trigger_rule(trigger_rule, where, self.location)
        self.pool = to_pool(pool, where, self.location)
        self.pool_slots = positive_int("pool_slots", pool_slots, where, self.location)
        self.priority_weight = _int("priority_weight", priority_weight, where, self.location)
        self.weight_rule = to_weight_rule(weight_rule, where, self.location)
        self.queue = to_queue(queue, where, self.location)
        # Airflow: wait_for_downstream implies depends_on_past.
        self.wait_for_downstream = bool(wait_for_downstream)
        self.depends_on_past = bool(depends_on_past) or self.wait_for_downstream
        self.max_active_tis_per_dag = _limit(
            "max_active_tis_per_dag", max_active_tis_per_dag, where, self.location
        )
        self.max_active_tis_per_dagrun = _limit(
            "max_active_tis_per_dagrun", max_active_tis_per_dagrun, where, self.location
        )
        self.compensate = _check_compensate(compensate, where, self.location)
        explicit = "compensate_on_failure" in self.__dict__.get("_explicit_args", ())
        self.compensate_on_failure = _check_on_failure(
            compensate_on_failure, self.compensate if explicit else True, where, self.location
        )
        callbacks = (
            on_execute_callback,
            on_success_callback,
            on_failure_callback,
            on_retry_callback,
            on_skipped_callback,
            on_compensation_failure_callback,
            on_longer_than_usual_callback,
        )
        for name, value in zip(_CALLBACKS, callbacks, strict=True):
            setattr(self, name, check_callbacks(name, value, where, self.location))
        self.do_xcom_push = do_xcom_push
        self.doc_md = doc_md
        # Assets: each outlet gets an event when a try succeeds (engine/assets.py).
        outlet_dicts(outlets, "outlets", where)  # checked here, where the error can point
        outlet_dicts(inlets, "inlets", where)
        self.outlets = _as_list(outlets)
        self.inlets = _as_list(inlets)
        self.upstream_task_ids: set[str] = set()
        self.downstream_task_ids: set[str] = set()
        self._own_params = dict(params or {})
        self.params = self._checked_params(ParamsDict(), where)
        self._dag: DAG | None = None
        self.task_group: TaskGroup | None = None
        self._initial_group = task_group  # joined when the task joins its DAG
        if dag is not None:
            self.dag = dag

    # -- identity -------------------------------------------------------------------------

    @property
    def location(self) -> str | None:
        """``"file.py:LINE"`` where the operator was created."""
        return self.__dict__.get("_location")

    @property
    def task_type(self) -> str:
        return type(self).__name__

    @property
    def priority_weight_total(self) -> int:
        """The effective priority weight, ``weight_rule`` applied (Airflow's name)."""
        return effective_weight(self)

    @property
    def has_compensation(self) -> bool:
        return self.compensate is not None

    @property
    def log(self) -> logging.Logger:
        return logging.getLogger(f"baton.task.operators.{type(self).__name__}")

    @property
    def output(self) -> XComArg:
        """This task's return value, to pass to other tasks (Airflow's ``.output``)."""
        return XComArg(self)

    def __repr__(self) -> str:
        return f"<Task({type(self).__name__}): {self.task_id}>"

    # -- the contract ---------------------------------------------------------------------

    def execute(self, context: dict[str, Any]) -> Any:
        """Do the task's work; the return value becomes the ``return_value`` XCom."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement execute(self, context) to be run"
        )

    def on_kill(self) -> None:
        """Stop work started outside this process (subprocesses, remote jobs); a no-op here."""

    def defer(
        self,
        *,
        trigger: Any,
        method_name: str,
        kwargs: dict[str, Any] | None = None,
        timeout: timedelta | float | None = None,
    ) -> None:
        """End this try as ``deferred``, freeing its worker slot, until ``trigger`` fires;
        then a new operator's ``method_name(context, event=payload, **kwargs)`` runs on a
        worker. Past ``timeout`` the task fails with TaskDeferralTimeout (Airflow's)."""
        from scheduler.triggers.base import TaskDeferred

        raise TaskDeferred(trigger=trigger, method_name=method_name, kwargs=kwargs, timeout=timeout)

    def resume_execution(
        self, next_method: str, next_kwargs: dict[str, Any] | None, context: dict[str, Any]
    ) -> Any:
        """Continue after a deferral (Airflow's): ``next_method(context, **next_kwargs)``;
        ``__fail__`` (the deferral timed out, or its trigger failed) raises
        TaskDeferralTimeout, or a BatonError with the trigger's reason."""
        from scheduler.errors import BatonError, TaskDeferralTimeout

        kwargs = dict(next_kwargs or {})
        if next_method == "__fail__":
            error = str(kwargs.get("error") or "the deferral failed")
            if error.startswith("Trigger failure"):
                raise BatonError(error)
            raise TaskDeferralTimeout(error)
        method = getattr(self, next_method, None)
        if not callable(method):
            raise BatonError(
                f"task {self.task_id!r} deferred to resume in {next_method}(), which "
                f"{type(self).__name__} does not have; name one of its methods in "
                "defer(method_name=...)"
            )
        return method(context, **kwargs)

    # -- the DAG --------------------------------------------------------------------------

    @property
    def dag(self) -> DAG:
        if self._dag is None:
            raise DagDefinitionError(
                f"task '{self.task_id}' is not in any DAG; create it inside "
                "`with DAG(...):` (or a @dag function) or pass dag=...",
                location=self.location,
            )
        return self._dag

    @dag.setter
    def dag(self, dag: DAG) -> None:
        if not isinstance(dag, DAG):
            raise DagDefinitionError(
                f"task '{self.task_id}': dag={dag!r} is not a DAG", location=self.location
            )
        if self._dag is dag:
            return
        if self._dag is not None:
            raise DagDefinitionError(
                f"task '{self.task_id}' already belongs to DAG '{self._dag.dag_id}' and cannot "
                f"move to DAG '{dag.dag_id}'; create a separate task for each DAG",
                location=caller_location(),
            )
        dag.add_task(self)
        self._dag = dag
        if self.task_group is None:  # a task joining a DAG later joins its root group
            self._join_group(self.__dict__.pop("_initial_group", None) or dag.task_group)
        self.params = self._checked_params(dag.params, f"DAG '{dag.dag_id}': task '{self.task_id}'")

    def has_dag(self) -> bool:
        return self._dag is not None

    @property
    def node_id(self) -> str:
        return self.task_id

    @property
    def label(self) -> str:
        """The task_id without its task group's prefix (what the UI shows in a group)."""
        group = self.task_group
        if group is not None and group.prefix_group_id and group.group_id:
            return self.task_id[len(group.group_id) + 1 :]
        return self.task_id

    def _join_group(self, group: TaskGroup) -> None:
        if group.dag is not self._dag:
            raise DagDefinitionError(
                f"task '{self.task_id}': task_group '{group.group_id}' belongs to DAG "
                f"'{group.dag.dag_id}', not to this task's DAG; create the task in the "
                "group's DAG",
                location=self.location,
            )
        group.add(self)
        self.task_group = group

    def _checked_params(self, base: ParamsDict, where: str) -> ParamsDict:
        """``base`` (the DAG's params) overridden by the task's own, validated."""
        params = base.copy()
        params.update(self._own_params)
        check_defaults(params, where, self.location)
        return params

    # -- dependencies ---------------------------------------------------------------------

    # -- dynamic task mapping -------------------------------------------------------------

    @classmethod
    def partial(cls, **kwargs: Any) -> Any:
        """``Op.partial(task_id=..., ...)``: the arguments every mapped instance shares;
        ``.expand(...)`` or ``.expand_kwargs(...)`` on the result makes the mapped task."""
        from scheduler.authoring.mapped import OperatorPartial  # mapped builds on this module

        return OperatorPartial(cls, kwargs)

    @property
    def is_mapped(self) -> bool:
        """Whether this task runs as several instances: a ``MappedOperator``, or any task
        of a mapped task group."""
        return self.mapped_group_id is not None

    @property
    def mapped_group_id(self) -> str | None:
        """The group_id of the mapped task group this task belongs to, if any."""
        group = self._mapped_group()
        return group.group_id if group is not None else None

    def mapping_spec(self) -> dict[str, Any]:
        """What this task expands over (``TaskSpec.mapping``); only for a mapped task."""
        group = self._mapped_group()
        if group is None:
            raise TypeError(f"task '{self.task_id}' is not mapped")
        return group.expand_input.to_spec(group=group.group_id)

    def _mapped_group(self) -> TaskGroup | None:
        group = getattr(self, "task_group", None)
        while group is not None:
            if group.expand_input is not None:
                return group
            group = group.parent_group
        return None

    def dependency_operators(self) -> list[BaseOperator]:
        return [self]

    def relate(self, other: Any, upstream: bool, edge_modifier: Any = None) -> None:
        """Record edges between this task and ``other`` (operators, task groups or lists of
        them): to a group's leaves when it is upstream, to its roots when downstream, as in
        Airflow. ``edge_modifier`` (a ``Label``) labels each new edge."""
        location = caller_location()
        nodes = nodes_of(other, location)
        for node in nodes:
            node.update_relative(self, not upstream, edge_modifier)
        others = [op for node in nodes for op in (node.leaves if upstream else node.roots)]
        if not others and nodes:
            return  # a label waiting for its other side, or an empty task group
        dag = self._common_dag(others, location)
        for op in others:
            if op is self:
                raise DagDefinitionError(
                    f"DAG '{dag.dag_id}': task '{self.task_id}' cannot depend on itself; "
                    "remove this dependency",
                    location=location,
                )
            op.dag = dag  # a task created outside any DAG joins its neighbour's
            first, second = (op, self) if upstream else (self, op)
            first.downstream_task_ids.add(second.task_id)
            second.upstream_task_ids.add(first.task_id)
            if edge_modifier is not None:
                edge_modifier.add_edge_info(dag, first.task_id, second.task_id)

    def _common_dag(self, others: list[BaseOperator], location: str | None) -> DAG:
        tasks = [self, *others]
        dags = {id(t._dag): t._dag for t in tasks if t._dag is not None}
        if len(dags) > 1:
            names = ", ".join(f"'{t.task_id}' (DAG '{t._dag.dag_id}')" for t in tasks if t._dag)
            raise DagDefinitionError(
                f"cannot link tasks of different DAGs: {names}; dependencies only exist "
                "inside one DAG",
                location=location,
            )
        if not dags:
            ids = ", ".join(t.task_id for t in tasks)
            raise DagDefinitionError(
                f"tried to link tasks that are not in any DAG ({ids}); create them inside "
                "`with DAG(...):` or pass dag=... to at least one of them",
                location=location,
            )
        self.dag = next(iter(dags.values()))
        return self.dag

    # -- after the constructor chain (called by apply_defaults) ---------------------------

    def _post_init(self) -> None:
        for name in self.template_fields:
            if not hasattr(self, name):
                raise DagDefinitionError(
                    f"{type(self).__name__} lists '{name}' in template_fields but has no "
                    f"attribute '{name}'; set self.{name} in __init__ or fix template_fields",
                    location=self.location,
                )
            self._wire_xcom_args(getattr(self, name))
        if isinstance(self.compensate, BaseOperator):
            self._adopt_compensation(self.compensate)
        note_created(self)  # inside `with setup_or_teardown:` it joins that block
        self.__dict__["_init_done"] = True

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in self.template_fields and self.__dict__.get("_init_done"):
            self._wire_xcom_args(value)

    def _wire_xcom_args(self, value: Any) -> None:
        for arg in iter_xcom_args(value):
            self.set_upstream(arg)  # a .map()/.zip() result stands for its source tasks

    def _adopt_compensation(self, operator: BaseOperator) -> None:
        """A compensating operator runs only when this task is compensated, never by itself."""
        if operator.upstream_task_ids or operator.downstream_task_ids:
            raise DagDefinitionError(
                f"task '{self.task_id}': its compensate operator '{operator.task_id}' has "
                "dependencies; a compensation runs only when its task is undone, so remove them",
                location=self.location,
            )
        if operator._dag is not None:
            operator._dag.remove_task(operator.task_id)


def _int(name: str, value: Any, where: str, location: str | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DagDefinitionError(f"{where}: {name}={value!r} must be an integer", location)
    return value


def _limit(name: str, value: Any, where: str, location: str | None) -> int | None:
    """A max_active_tis_* limit: None (no limit) or at least 1 (0 would never run)."""
    return None if value is None else positive_int(name, value, where, location)


def _check_on_failure(value: Any, compensate: Any, where: str, location: str | None) -> bool:
    """``compensate_on_failure`` undoes a failed task too, so passed to a task it needs a
    ``compensate`` (from ``default_args`` it concerns the tasks that have one)."""
    if not isinstance(value, bool):
        raise DagDefinitionError(
            f"{where}: compensate_on_failure={value!r} must be True or False", location=location
        )
    if value and compensate is None:
        raise DagDefinitionError(
            f"{where}: compensate_on_failure=True needs compensate= (what undoes the task's "
            "work, even half done); add one or drop compensate_on_failure",
            location=location,
        )
    return value


def _check_compensate(value: Any, where: str, location: str | None) -> Any:
    if value is None or isinstance(value, BaseOperator) or callable(value):
        return value
    raise DagDefinitionError(
        f"{where}: compensate={value!r} must be a callable taking the context or an "
        "operator that undoes this task's work",
        location=location,
    )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]
