"""The one log reader (``scheduler.api.task_logs``): chunks by byte offset that never split
a character, tails, what a worker on another machine shipped to the database, and masking
that holds at a chunk's edges."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from scheduler.api.task_logs import read_log
from scheduler.masking import clear_secrets, mask_secret
from scheduler.store import shipped_logs
from scheduler.store.db import make_engine, transaction
from scheduler.store.migrate import migrate

SECRET = "s3cr3t-token-value"


@pytest.fixture
def secret() -> Iterator[str]:
    mask_secret(SECRET)
    yield SECRET
    clear_secrets()


def test_a_chunk_never_splits_a_character(tmp_path: Path) -> None:
    log = tmp_path / "try.log"
    log.write_bytes("é".encode() * 3)  # 6 bytes
    first = read_log(str(log), 0, limit=3)
    assert first.text == "é" and first.offset == 2 and first.more
    second = read_log(str(log), first.offset, limit=100)
    assert second.text == "éé" and not second.more


def test_a_tail_is_the_last_bytes(tmp_path: Path) -> None:
    log = tmp_path / "try.log"
    log.write_bytes(b"first line\nlast line\n")
    tail = read_log(str(log), limit=None, tail=10)
    assert (tail.text, tail.start, tail.offset, tail.more) == ("last line\n", 11, 21, False)
    whole = read_log(str(log), limit=None, tail=1000)
    assert whole.start == 0 and whole.text == "first line\nlast line\n"


def test_a_missing_log_does_not_exist_yet(tmp_path: Path) -> None:
    assert read_log(None).exists is False
    assert read_log(str(tmp_path / "not-yet.log"), 5).offset == 5


def test_every_read_masks(tmp_path: Path, secret: str) -> None:
    log = tmp_path / "try.log"
    log.write_text(f"before {secret} after\n")
    assert read_log(str(log)).text == "before *** after\n"
    assert read_log(str(log), limit=None, tail=12).text == "*** after\n"


def test_a_secret_cut_by_a_chunk_edge_is_masked_on_both_sides(tmp_path: Path, secret: str) -> None:
    log = tmp_path / "try.log"
    log.write_text(f"line {secret} end\n")
    inside = len("line ") + 6  # both edges of these chunks fall inside the secret
    chunks = [read_log(str(log), 0, limit=inside), read_log(str(log), inside, limit=3)]
    chunks.append(read_log(str(log), chunks[-1].offset))
    texts = [chunk.text for chunk in chunks]
    assert texts == ["line ***", "***", "*** end\n"]
    assert [chunk.offset for chunk in chunks] == [inside, inside + 3, log.stat().st_size]


def test_shipped_chunks_are_read_by_byte_offset(tmp_path: Path) -> None:
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
        assert read_log(elsewhere, limit=None, tail=6, session=session).text == "world\n"
        assert read_log("/never/shipped.log", 0, session=session).exists is False
    assert read_log(elsewhere, 0).exists is False  # without a session: the file only
    engine.dispose()
