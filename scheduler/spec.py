"""The serialised form of a DAG: what the Engine, the Store and the web UI work on.

DAG files are imported only by the Loader (in child processes) and by workers. Everything
else sees a ``DagSpec``: plain, JSON-able data that round-trips through ``to_dict`` /
``from_dict`` and is stored with the DAG in the database.

``schedule`` is normalised: ``None`` (manual only), a cron expression or preset string
(``"0 6 * * *"``, ``"@daily"``, ``"@once"``), or a number of seconds (from a ``timedelta``).
Datetimes are timezone-aware UTC; ``timezone`` keeps the IANA name of the DAG's
``start_date`` zone, in which cron expressions are evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from scheduler import setup_scope
from scheduler.trigger_rule import TriggerRule

if TYPE_CHECKING:
    import networkx as nx  # imported where used: ~100 ms that only graph work needs

Schedule = str | float | None
#: Airflow's map_index of a task instance that is not mapped (or not expanded yet).
UNMAPPED = -1


@dataclass(frozen=True)
class CrossDagRef:
    """A task's link to another DAG (cross-DAG dependencies): what the DAG dependencies view
    draws and what clearing through an ``ExternalTaskMarker`` follows.

    ``kind`` is ``trigger`` (TriggerDagRunOperator), ``sensor`` (ExternalTaskSensor) or
    ``marker`` (ExternalTaskMarker). Values are as written in the DAG file: a templated one
    is kept unrendered (``logical_date`` of a marker is rendered when a clear follows it).
    """

    kind: str
    dag_id: str
    task_ids: tuple[str, ...] = ()
    logical_date: str | None = None
    recursion_depth: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "task_ids": list(self.task_ids)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CrossDagRef:
        return cls(**{**data, "task_ids": tuple(data.get("task_ids", ()))})


@dataclass(frozen=True, slots=True)
class TaskSpec:
    task_id: str
    operator: str  # class name, e.g. "PythonOperator"
    upstream: tuple[str, ...] = ()
    trigger_rule: str = TriggerRule.ALL_SUCCESS.value
    retries: int = 0
    retry_delay_s: float = 300.0
    retry_exponential_backoff: bool = False
    max_retry_delay_s: float | None = None
    execution_timeout_s: float | None = None
    pool: str = "default_pool"
    pool_slots: int = 1  # slots of the pool one try takes
    priority_weight: int = 1
    queue: str = "default"
    has_compensation: bool = False
    # Also undo the task when it failed for good: a failed or timed-out try may have acted.
    compensate_on_failure: bool = False
    template_fields: tuple[str, ...] = ()
    doc_md: str | None = None
    # How the compensation runs (retries, delays, timeout): the compensating operator's
    # settings, or this task's own when ``compensate`` is a callable. None: no compensation.
    compensation: TaskSpec | None = None
    # Where this task points in another DAG (trigger, sensor, marker); None for most tasks.
    cross_dag: CrossDagRef | None = None
    # Setup and teardown (Airflow's semantics; see scheduler/setup_scope.py).
    is_setup: bool = False
    is_teardown: bool = False
    on_failure_fail_dagrun: bool = False  # a teardown whose failure fails the run
    # The innermost task group holding this task (its full group_id); None: the root group.
    task_group_id: str | None = None
    # Dynamic task mapping: what the task expands over (see scheduler/planner/mapping.py);
    # None for a task that is not mapped. Compared by identity: specs are never hashed.
    mapping: dict[str, Any] | None = field(default=None, compare=False)
    # Cross-run settings (Airflow's): wait for this task's instance in the previous run
    # (and, with wait_for_downstream, for its direct downstream there); at most so many
    # instances queued or running across all runs / within one run (None: no limit).
    depends_on_past: bool = False
    wait_for_downstream: bool = False
    max_active_tis_per_dag: int | None = None
    max_active_tis_per_dagrun: int | None = None
    # Assets (authoring/assets.py ``as_dict()``): outlets get an event when a try succeeds;
    # inlets are declared reads (shown in the UI).
    outlets: tuple[dict[str, Any], ...] = ()
    inlets: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies every value and is ~10x slower, which the
        # scheduler pays for each task of every DAG it stores. Slots, not a __dict__: ~40
        # fields each, and a 10,000-task DAG keeps 10,000 of them in the scheduler.
        data = {name: getattr(self, name) for name in _TASK_FIELDS}
        data["upstream"] = list(self.upstream)
        data["template_fields"] = list(self.template_fields)
        data["compensation"] = self.compensation.to_dict() if self.compensation else None
        data["cross_dag"] = self.cross_dag.to_dict() if self.cross_dag else None
        data["outlets"] = list(self.outlets)
        data["inlets"] = list(self.inlets)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskSpec:
        data = dict(data)
        data["upstream"] = tuple(data.get("upstream", ()))
        data["template_fields"] = tuple(data.get("template_fields", ()))
        compensation = data.get("compensation")
        data["compensation"] = cls.from_dict(compensation) if compensation else None
        cross_dag = data.get("cross_dag")
        data["cross_dag"] = CrossDagRef.from_dict(cross_dag) if cross_dag else None
        data["outlets"] = tuple(data.get("outlets", ()))
        data["inlets"] = tuple(data.get("inlets", ()))
        return cls(**data)


_TASK_FIELDS = tuple(f.name for f in fields(TaskSpec))


@dataclass(frozen=True)
class TaskGroupSpec:
    """A task group, for the UI: its parent (None: the DAG's root group), its children's
    ids (tasks and groups, in declaration order) and how it is drawn."""

    group_id: str
    parent: str | None = None
    children: tuple[str, ...] = ()
    label: str = ""
    tooltip: str = ""
    ui_color: str = "CornflowerBlue"
    ui_fgcolor: str = "#000"

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "children": list(self.children)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskGroupSpec:
        return cls(**{**data, "children": tuple(data.get("children", ()))})


@dataclass(frozen=True)
class DagSpec:
    dag_id: str
    fileloc: str
    tasks: dict[str, TaskSpec]  # in declaration order
    schedule: Schedule = None
    timezone: str = "UTC"
    start_date: datetime | None = None
    end_date: datetime | None = None
    catchup: bool = False
    max_active_runs: int = 16
    max_active_tasks: int = 16
    params: dict[str, Any] = field(default_factory=dict)
    # Each param's schema, description and whether it has a default (ParamsDict.spec()):
    # a trigger's conf is checked against them before its run exists.
    param_specs: dict[str, dict[str, Any]] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    description: str | None = None
    doc_md: str | None = None
    is_paused_upon_creation: bool | None = None
    # Task groups by full group_id, parents before their children (empty: no groups).
    task_groups: dict[str, TaskGroupSpec] = field(default_factory=dict)
    # Edge labels (``a >> Label("x") >> b``): (upstream task_id, downstream task_id, label).
    edge_labels: tuple[tuple[str, str, str], ...] = ()
    # Airflow's dagrun_timeout in seconds: a run still running that long after its start
    # fails (its unfinished tasks are skipped). None: no limit.
    dagrun_timeout_s: float | None = None
    # schedule=[asset, ...] / an asset expression (scheduler/asset_condition.py); then
    # ``schedule`` is None and runs are created from asset events (run_type asset_triggered).
    asset_condition: dict[str, Any] | None = None
    # The DAG-level callbacks the DAG file sets (``on_success_callback``,
    # ``on_failure_callback``): the scheduler starts a callback process only for these.
    callbacks: tuple[str, ...] = ()
    # Deadline alerts (authoring/deadline.py): ``{"reference", "datetime"?, "interval_s",
    # "name", "callback"}`` each, in the order of ``DAG(deadline=[...])``.
    deadlines: tuple[dict[str, Any], ...] = ()
    # Tasks that set Baton's ``on_longer_than_usual_callback``: only for these does the
    # scheduler start a callback process when a try runs longer than usual.
    long_try_callbacks: tuple[str, ...] = ()
    # Inbound webhooks: ``{"name": ..., "secret_conn_id": ...}`` each (authoring/webhooks.py).
    webhooks: tuple[dict[str, str], ...] = ()
    # AssetWatchers of the assets in the schedule: ``{"uri", "name", "classpath", "kwargs"}``
    # each (authoring/assets.py); the triggerer runs them (store/asset_watchers.py).
    asset_watchers: tuple[dict[str, Any], ...] = ()

    @cached_property
    def past_dependents(self) -> dict[str, tuple[str, ...]]:
        """For each task whose state in a run matters to the next run, the tasks of the next
        run that wait on it: itself when it ``depends_on_past``, and its direct upstream
        tasks that ``wait_for_downstream``. Empty for most DAGs (nothing to track)."""
        found: dict[str, list[str]] = {}
        for task in self.tasks.values():
            if task.depends_on_past or task.wait_for_downstream:
                found.setdefault(task.task_id, []).append(task.task_id)
            if task.wait_for_downstream:
                for down in self.downstream[task.task_id]:
                    found.setdefault(down, []).append(task.task_id)
        return {task_id: tuple(dict.fromkeys(waiting)) for task_id, waiting in found.items()}

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The task graph: an edge ``a → b`` means b runs after a."""
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_nodes_from(self.tasks)
        for task in self.tasks.values():
            graph.add_edges_from((up, task.task_id) for up in task.upstream)
        return graph

    @cached_property
    def downstream(self) -> dict[str, tuple[str, ...]]:
        return {task_id: tuple(self.graph.successors(task_id)) for task_id in self.tasks}

    @cached_property
    def topological_order(self) -> tuple[str, ...]:
        import networkx as nx

        return tuple(nx.topological_sort(self.graph))

    @cached_property
    def topological_position(self) -> dict[str, int]:
        """Each task's place in ``topological_order``: the planner walks pending tasks by it."""
        return {task_id: i for i, task_id in enumerate(self.topological_order)}

    @cached_property
    def task_index(self) -> dict[str, int]:
        """Declaration order of each task: the tie-breaker when dispatching."""
        return {task_id: i for i, task_id in enumerate(self.tasks)}

    @cached_property
    def leaves(self) -> tuple[str, ...]:
        return tuple(t for t in self.tasks if not self.downstream[t])

    @cached_property
    def run_state_leaves(self) -> tuple[str, ...]:
        """The leaves whose states decide the run's (teardowns left out, Airflow's rule)."""
        return setup_scope.run_state_leaves(self)

    @cached_property
    def indirect_setups(self) -> dict[str, tuple[str, ...]]:
        """For each task in a setup's scope, the setups above it that are not its direct
        upstream: it waits for them to succeed (Airflow's implicit all_success)."""
        return setup_scope.indirect_setups(self)

    @cached_property
    def setup_dependents(self) -> dict[str, tuple[str, ...]]:
        """For each setup, the tasks that have it among their ``indirect_setups``."""
        return setup_scope.setup_dependents(self)

    @cached_property
    def map_sources(self) -> frozenset[str]:
        """Tasks whose return value some mapped task expands over: the Engine counts the
        items of their XCom when they finish."""
        return frozenset(
            source
            for task in self.tasks.values()
            if task.mapping is not None
            for source in mapping_sources(task.mapping)
        )

    @cached_property
    def has_compensations(self) -> bool:
        """Whether a failed run may compensate: checked once per run end, kept cheap."""
        return any(task.has_compensation for task in self.tasks.values())

    @cached_property
    def compensable_descendants(self) -> dict[str, tuple[str, ...]]:
        """For each task with a compensation, the tasks with a compensation below it (at any
        depth): the compensations that must finish before its own may start."""
        import networkx as nx

        order = self.task_index
        return {
            task_id: tuple(
                sorted(
                    (
                        d
                        for d in nx.descendants(self.graph, task_id)
                        if self.tasks[d].has_compensation
                    ),
                    key=order.__getitem__,
                )
            )
            for task_id, task in self.tasks.items()
            if task.has_compensation
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "dag_id": self.dag_id,
            "fileloc": self.fileloc,
            "tasks": [task.to_dict() for task in self.tasks.values()],
            "schedule": self.schedule,
            "timezone": self.timezone,
            "start_date": _iso(self.start_date),
            "end_date": _iso(self.end_date),
            "catchup": self.catchup,
            "max_active_runs": self.max_active_runs,
            "max_active_tasks": self.max_active_tasks,
            "params": self.params,
            "param_specs": self.param_specs,
            "tags": list(self.tags),
            "description": self.description,
            "doc_md": self.doc_md,
            "is_paused_upon_creation": self.is_paused_upon_creation,
            "task_groups": [group.to_dict() for group in self.task_groups.values()],
            "edge_labels": [list(edge) for edge in self.edge_labels],
            "dagrun_timeout_s": self.dagrun_timeout_s,
            "asset_condition": self.asset_condition,
            "callbacks": list(self.callbacks),
            "webhooks": [dict(hook) for hook in self.webhooks],
            "asset_watchers": [dict(watcher) for watcher in self.asset_watchers],
            "deadlines": [dict(alert) for alert in self.deadlines],
            "long_try_callbacks": list(self.long_try_callbacks),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DagSpec:
        data = dict(data)
        tasks = [TaskSpec.from_dict(t) for t in data.pop("tasks")]
        data["tasks"] = {t.task_id: t for t in tasks}
        data["start_date"] = _parse_iso(data.get("start_date"))
        data["end_date"] = _parse_iso(data.get("end_date"))
        data["tags"] = tuple(data.get("tags", ()))
        groups = [TaskGroupSpec.from_dict(g) for g in data.get("task_groups", ())]
        data["task_groups"] = {g.group_id: g for g in groups}
        data["edge_labels"] = tuple(tuple(edge) for edge in data.get("edge_labels", ()))
        data["callbacks"] = tuple(data.get("callbacks", ()))
        data["webhooks"] = tuple(data.get("webhooks", ()))
        data["asset_watchers"] = tuple(data.get("asset_watchers", ()))
        data["deadlines"] = tuple(data.get("deadlines", ()))
        data["long_try_callbacks"] = tuple(data.get("long_try_callbacks", ()))
        return cls(**data)


def mapping_sources(mapping: dict[str, Any]) -> set[str]:
    """The tasks whose return values a ``TaskSpec.mapping`` expands over."""
    sources = [mapping["source"]] if mapping["kind"] == "expand_kwargs" else []
    sources += list(mapping.get("args", {}).values())
    found: set[str] = set()
    while sources:
        source = sources.pop()
        if "xcom" in source:
            found.add(source["xcom"])
        sources += source.get("zip", []) + source.get("concat", [])
    return found


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
