"""Task and run states, and the only transitions the Store accepts between them.

The arrows follow docs/architecture.md: ``none → scheduled → queued → running → success |
failed | up_for_retry | skipped | upstream_failed``, plus ``deferred`` and the saga states.
User actions (clear, mark success/failed) are arrows too, so the event log explains every
change.
"""

from __future__ import annotations

from enum import StrEnum

from scheduler.errors import IllegalTransitionError


class TaskState(StrEnum):
    NONE = "none"  # created with its run, dependencies not yet met
    SCHEDULED = "scheduled"  # dependencies met, waiting for a free slot
    QUEUED = "queued"  # handed to the executor
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    UP_FOR_RETRY = "up_for_retry"
    # A sensor in mode="reschedule" between two pokes: holding no slot (Airflow's).
    UP_FOR_RESCHEDULE = "up_for_reschedule"
    SKIPPED = "skipped"
    UPSTREAM_FAILED = "upstream_failed"
    DEFERRED = "deferred"
    REMOVED = "removed"  # the task no longer exists in the DAG
    COMPENSATING = "compensating"
    COMPENSATED = "compensated"
    COMPENSATION_FAILED = "compensation_failed"


class RunState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    COMPENSATING = "compensating"
    COMPENSATED = "compensated"
    COMPENSATION_FAILED = "compensation_failed"


T = TaskState
R = RunState

#: States in which a task instance will not change again without a user action.
FINISHED_TASK_STATES = frozenset(
    {T.SUCCESS, T.FAILED, T.SKIPPED, T.UPSTREAM_FAILED, T.REMOVED}
    | {T.COMPENSATED, T.COMPENSATION_FAILED}
)
#: States that hold an executor slot (or are about to).
ACTIVE_TASK_STATES = frozenset({T.QUEUED, T.RUNNING})
FINISHED_RUN_STATES = frozenset({R.SUCCESS, R.FAILED, R.COMPENSATED, R.COMPENSATION_FAILED})

_CLEARABLE = {T.SCHEDULED, T.UP_FOR_RETRY, T.SUCCESS, T.FAILED, T.SKIPPED, T.UPSTREAM_FAILED}
_CLEARABLE |= {T.REMOVED, T.COMPENSATED, T.COMPENSATION_FAILED, T.DEFERRED, T.UP_FOR_RESCHEDULE}

TASK_TRANSITIONS: dict[TaskState, frozenset[TaskState]] = {
    T.NONE: frozenset({T.SCHEDULED, T.SKIPPED, T.UPSTREAM_FAILED, T.REMOVED, T.SUCCESS, T.FAILED}),
    T.SCHEDULED: frozenset(
        {T.QUEUED, T.NONE, T.SKIPPED, T.UPSTREAM_FAILED, T.REMOVED, T.SUCCESS, T.FAILED}
    ),
    # queued → failed/up_for_retry: the worker was lost before it reported the start.
    # queued → deferred/up_for_reschedule: the try's start and end arrived together.
    T.QUEUED: frozenset(
        {T.RUNNING, T.SCHEDULED, T.FAILED, T.UP_FOR_RETRY, T.SUCCESS, T.SKIPPED}
        | {T.DEFERRED, T.UP_FOR_RESCHEDULE}
    ),
    T.RUNNING: frozenset(
        {T.SUCCESS, T.FAILED, T.UP_FOR_RETRY, T.SKIPPED, T.DEFERRED, T.UP_FOR_RESCHEDULE}
    ),
    # deferred/up_for_retry → skipped: the run timed out (dagrun_timeout), as in Airflow.
    # deferred → scheduled: its trigger fired (or timed out), the triggerer resumes it.
    # deferred → none / success / failed: a user cleared or marked it.
    T.DEFERRED: frozenset({T.SCHEDULED, T.FAILED, T.UP_FOR_RETRY, T.SKIPPED, T.NONE, T.SUCCESS}),
    # up_for_reschedule → scheduled: the next poke is due.
    T.UP_FOR_RESCHEDULE: frozenset({T.SCHEDULED, T.NONE, T.FAILED, T.SUCCESS, T.SKIPPED}),
    T.UP_FOR_RETRY: frozenset({T.SCHEDULED, T.NONE, T.FAILED, T.SUCCESS, T.SKIPPED}),
    T.SUCCESS: frozenset({T.NONE, T.FAILED, T.COMPENSATING}),
    # failed → compensating: compensate_on_failure undoes a try that may have acted.
    T.FAILED: frozenset({T.NONE, T.SUCCESS, T.COMPENSATING}),
    T.SKIPPED: frozenset({T.NONE, T.SUCCESS, T.FAILED}),
    T.UPSTREAM_FAILED: frozenset({T.NONE, T.SUCCESS, T.FAILED}),
    T.REMOVED: frozenset({T.NONE}),
    T.COMPENSATING: frozenset({T.COMPENSATED, T.COMPENSATION_FAILED}),
    T.COMPENSATED: frozenset({T.NONE}),
    T.COMPENSATION_FAILED: frozenset({T.NONE, T.COMPENSATING}),
}

RUN_TRANSITIONS: dict[RunState, frozenset[RunState]] = {
    R.QUEUED: frozenset({R.RUNNING, R.FAILED, R.SUCCESS}),
    # running → compensating: the run failed and some succeeded tasks have compensations.
    R.RUNNING: frozenset({R.SUCCESS, R.FAILED, R.QUEUED, R.COMPENSATING}),
    R.SUCCESS: frozenset({R.QUEUED, R.FAILED}),
    R.FAILED: frozenset({R.QUEUED, R.SUCCESS, R.COMPENSATING}),
    R.COMPENSATING: frozenset({R.COMPENSATED, R.COMPENSATION_FAILED}),
    R.COMPENSATED: frozenset({R.QUEUED}),
    R.COMPENSATION_FAILED: frozenset({R.QUEUED, R.COMPENSATING}),
}


#: A compensating task's compensation goes through these phases (stored beside the task's
#: state, in ``task_instance.compensation_state``): ``scheduled → queued → running →
#: success | failed | up_for_retry``, and ``up_for_retry → scheduled`` when the delay is over.
#: ``success``/``failed`` come with the task's move to compensated/compensation_failed.
COMPENSATION_TRANSITIONS: dict[TaskState, frozenset[TaskState]] = {
    T.SCHEDULED: frozenset({T.QUEUED}),
    T.QUEUED: frozenset({T.RUNNING, T.SUCCESS, T.FAILED, T.UP_FOR_RETRY}),
    T.RUNNING: frozenset({T.SUCCESS, T.FAILED, T.UP_FOR_RETRY}),
    T.UP_FOR_RETRY: frozenset({T.SCHEDULED, T.FAILED}),
}


def check_task_transition(old: TaskState | str, new: TaskState | str, what: str = "task") -> None:
    """Raise ``IllegalTransitionError`` unless ``old → new`` is an arrow of the task machine."""
    old, new = TaskState(old), TaskState(new)
    if new not in TASK_TRANSITIONS[old]:
        allowed = ", ".join(sorted(TASK_TRANSITIONS[old])) or "nothing"
        raise IllegalTransitionError(
            f"{what}: cannot go from {old} to {new}; from {old} it may go to: {allowed}"
        )


def check_run_transition(old: RunState | str, new: RunState | str, what: str = "run") -> None:
    """Raise ``IllegalTransitionError`` unless ``old → new`` is an arrow of the run machine."""
    old, new = RunState(old), RunState(new)
    if new not in RUN_TRANSITIONS[old]:
        allowed = ", ".join(sorted(RUN_TRANSITIONS[old])) or "nothing"
        raise IllegalTransitionError(
            f"{what}: cannot go from {old} to {new}; from {old} it may go to: {allowed}"
        )


def check_compensation_transition(
    old: TaskState | str, new: TaskState | str, what: str = "compensation"
) -> None:
    """Raise ``IllegalTransitionError`` unless ``old → new`` is a compensation phase arrow."""
    old, new = TaskState(old), TaskState(new)
    allowed_from = COMPENSATION_TRANSITIONS.get(old, frozenset())
    if new not in allowed_from:
        allowed = ", ".join(sorted(allowed_from)) or "nothing"
        raise IllegalTransitionError(
            f"{what}: cannot go from {old} to {new}; from {old} it may go to: {allowed}"
        )
