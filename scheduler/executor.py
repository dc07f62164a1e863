"""The executor interface: how the Engine hands tries to workers and hears back.

Implementations live in ``scheduler/executors/``. An executor runs tries somewhere (worker
processes, a Celery cluster, the current process) and reports what happened as events. The
Engine waits on ``wait_handles()`` together with its other event sources, so a result is acted
on the moment it arrives — there is no polling sleep.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from scheduler.deferral import Deferral, Reschedule, Resume


class TryKey(NamedTuple):
    """One try of one task instance. ``compensation`` tries undo a succeeded task (sagas)
    and are numbered on their own: try 1 of the compensation of ``charge`` is
    ``.../charge/compensate#1``. ``map_index`` is Airflow's: -1 unless the task is mapped."""

    dag_id: str
    run_id: str
    task_id: str
    try_number: int
    compensation: bool = False
    map_index: int = -1

    @property
    def idempotency_key(self) -> str:
        """The task instance's key, the same for every try (``dag_id/run_id/task_id``, plus
        ``/map_index`` when mapped, plus ``/compensate`` for its compensation): a service
        that saw it already applied the effect, so a retry after a timeout applies nothing
        twice. The try number travels separately (``try_number`` in the context)."""
        index = f"/{self.map_index}" if self.map_index >= 0 else ""
        kind = "/compensate" if self.compensation else ""
        return f"{self.dag_id}/{self.run_id}/{self.task_id}{index}{kind}"

    @property
    def label(self) -> str:
        """The try itself, for logs: the idempotency key and ``#try_number``."""
        return f"{self.idempotency_key}#{self.try_number}"

    @property
    def instance(self) -> tuple[str, int]:
        """The task instance this try belongs to, as the Engine keys it."""
        return (self.task_id, self.map_index)


@dataclass(frozen=True)
class TaskRequest:
    """Everything a worker needs to run one try, without the scheduler's memory."""

    dag_id: str
    task_id: str
    run_id: str
    try_number: int
    fileloc: str
    log_path: str
    logical_date: datetime
    data_interval_start: datetime
    data_interval_end: datetime
    run_type: str = "manual"
    conf: dict[str, Any] = field(default_factory=dict)
    execution_timeout_s: float | None = None
    database_url: str | None = None  # where xcom_pull reads from
    # Run the task's ``compensate`` instead of the task (its saga is being undone).
    compensation: bool = False
    map_index: int = -1  # which instance of a mapped task
    queue: str = "default"  # the task's queue= (the Celery queue its worker consumes)
    # A resumed try (scheduler/deferral.py): the method to call instead of execute and its
    # kwargs (a deferred task's), or when a rescheduled sensor first poked.
    resume: Resume | None = None

    @property
    def key(self) -> TryKey:
        return TryKey(
            self.dag_id,
            self.run_id,
            self.task_id,
            self.try_number,
            self.compensation,
            self.map_index,
        )


@dataclass(frozen=True)
class TaskStarted:
    key: TryKey
    started_at: datetime
    pid: int
    hostname: str


@dataclass(frozen=True)
class TaskFinished:
    """The outcome of one try.

    ``state`` is ``"success"``, ``"failed"`` or ``"skipped"``. ``retryable`` is False when the
    task asked to fail without retries (``BatonFailException``). ``xcoms`` holds
    ``(key, json_text)`` pairs: the return value under ``"return_value"`` and every
    ``xcom_push``; the Engine stores them in the same transaction as the state. Secrets in
    them are masked; ``sealed_xcoms`` holds ``(key, token)``: the encrypted originals of
    those that had one (``runner/xcom_seal.py``).
    ``skip_tasks`` are task ids of the run that the try asked to skip (a branch not taken,
    a short circuit): the Engine skips those not started yet, in the same transaction.
    ``lost`` says the try was lost to the infrastructure, not failed by its task: its
    worker was killed from outside (SIGKILL/SIGTERM it did not send itself) or stopped
    heartbeating. The Engine re-runs it at once without using up a retry, up to
    ``BATON_LOST_TRY_LIMIT`` times.
    """

    key: TryKey
    state: str
    started_at: datetime | None
    ended_at: datetime
    error: str | None = None
    retryable: bool = True
    xcoms: tuple[tuple[str, str], ...] = ()
    sealed_xcoms: tuple[tuple[str, str], ...] = ()
    skip_tasks: tuple[str, ...] = ()
    lost: bool = False
    # state "deferred" (Deferral) or "up_for_reschedule" (Reschedule): the slot is given back.
    deferral: Deferral | Reschedule | None = None
    # A succeeded try's asset events (runner/assets.py): uri, name, group, extra, alias.
    outlet_events: tuple[dict[str, Any], ...] = ()


ExecutorEvent = TaskStarted | TaskFinished


class Executor(ABC):
    """Five verbs; see docs/architecture.md."""

    @abstractmethod
    def start(self) -> None:
        """Start workers (or connect to the cluster)."""

    @abstractmethod
    def submit(self, request: TaskRequest) -> None:
        """Run one try. Never blocks on the try itself (except the inline executor)."""

    @abstractmethod
    def cancel(self, key: TryKey) -> None:
        """Stop a try if it is running; its ``TaskFinished`` reports ``failed``."""

    @abstractmethod
    def wait_handles(self) -> list[Any]:
        """Objects ``multiprocessing.connection.wait`` can wait on; ready means events."""

    @abstractmethod
    def collect(self) -> list[ExecutorEvent]:
        """Return the events that arrived since the last call, without blocking."""

    @abstractmethod
    def shutdown(self, wait: bool = True) -> None:
        """Stop every worker; with ``wait`` let running tries finish first."""

    @property
    @abstractmethod
    def free_slots(self) -> int:
        """How many more tries ``submit`` can start right now."""

    def detach(self) -> list[TryKey]:
        """Stop, as the scheduler does when it exits, leaving running the tries that can
        outlive this process (a scheduler that takes over adopts them); return those.
        By default none can: this is ``shutdown(wait=False)``."""
        self.shutdown(wait=False)
        return []

    def try_adopt_task_instances(self, keys: list[TryKey]) -> list[TryKey]:
        """Take over tries another scheduler (now gone) had in flight, as Airflow's method
        of that name: the executor reports their events from now on. Returns the keys it
        could not adopt (their worker is gone with that scheduler): the Engine re-runs
        those. An executor whose workers die with their scheduler adopts nothing."""
        return list(keys)
