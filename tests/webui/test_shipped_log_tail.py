"""The task instance page's log and live tail read what a worker on another machine
shipped to the database when the log file is not on the web UI's disk."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from scheduler.store import shipped_logs
from scheduler.store.db import make_engine, transaction
from scheduler.store.migrate import migrate
from webui.queries.tasks import read_log


def test_the_tail_follows_shipped_chunks_by_byte_offset(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'baton.db'}")
    migrate(engine)
    elsewhere = "/on/the/worker/logs/dag_id=d/run_id=r/task_id=t/attempt=1.log"
    now = datetime.now(UTC)
    with transaction(engine) as session:
        shipped_logs.append_chunk(session, elsewhere, 0, "héllo\n".encode(), now)
    with Session(engine) as session:
        first = read_log(elsewhere, 0, limit=2, session=session)  # cuts "é" in two
        assert (first.text, first.offset, first.exists, first.more) == ("h", 1, True, True)
        rest = read_log(elsewhere, first.offset, session=session)
        assert (rest.text, rest.offset, rest.more) == ("éllo\n", 7, False)
    with transaction(engine) as session:  # the try goes on writing
        shipped_logs.append_chunk(session, elsewhere, 7, b"world\n", now)
    with Session(engine) as session:
        assert read_log(elsewhere, 7, session=session).text == "world\n"
        assert read_log("/never/shipped.log", 0, session=session).exists is False
    assert read_log(elsewhere, 0).exists is False  # without a session: the file only
    engine.dispose()
