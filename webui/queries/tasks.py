"""One task instance: its current row, every try, its XComs and the fields its log says
were rendered (the log itself is read through ``scheduler.api.task_logs``, which masks)."""

from __future__ import annotations

import json
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.store import runs as run_store
from scheduler.store.compensations import COMPENSATE
from scheduler.store.models import TaskInstanceRow, TaskTryRow, xcom_table


def task_instance(
    session: Session, dag_id: str, run_id: str, task_id: str, map_index: int = -1
) -> TaskInstanceRow:
    """The task instance (``map_index``: an instance of a mapped task), or a
    TaskNotFoundError/RunNotFoundError naming what is missing."""
    return run_store.get_task_instance(session, dag_id, run_id, task_id, map_index)


TRY_KINDS = ("task", COMPENSATE)
"""``task_try.kind``: a task's own tries, and the tries of its compensation (sagas)."""


def tries(
    session: Session,
    dag_id: str,
    run_id: str,
    task_id: str,
    kind: str = "task",
    map_index: int = -1,
) -> list[TaskTryRow]:
    """The task's own tries, or with ``kind="compensate"`` its compensation's: two lists
    numbered apart, never mixed (each has its own try 1, log and idempotency key)."""
    return run_store.list_tries(session, dag_id, run_id, task_id, kind, map_index)


def xcoms(
    session: Session, dag_id: str, run_id: str, task_id: str, map_index: int = -1
) -> list[tuple[str, str]]:
    """(key, value pretty-printed as JSON) of the task instance's XComs in this run."""
    x = xcom_table.c
    rows = session.execute(
        select(x.key, x.value)
        .where(
            x.dag_id == dag_id,
            x.run_id == run_id,
            x.task_id == task_id,
            x.map_index == map_index,
        )
        .order_by(x.key)
    )
    return [(key, _pretty(value)) for key, value in rows]


def _pretty(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, sort_keys=True)
    except ValueError:
        return text


_RENDERED = re.compile(r"Rendered (\w+): (.*)$")


def rendered_fields(log_text: str) -> list[tuple[str, str]]:
    """The template fields the runner rendered, as it logged them ("Rendered name: value")."""
    found = []
    for line in log_text.splitlines():
        match = _RENDERED.search(line)
        if match:
            found.append((match.group(1), match.group(2)))
    return found
