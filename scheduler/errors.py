"""Every error Baton raises on purpose.

One tree, so callers can catch ``BatonError`` and show its message: each message says what
went wrong, with which value, and how to fix it. The CLI prints it on one line, no traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class BatonError(Exception):
    """Base class of Baton's own errors; its message is meant for the user."""


class ConfigError(BatonError):
    """A setting (environment variable or baton.toml) has a value Baton cannot use."""


class DagDefinitionError(BatonError):
    """A DAG file declares something invalid: a cycle, a duplicate task_id, a bad argument.

    ``location`` is ``"path:line"`` of the offending statement in the DAG file when known.
    """

    def __init__(self, message: str, location: str | None = None) -> None:
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class CycleError(DagDefinitionError):
    """The task dependencies of a DAG form a cycle."""


class DuplicateTaskIdError(DagDefinitionError):
    """Two tasks in one DAG share a task_id."""


class InvalidTriggerRuleError(DagDefinitionError):
    """A task names a trigger rule that does not exist."""


class InvalidScheduleError(DagDefinitionError):
    """A DAG's schedule is neither a cron string, a preset, a timedelta nor None."""


class DagNotFoundError(BatonError):
    """No DAG with that dag_id is known (the file may have an import error)."""


class DagVersionNotFoundError(BatonError):
    """The DAG has no version with that version_number."""


class RunNotFoundError(BatonError):
    """No run with that run_id exists for the DAG."""


class TaskNotFoundError(BatonError):
    """The DAG has no task with that task_id."""


class IllegalTransitionError(BatonError):
    """A state change that the state machine does not allow (see scheduler.states)."""


class ConcurrentChangeError(IllegalTransitionError):
    """A state was no longer what this process read a moment before: another scheduler, the
    CLI or the web UI changed it first. Expected with several writers; the caller reloads
    and decides again (``scheduler/store/races.py``)."""


class DatabaseNotReadyError(BatonError):
    """The database schema is missing or older than this Baton: run ``baton db migrate``."""


class XComError(BatonError):
    """An XCom value could not be stored or read (for instance it is not JSON-serialisable)."""


class BatonSkipException(BatonError):
    """Raise inside a task to end its try as ``skipped`` (Airflow's AirflowSkipException)."""


class DownstreamTasksSkipped(BatonError):
    """Raised by a task (a branch, a short circuit) to end its try as ``success`` and have
    the scheduler skip ``tasks`` (task ids of its run) that have not started yet.

    Airflow 3's ``DownstreamTasksSkipped``: the skip happens in the scheduler, in the same
    transaction as the try's result, and then spreads through trigger rules as usual.
    """

    def __init__(self, *, tasks: Iterable[str]) -> None:
        self.tasks = tuple(dict.fromkeys(tasks))
        super().__init__(f"skipping downstream tasks: {', '.join(self.tasks) or 'none'}")


class BranchError(BatonError):
    """A branch chose what it cannot follow: not a task id, or a task that is not directly
    downstream of it. The message lists the valid choices."""


class BatonFailException(BatonError):
    """Raise inside a task to fail it at once, without retries (Airflow's AirflowFailException)."""


class BatonTaskTimeout(BatonError):
    """A try ran longer than its operator's ``execution_timeout``."""


class ExecutorError(BatonError):
    """The executor cannot do what was asked: it is not started, or already shut down."""


class ParamValidationError(BatonError):
    """A DAG param's value (its default or the trigger conf's) does not match its schema.

    ``field`` is the param (``"n"``, or ``"cfg.retries"`` inside an object) when the error
    is about one; the REST API answers it as ``"conf.<field>"``.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class ConfLimitError(BatonError):
    """A run's conf (or another JSON input) is nested deeper or is larger than its limit
    (``BATON_MAX_CONF_DEPTH``, ``BATON_MAX_CONF_SIZE``); ``field`` names the input."""

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class WebhookNotFoundError(BatonError):
    """No active DAG declares a webhook of that name (``DAG(webhooks=[Webhook(name, ...)])``)."""


class WebhookAuthError(BatonError):
    """A webhook delivery whose signature or timestamp does not check out (HTTP 401)."""


class WebhookReplayError(BatonError):
    """A webhook delivery already received: the same signature, within the replay window."""


class TaskExecutionError(BatonError):
    """An operator's work failed, e.g. a shell command exited with a non-zero code."""


class LoaderError(BatonError):
    """The DAG loader process cannot run: it keeps dying before it reports anything."""


class AuthError(BatonError):
    """A web UI / API security request cannot be honoured: bad credentials, a weak password."""


class UserExistsError(AuthError):
    """A user with that user name already exists."""


class UserNotFoundError(AuthError):
    """No user with that user name exists."""


class LoginThrottledError(AuthError):
    """Too many wrong passwords from one address or for one account in a short time:
    ``retry_after`` is how many seconds to wait (``scheduler/store/login_throttle.py``)."""

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BatonSensorTimeout(BatonFailException):
    """A sensor's condition was not met within its ``timeout``; the task fails without retry.

    With ``soft_fail=True`` the sensor is skipped instead (Airflow's AirflowSensorTimeout).
    """


class TaskDeferralTimeout(BatonError):
    """A deferred task's ``timeout`` passed before its trigger fired: the try fails (and
    retries, if it has retries left), as Airflow's TaskDeferralTimeout."""


class BatonRescheduleException(BatonError):
    """Raised by a sensor in ``mode="reschedule"``: end this poke, give the worker slot back
    and poke again at ``reschedule_date`` (Airflow's AirflowRescheduleException)."""

    def __init__(self, reschedule_date: Any) -> None:
        super().__init__(f"rescheduled to {reschedule_date}")
        self.reschedule_date = reschedule_date


class ConnectionNotFoundError(BatonError):
    """No connection with that conn_id: neither a ``BATON_CONN_<ID>`` variable nor a stored one."""


class InvalidConnectionError(BatonError):
    """A connection URI or JSON (from the CLI or a ``BATON_CONN_*`` variable) cannot be parsed."""


class VariableNotFoundError(BatonError, KeyError):
    """No variable with that key (a ``KeyError`` too, as Airflow's ``Variable.get`` raises)."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else ""


class FernetKeyError(BatonError):
    """The encryption key of connections and variables is invalid or cannot decrypt them."""


class PluginError(BatonError):
    """A plugin declares something invalid (its errors are reported, never raised at load)."""


class BreakerConfigError(BatonError):
    """A connection's ``breaker_*`` extras hold a value the circuit breaker cannot use."""


class CircuitOpenError(BatonError):
    """A connection's circuit breaker is open: the call failed fast, the service untouched.

    Retryable: the task's retries apply. ``conn_id``, ``opened_at`` and ``half_open_at``
    say which breaker and when it lets a probe call through.
    """

    def __init__(
        self,
        message: str,
        conn_id: str = "",
        opened_at: object = None,
        half_open_at: object = None,
    ) -> None:
        super().__init__(message)
        self.conn_id = conn_id
        self.opened_at = opened_at
        self.half_open_at = half_open_at


class CircuitStillOpenError(CircuitOpenError):
    """``breaker_when_open="wait"``: the try waited its longest and the circuit is still open;
    it fails as retryable so that its retries run after the cool-down."""


class BreakerNotFoundError(BatonError):
    """No circuit breaker exists for that connection (no call through it has ended yet)."""


class InvalidRunIdError(BatonError):
    """A run id outside the allowed characters or length (``scheduler/run_ids.py``)."""


class BackfillNotFoundError(BatonError):
    """No backfill has that id (``baton backfill list`` shows the ones that do)."""


class InvalidBackfillError(BatonError):
    """A backfill that cannot be created as asked: dates out of order, a DAG without a
    time-based schedule, an unknown reprocess behaviour, no logical date in the range."""


class BackfillConflictError(BatonError):
    """A backfill request that contradicts what exists: a second active backfill of the
    same DAG (Airflow's AlreadyRunningBackfill), or cancelling one that has ended."""


class PoolNotFoundError(BatonError):
    """No pool of that name exists (``baton pools list`` shows the ones that do)."""


class AssetNotFoundError(BatonError):
    """No asset has that id or URI (``baton assets list`` shows the ones that do)."""


class InvalidAssetEventError(BatonError):
    """An asset event that cannot be recorded as given (its extra is not a JSON object...)."""


class PoolConflictError(BatonError):
    """A pool change that contradicts what exists: deleting ``default_pool`` or a pool that
    tasks of active DAGs use."""


class HITLDetailNotFoundError(BatonError):
    """The task instance asks no human-in-the-loop question (it is not a HITL task, or it
    has not started waiting yet); ``baton hitl list`` shows the pending ones."""


class HITLResponseError(BatonError):
    """An answer that does not fit the question: an option it does not offer, several
    options where one is asked, or params input its params reject."""


class HITLConflictError(BatonError):
    """The question was answered already (by a person or by its timeout's defaults)."""


class HITLForbiddenError(BatonError):
    """The user may not answer: below the Op role, or not among the task's
    ``assigned_users``."""


class HITLTimeoutError(BatonError):
    """A human-in-the-loop task timed out (``execution_timeout``) without an answer and
    without ``defaults`` to take instead (Airflow's)."""


class HITLTriggerEventError(BatonError):
    """The trigger of a human-in-the-loop task reported an error instead of an answer."""


class HITLRejectException(BatonError):
    """``ApprovalOperator(fail_on_reject=True)`` was answered "Reject" (Airflow's)."""


class NotSupportedYetError(BatonError, ImportError):
    """``from scheduler import NAME`` of an Airflow name Baton does not implement yet.

    An ``ImportError``, as a missing name is for ``from ... import``; the message says which
    Airflow feature it is, so the import error of the DAG file tells the user what is missing.
    """


class NoCurrentContextError(BatonError, RuntimeError):
    """``get_current_context()`` was called outside a running task (Airflow raises a
    ``RuntimeError`` there too)."""


# Airflow's names for the same exceptions: ``raise AirflowSkipException`` in a DAG file works
# unchanged, and ``except AirflowException`` catches Baton's own errors, as it would Airflow's.
AirflowException = BatonError
AirflowSkipException = BatonSkipException
AirflowFailException = BatonFailException
AirflowSensorTimeout = BatonSensorTimeout
AirflowTaskTimeout = BatonTaskTimeout
AirflowRescheduleException = BatonRescheduleException


class InvalidPoolError(BatonError):
    """A pool name or slot count that cannot be stored (the message says what to write)."""


class RateLimitConfigError(BatonError):
    """A ``rate_limit`` value (connection extra, pool) that is not ``N/s``, ``N/m`` or ``N/h``."""


class RateLimitTimeoutError(BatonError):
    """A call could not get a token of its rate limit within its timeout. Retryable: the
    task's retries apply, by when the bucket has refilled."""


class ThrottleConfigError(BatonError):
    """A connection's ``adaptive*`` extras hold a value adaptive throttling cannot use."""


class ThrottleTimeoutError(BatonError):
    """A call waited longer than ``adaptive_timeout_s`` for its turn under the connection's
    adaptive rate (or its ``Retry-After``). Retryable: the task's retries apply."""
