"""DAG objects in a worker, imported once per DAG file version.

A worker runs many tries; importing the file each time would dominate a short task. The
cache key is the file's path and modification time, so an edited file is imported again on
its next try. Failed imports are cached too: the same broken file fails fast.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from scheduler.errors import DagNotFoundError, TaskNotFoundError
from scheduler.loader.importer import ImportResult, import_dag_file

_cache: dict[str, tuple[int, ImportResult]] = {}


def load_file(fileloc: str) -> ImportResult:
    """The import result of ``fileloc``, from the cache while the file is unchanged."""
    path = str(Path(fileloc).resolve())
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError as exc:
        raise DagNotFoundError(
            f"DAG file {path} cannot be read ({exc.strerror}); was it moved or deleted? "
            "Restore it or let the scheduler notice that it is gone"
        ) from None
    cached = _cache.get(path)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    result = import_dag_file(path)
    _cache[path] = (mtime, result)
    return result


def get_dag_and_task(fileloc: str, dag_id: str, task_id: str) -> tuple[Any, Any]:
    """The DAG and the operator a try runs; errors say what is missing and why."""
    result = load_file(fileloc)
    dag = result.dags.get(dag_id)
    if dag is None:
        raise DagNotFoundError(_missing_dag_message(result, dag_id))
    try:
        return dag, dag.get_task(task_id)
    except TaskNotFoundError as exc:
        raise TaskNotFoundError(
            f"{exc} (in {result.path}); the file may have changed since the run was planned"
        ) from None


def clear_cache() -> None:
    """Forget every imported file (tests, and workers that want a fresh start)."""
    _cache.clear()


def _missing_dag_message(result: ImportResult, dag_id: str) -> str:
    if result.errors:
        details = "; ".join(
            f"line {e.lineno}: {e.message}" if e.lineno else e.message for e in result.errors
        )
        return (
            f"DAG file {result.path} failed to import, so DAG '{dag_id}' is unavailable: "
            f"{details}. Fix the file: the next try imports it again"
        )
    known = ", ".join(sorted(result.dags)) or "none"
    return (
        f"DAG '{dag_id}' is not declared in {result.path} (DAGs there: {known}); "
        "was it renamed or moved to another file?"
    )
