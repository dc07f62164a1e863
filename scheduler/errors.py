"""Every error Baton raises on purpose.

One tree, so callers can catch ``BatonError`` and show its message: each message says what
went wrong, with which value, and how to fix it. The CLI prints it on one line, no traceback.
"""

from __future__ import annotations


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


class RunNotFoundError(BatonError):
    """No run with that run_id exists for the DAG."""


class TaskNotFoundError(BatonError):
    """The DAG has no task with that task_id."""


class IllegalTransitionError(BatonError):
    """A state change that the state machine does not allow (see scheduler.states)."""


class DatabaseNotReadyError(BatonError):
    """The database schema is missing or older than this Baton: run ``baton db migrate``."""


class XComError(BatonError):
    """An XCom value could not be stored or read (for instance it is not JSON-serialisable)."""


class BatonSkipException(BatonError):
    """Raise inside a task to end its try as ``skipped`` (Airflow's AirflowSkipException)."""


class BatonFailException(BatonError):
    """Raise inside a task to fail it at once, without retries (Airflow's AirflowFailException)."""


class BatonTaskTimeout(BatonError):
    """A try ran longer than its operator's ``execution_timeout``."""


class ExecutorError(BatonError):
    """The executor cannot do what was asked: it is not started, or already shut down."""


class ParamValidationError(BatonError):
    """A DAG param's value (its default or the trigger conf's) does not match its schema."""


class TaskExecutionError(BatonError):
    """An operator's work failed, e.g. a shell command exited with a non-zero code."""


class LoaderError(BatonError):
    """The DAG loader process cannot run: it keeps dying before it reports anything."""
