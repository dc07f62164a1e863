"""``DAG``: a named graph of tasks with a schedule (Airflow's names and meanings).

``with DAG("orders", schedule="@daily", start_date=datetime(2024, 1, 1)) as dag:`` — every
operator created in the block joins ``dag``. The ``@dag`` decorator lives in
``scheduler.authoring.taskflow``. Every ``DagDefinitionError`` raised here carries the
location of the ``DAG(...)`` call in the user's file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextvars import Token
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from scheduler.authoring.airflow_names import AIRFLOW_DAG_ARGS
from scheduler.authoring.arguments import check_arguments, parameter_names
from scheduler.authoring.assets import asset_schedule, schedule_watchers
from scheduler.authoring.checks import check_callbacks, check_id, positive_int
from scheduler.authoring.collector import register
from scheduler.authoring.context import pop_dag, push_dag
from scheduler.authoring.deadline import DeadlineAlert, check_deadlines
from scheduler.authoring.location import caller_file, caller_location
from scheduler.authoring.missing import missing_attribute
from scheduler.authoring.params import NOTSET, DagParam, ParamsDict, check_defaults
from scheduler.authoring.taskgroup import TaskGroup
from scheduler.authoring.webhooks import Webhook, check_webhooks
from scheduler.errors import (
    BatonError,
    CycleError,
    DagDefinitionError,
    DuplicateTaskIdError,
    InvalidScheduleError,
    ParamValidationError,
    TaskNotFoundError,
)
from scheduler.settings import default_timezone
from scheduler.timetables import normalize_schedule

if TYPE_CHECKING:
    import networkx as nx  # imported where used: ~100 ms that only graph work needs

if TYPE_CHECKING:
    from scheduler.authoring.baseoperator import BaseOperator


class DAG:
    """A workflow: tasks, their dependencies, and when to run them."""

    if not TYPE_CHECKING:  # dag.test() and friends: say which Airflow feature is missing
        __getattr__ = missing_attribute

    def __init__(
        self,
        dag_id: str,
        schedule: Any = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        catchup: bool = False,
        default_args: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        max_active_runs: int = 16,
        max_active_tasks: int = 16,
        tags: Iterable[str] | None = None,
        description: str | None = None,
        doc_md: str | None = None,
        template_searchpath: str | Iterable[str] | None = None,
        user_defined_macros: Mapping[str, Any] | None = None,
        user_defined_filters: Mapping[str, Any] | None = None,
        template_undefined: type | None = None,
        is_paused_upon_creation: bool | None = None,
        dagrun_timeout: timedelta | None = None,
        on_success_callback: Any = None,
        on_failure_callback: Any = None,
        deadline: DeadlineAlert | list[DeadlineAlert] | None = None,
        webhooks: Iterable[Webhook] | None = None,
        **kwargs: Any,
    ) -> None:
        self._location = caller_location()
        self.fileloc: str | None = caller_file()
        self.dag_id = check_id("dag_id", dag_id, "", self._location)
        # An Airflow argument passed with a value that changes nothing stays readable.
        self.__dict__.update(
            check_arguments(
                kwargs,
                accepted=parameter_names(type(self).__init__),
                airflow=AIRFLOW_DAG_ARGS,
                where=f"DAG '{self.dag_id}'",
                location=self._location,
            )
        )
        self.default_args: dict[str, Any] = dict(default_args or {})
        # schedule=[asset, ...] or an asset expression: runs come from asset events.
        self.asset_condition = self._asset_condition(schedule)
        self.asset_watchers = self._asset_watchers(schedule) if self.asset_condition else ()
        self.schedule = None if self.asset_condition else self._normalize_schedule(schedule)
        self._set_dates(start_date, end_date)
        self.catchup = bool(catchup)
        where = f"DAG '{self.dag_id}'"
        self.max_active_runs = positive_int(
            "max_active_runs", max_active_runs, where, self._location
        )
        self.max_active_tasks = positive_int(
            "max_active_tasks", max_active_tasks, where, self._location
        )
        self.params = self._init_params(params)
        self.tags = self._init_tags(tags)
        self.description = description
        self.doc_md = doc_md
        if isinstance(template_searchpath, str):
            template_searchpath = [template_searchpath]
        self.template_searchpath = list(template_searchpath or [])
        self.user_defined_macros = dict(user_defined_macros or {})
        self.user_defined_filters = dict(user_defined_filters or {})
        self.template_undefined = template_undefined
        self.is_paused_upon_creation = is_paused_upon_creation
        self.dagrun_timeout = self._check_dagrun_timeout(dagrun_timeout)
        # Called with the run's context when a run succeeds / fails (a callable, a notifier or
        # a list of them), by the scheduler's DAG callback runner (engine/dag_callbacks.py).
        self.on_success_callback = check_callbacks(
            "on_success_callback", on_success_callback, where, self._location
        )
        self.on_failure_callback = check_callbacks(
            "on_failure_callback", on_failure_callback, where, self._location
        )
        # Airflow 3.1's deadline alerts: the scheduler stores each run's deadlines and calls
        # back once when one passes with the run unfinished (engine/deadlines.py).
        self.deadline = check_deadlines(deadline, where, self._location)
        # Inbound webhooks (POST /hooks/<name>) that trigger this DAG (authoring/webhooks.py).
        self.webhooks = check_webhooks(webhooks, where, self._location)
        self.task_dict: dict[str, BaseOperator] = {}
        # The root of the DAG's task groups, and the labels of its edges (Airflow's names).
        self.task_group = TaskGroup.create_root(self)
        self.edge_info: dict[str, dict[str, dict[str, Any]]] = {}
        self._context_tokens: list[Token[tuple[Any, ...]]] = []
        register(self)

    @property
    def location(self) -> str | None:
        """``"file.py:LINE"`` of the ``DAG(...)`` call (or of the ``@dag`` function's call)."""
        return self._location

    # -- construction helpers -------------------------------------------------------------

    def _error(self, message: str, cls: type[DagDefinitionError] = DagDefinitionError) -> Exception:
        return cls(f"DAG '{self.dag_id}': {message}", location=self._location)

    def _check_dagrun_timeout(self, value: Any) -> timedelta | None:
        """Airflow takes a timedelta only (a pendulum Duration is one); a zero one is falsy
        there, so no timeout."""
        if value is None or (isinstance(value, timedelta) and value == timedelta(0)):
            return None
        if not isinstance(value, timedelta):
            raise self._error(
                f"dagrun_timeout={value!r} must be a datetime.timedelta, e.g. "
                "dagrun_timeout=timedelta(hours=1)"
            )
        if value < timedelta(0):
            raise self._error(f"dagrun_timeout={value!r} must not be negative")
        return value

    def _asset_condition(self, schedule: Any) -> dict[str, Any] | None:
        try:
            return asset_schedule(schedule)
        except DagDefinitionError as exc:
            raise self._error(str(exc), InvalidScheduleError) from None

    def _asset_watchers(self, schedule: Any) -> tuple[dict[str, Any], ...]:
        try:
            return schedule_watchers(schedule)
        except BatonError as exc:  # a trigger whose kwargs cannot be stored
            raise self._error(str(exc)) from None

    def _normalize_schedule(self, schedule: Any) -> str | float | None:
        try:
            return normalize_schedule(schedule)
        except InvalidScheduleError as exc:
            raise self._error(str(exc), InvalidScheduleError) from None

    def _set_dates(self, start_date: Any, end_date: Any) -> None:
        """Naive dates are in the default timezone (``BATON_DEFAULT_TIMEZONE``, UTC unless
        set), as in Airflow; the start_date's zone becomes the DAG's timezone (the default
        one without a start_date)."""
        start_date = start_date or self.default_args.get("start_date")
        end_date = end_date or self.default_args.get("end_date")
        self.start_date = self._aware("start_date", start_date)
        self.end_date = self._aware("end_date", end_date)
        self.timezone = timezone_name(self.start_date or datetime.now(default_timezone()))
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise self._error(
                f"end_date {self.end_date.isoformat()} is before start_date "
                f"{self.start_date.isoformat()}; move end_date later or drop it"
            )

    def _aware(self, name: str, value: Any) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise self._error(
                f"{name}={value!r} must be a datetime, e.g. {name}=datetime(2024, 1, 1)"
            )
        return value if value.tzinfo is not None else value.replace(tzinfo=default_timezone())

    def _init_params(self, params: Mapping[str, Any] | None) -> ParamsDict:
        merged = ParamsDict(self.default_args.get("params"))
        merged.update(params or {})
        check_defaults(
            merged,
            f"DAG '{self.dag_id}'",
            self._location,
            scheduled=self.schedule is not None or bool(self.asset_condition),
        )
        return merged

    def _init_tags(self, tags: Iterable[str] | None) -> list[str]:
        result = list(tags or [])
        for tag in result:
            if not isinstance(tag, str) or not tag or len(tag) > 100:
                raise self._error(f"tag {tag!r} must be a string of 1 to 100 characters")
        return result

    # -- the context manager (Airflow's DagContext) ---------------------------------------

    def __enter__(self) -> DAG:
        self._context_tokens.append(push_dag(self))
        return self

    def __exit__(self, *exc_info: object) -> None:
        pop_dag(self._context_tokens.pop())

    # -- tasks ----------------------------------------------------------------------------

    @property
    def tasks(self) -> list[BaseOperator]:
        return list(self.task_dict.values())

    @property
    def task_ids(self) -> list[str]:
        return list(self.task_dict)

    @property
    def task_count(self) -> int:
        return len(self.task_dict)

    def has_task(self, task_id: str) -> bool:
        return task_id in self.task_dict

    def get_task(self, task_id: str) -> BaseOperator:
        try:
            return self.task_dict[task_id]
        except KeyError:
            known = ", ".join(self.task_dict) or "none"
            raise TaskNotFoundError(
                f"DAG '{self.dag_id}' has no task '{task_id}'; its tasks are: {known}"
            ) from None

    def add_task(self, task: BaseOperator) -> None:
        """Add ``task``; prefer ``task.dag = dag`` or ``dag=``, which also bind the task."""
        existing = self.task_dict.get(task.task_id)
        if existing is task:
            return
        if existing is not None:
            raise DuplicateTaskIdError(
                f"DAG '{self.dag_id}': task_id '{task.task_id}' is already used by another "
                "task in this DAG; give each task a unique task_id",
                location=task.location,
            )
        self.task_dict[task.task_id] = task

    def remove_task(self, task_id: str) -> None:
        """Forget a task that has no dependencies (e.g. one used as a compensation)."""
        task = self.task_dict.pop(task_id, None)
        group = getattr(task, "task_group", None)
        if group is not None:
            group.remove(task_id)

    @property
    def task_group_dict(self) -> dict[str, TaskGroup]:
        """Every task group of the DAG by its full group_id (the root group left out)."""
        return {k: g for k, g in self.task_group.get_task_group_dict().items() if k is not None}

    def set_edge_info(
        self, upstream_task_id: str, downstream_task_id: str, info: dict[str, Any]
    ) -> None:
        """Record ``info`` (``{"label": ...}``) on the edge upstream → downstream."""
        self.edge_info.setdefault(upstream_task_id, {})[downstream_task_id] = dict(info)

    def get_edge_info(self, upstream_task_id: str, downstream_task_id: str) -> dict[str, Any]:
        """What ``set_edge_info`` recorded on that edge, ``{}`` if nothing."""
        return self.edge_info.get(upstream_task_id, {}).get(downstream_task_id, {})

    @property
    def roots(self) -> list[BaseOperator]:
        return [t for t in self.task_dict.values() if not t.upstream_task_ids]

    @property
    def leaves(self) -> list[BaseOperator]:
        return [t for t in self.task_dict.values() if not t.downstream_task_ids]

    def param(self, name: str, default: Any = NOTSET) -> DagParam:
        """A reference to param ``name`` resolved at run time (declares it if new)."""
        if default is not NOTSET or name not in self.params:
            self.params[name] = default  # a known param keeps its schema
        param = self.params.get_param(name)
        if param.has_value:
            try:
                param.resolve(name=name)
            except ParamValidationError as exc:
                raise self._error(f"invalid default for param {exc}") from None
        return DagParam(name, param.value)

    # -- the graph ------------------------------------------------------------------------

    @property
    def graph(self) -> nx.DiGraph:
        """The task graph in declaration order: an edge ``a → b`` means b runs after a."""
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_nodes_from(self.task_dict)
        for task in self.task_dict.values():
            graph.add_edges_from((task.task_id, down) for down in task.downstream_task_ids)
        return graph

    def validate(self) -> None:
        """Raise ``CycleError`` (with the cycle's path) if the dependencies form a cycle."""
        import networkx as nx

        try:
            edges = nx.find_cycle(self.graph)
        except nx.NetworkXNoCycle:
            return
        path = self._cycle_path([edge[0] for edge in edges])
        raise self._error(
            f"the task dependencies form a cycle {' -> '.join(path)}; remove one of these "
            "dependencies so every path through the DAG has an end",
            CycleError,
        )

    def _cycle_path(self, nodes: list[str]) -> list[str]:
        """The cycle starting at its earliest-declared task, closed: a -> b -> a."""
        order = {task_id: i for i, task_id in enumerate(self.task_dict)}
        start = min(range(len(nodes)), key=lambda i: order[nodes[i]])
        rotated = nodes[start:] + nodes[:start]
        return [*rotated, rotated[0]]

    def __repr__(self) -> str:
        return f"<DAG: {self.dag_id}>"


def timezone_name(moment: datetime) -> str:
    """The IANA name of an aware datetime's zone (``"UTC"`` for UTC).

    A fixed offset without a name maps to ``Etc/GMT±H`` (whole hours only); other zones
    need a ``zoneinfo.ZoneInfo``.
    """
    tz = moment.tzinfo
    for attr in ("key", "zone", "name"):  # zoneinfo, pytz, pendulum
        name = getattr(tz, attr, None)
        if isinstance(name, str) and _is_iana(name):
            return name
    offset = moment.utcoffset() or timedelta(0)
    if offset == timedelta(0):
        return "UTC"
    hours, rest = divmod(offset, timedelta(hours=1))
    if rest:
        raise DagDefinitionError(
            f"start_date {moment.isoformat()} has the fixed offset {offset}, which has no IANA "
            "time zone name; use zoneinfo.ZoneInfo('Europe/Paris') (or another zone name)",
            location=caller_location(),
        )
    return f"Etc/GMT{-hours:+d}"  # POSIX sign: Etc/GMT-2 is two hours ahead of UTC


def _is_iana(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return False
    return True
