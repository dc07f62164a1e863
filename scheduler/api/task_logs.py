"""The one reader of a try's log: the live tail (``log.json``), the task page, the download
(``log.txt``), the REST API and ``baton tasks logs`` all read through ``read_log``.

Whatever they read comes back masked (``scheduler.masking``): the runner masks what it
writes, but it can only hide the secrets it knew when it wrote them (a connection loaded
after the line was printed, a process the runner does not capture), and the reading
process knows no secret it has not loaded itself: ``read_try_log`` registers every stored
connection's and sensitive variable's secrets before it reads (decrypting them again
only when they changed: ``connections.manage.mask_changed_secrets``). Chunks are read with
the known secrets' length of bytes either side, so that a secret a chunk's edge cuts is
hidden too, not shown in halves across two reads.

The file is read on this machine when it is there, else what the try's worker shipped to
the database (a Celery worker on another machine: ``store/shipped_logs.py``), with the same
byte offsets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from scheduler.api.databases import read_database
from scheduler.connections.manage import mask_changed_secrets
from scheduler.masking import redact_bytes, secret_context
from scheduler.settings import Settings
from scheduler.store import shipped_logs
from scheduler.store.db import transaction

LOG_CHUNK = 256 * 1024
"""The most bytes of a log one page or one poll returns; the page offers the rest on demand."""


@dataclass(frozen=True)
class LogChunk:
    text: str  # secrets masked
    start: int  # the byte ``text`` begins at
    offset: int  # where the next read starts
    exists: bool  # False while the try has not opened its log yet
    more: bool  # True if the log has more bytes than this chunk returned


def read_try_log(
    settings: Settings,
    log_path: str | None,
    offset: int = 0,
    limit: int | None = LOG_CHUNK,
    *,
    tail: int | None = None,
) -> LogChunk:
    """``read_log`` of a try's log for a process that has not read the connections and
    variables itself (the web UI, the API, the CLI): their secrets are registered first, so
    that one written raw into the log is hidden too."""
    mask_changed_secrets(settings)
    with transaction(read_database(settings)) as session:
        return read_log(log_path, offset, limit, tail=tail, session=session)


def read_log(
    log_path: str | None,
    offset: int = 0,
    limit: int | None = LOG_CHUNK,
    *,
    tail: int | None = None,
    session: Session | None = None,
) -> LogChunk:
    """Bytes ``offset`` to ``offset + limit`` of a log (``limit=None``: to its end), or with
    ``tail`` its last ``tail`` bytes; decoded leniently and masked. A chunk never ends inside
    a multi-byte character (a writer may be mid-character): the next read continues from
    ``offset``, losing nothing. Without the file here, what was shipped to the database is
    read through ``session`` (without a session: the file only)."""
    source = _source(log_path, session)
    if source is None:
        return LogChunk("", offset, offset, exists=False, more=False)
    size = source.size()
    start = max(0, size - tail) if tail is not None else min(max(offset, 0), size)
    stop = size if limit is None or tail is not None else min(size, start + limit)
    context = secret_context()
    low = max(0, start - context)
    window = source.read(low, min(size, stop + context))
    end = min(stop, low + len(window))  # a file cut short while it was read
    end -= _incomplete_tail(window[start - low : end - low])
    text = redact_bytes(window, start - low, end - low)
    return LogChunk(text, start, end, exists=True, more=end < size)


class _FileLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def size(self) -> int:
        return self.path.stat().st_size

    def read(self, start: int, stop: int) -> bytes:
        with self.path.open("rb") as handle:
            handle.seek(start)
            return handle.read(stop - start)


class _ShippedLog:
    def __init__(self, session: Session, log_path: str, size: int) -> None:
        self.session, self.log_path, self._size = session, log_path, size

    def size(self) -> int:
        return self._size

    def read(self, start: int, stop: int) -> bytes:
        shipped = shipped_logs.read_shipped(self.session, self.log_path, start, stop - start)
        return shipped[0] if shipped else b""


def _source(log_path: str | None, session: Session | None) -> _FileLog | _ShippedLog | None:
    if not log_path:
        return None
    if Path(log_path).is_file():
        return _FileLog(Path(log_path))
    if session is None:
        return None
    size = shipped_logs.shipped_size(session, log_path)
    return None if size is None else _ShippedLog(session, log_path, size)


def _incomplete_tail(data: bytes) -> int:
    """How many bytes at the end of ``data`` start a UTF-8 character that is not complete:
    left for the next read."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return 0
        if byte >= 0xC0:  # a lead byte: how long its character should be
            length = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return back if length > back else 0
    return 0
