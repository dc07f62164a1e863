"""One task instance: its current row, every try, its XComs and the text of a try's log."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.store import runs as run_store
from scheduler.store import shipped_logs
from scheduler.store.compensations import COMPENSATE
from scheduler.store.models import TaskInstanceRow, TaskTryRow, xcom_table

LOG_CHUNK = 256 * 1024
"""The most bytes of a log one page or one poll returns; the page offers the rest on demand."""


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


@dataclass(frozen=True)
class LogChunk:
    text: str
    offset: int  # where the next read starts
    exists: bool  # False while the try has not opened its log yet
    more: bool  # True if the file has more bytes than this chunk returned


def read_log(
    path: str | None, offset: int = 0, limit: int = LOG_CHUNK, session: Session | None = None
) -> LogChunk:
    """Bytes ``offset`` to ``offset + limit`` of a log, decoded leniently (a chunk may cut a
    multi-byte character; the next read continues from the byte offset, never losing data).
    Without the file on this machine, what the try's worker shipped to the database (a
    Celery worker elsewhere), read through ``session``."""
    if not path:
        return LogChunk("", offset, exists=False, more=False)
    if not Path(path).is_file():
        shipped = shipped_logs.read_shipped(session, path, offset, limit) if session else None
        if shipped is None:
            return LogChunk("", offset, exists=False, more=False)
        data, size = shipped
        start = min(max(offset, 0), size)
    else:
        with open(path, "rb") as handle:
            size = handle.seek(0, 2)
            start = min(max(offset, 0), size)
            handle.seek(start)
            data = handle.read(limit)
    data = data[: len(data) - _incomplete_tail(data)]
    end = start + len(data)
    return LogChunk(data.decode("utf-8", "replace"), end, exists=True, more=end < size)


def _incomplete_tail(data: bytes) -> int:
    """How many bytes at the end of ``data`` start a UTF-8 character that is not complete
    (a writer may be mid-character): left for the next read."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return 0
        if byte >= 0xC0:  # a lead byte: how long its character should be
            length = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return back if length > back else 0
    return 0


_RENDERED = re.compile(r"Rendered (\w+): (.*)$")


def rendered_fields(log_text: str) -> list[tuple[str, str]]:
    """The template fields the runner rendered, as it logged them ("Rendered name: value")."""
    found = []
    for line in log_text.splitlines():
        match = _RENDERED.search(line)
        if match:
            found.append((match.group(1), match.group(2)))
    return found
