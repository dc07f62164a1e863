"""The Runner: one try of one task in the current process (a worker).

``run_try(request)`` imports the DAG file (cached per path and mtime), builds Airflow's
task context, renders the template fields, runs ``execute()`` under the execution timeout
with stdout/stderr captured in the try's log file, and returns a ``TaskFinished``.
"""

from scheduler.runner.context import DagRunInfo, RuntimeTaskInstance, build_context
from scheduler.runner.dag_cache import clear_cache, get_dag_and_task
from scheduler.runner.log_capture import append_log_line, capture_output, format_log_line
from scheduler.runner.run import describe, run_try
from scheduler.runner.templating import create_jinja_env, render_task
from scheduler.runner.timeout import execution_timeout, timeout_message
from scheduler.runner.xcom import (
    RETURN_VALUE_KEY,
    InMemoryXComReader,
    XComReader,
    XComReaderFactory,
    serialize_xcom,
)

__all__ = [
    "RETURN_VALUE_KEY",
    "DagRunInfo",
    "InMemoryXComReader",
    "RuntimeTaskInstance",
    "XComReader",
    "XComReaderFactory",
    "append_log_line",
    "build_context",
    "capture_output",
    "clear_cache",
    "create_jinja_env",
    "describe",
    "execution_timeout",
    "format_log_line",
    "get_dag_and_task",
    "render_task",
    "run_try",
    "serialize_xcom",
    "timeout_message",
]
