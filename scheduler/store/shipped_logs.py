"""Try logs shipped to the database by the workers that wrote them.

Why the database: a Celery worker may run on a machine that shares no disk with the web UI
or the CLI, and the database is the one thing every Baton process already reaches (an
object store would be a new dependency, a log server on each worker a new port to open and
a worker that must stay up for its logs to be readable). The worker appends what its try
wrote while it runs (live tail) and the rest before it reports the try finished, so a
finished try's log is complete. Readers use the local file when there is one (a worker on
the same machine), else these chunks, with the same byte offsets as the file.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from scheduler.store.models_celery import TaskLogChunkRow


def append_chunk(session: Session, log_path: str, offset: int, data: bytes, now: datetime) -> None:
    """Store bytes ``offset`` to ``offset + len(data)`` of the log kept at ``log_path``."""
    if data:
        session.add(TaskLogChunkRow(log_path=log_path, offset=offset, data=data, created_at=now))


def shipped_size(session: Session, log_path: str) -> int | None:
    """How many bytes of the log were shipped; None if none were (no chunk at all)."""
    row = session.execute(
        select(col(TaskLogChunkRow.offset), func.length(col(TaskLogChunkRow.data)))
        .where(col(TaskLogChunkRow.log_path) == log_path)
        .order_by(col(TaskLogChunkRow.offset).desc())
        .limit(1)
    ).first()
    return None if row is None else row[0] + row[1]


def read_shipped(
    session: Session, log_path: str, offset: int = 0, limit: int | None = None
) -> tuple[bytes, int] | None:
    """``(bytes from offset on, at most limit of them, total size)``; None: never shipped."""
    size = shipped_size(session, log_path)
    if size is None:
        return None
    start = min(max(0, offset), size)
    end = size if limit is None else min(size, start + limit)
    rows = session.execute(  # only the chunks that overlap [start, end)
        select(col(TaskLogChunkRow.offset), col(TaskLogChunkRow.data))
        .where(
            col(TaskLogChunkRow.log_path) == log_path,
            col(TaskLogChunkRow.offset) + func.length(col(TaskLogChunkRow.data)) > start,
            col(TaskLogChunkRow.offset) < end,
        )
        .order_by(col(TaskLogChunkRow.offset))
    ).all()
    if not rows:
        return b"", size
    first = rows[0][0]
    data = b"".join(chunk for _, chunk in rows)
    return data[start - first : end - first], size
