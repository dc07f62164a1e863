"""db clean in the Store (store/retention.py), on SQLite and PostgreSQL: what goes, what
stays (recent runs, old runs still active), archives, dry runs, batches, log files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, inspect, select, table, update

from bench.retention_bench import build_history
from scheduler.errors import BatonError
from scheduler.store import retention
from scheduler.store.models import (
    dag_run_table,
    event_table,
    task_instance_table,
    task_try_table,
    xcom_table,
)
from scheduler.store.models_celery import task_log_chunk_table
from scheduler.store.retention import CleanPolicy

NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=30)
BEFORE = NOW - timedelta(days=7)


@pytest.fixture
def history(db: Engine, tmp_path: Path) -> dict[str, list[tuple[str, str]]]:
    logs = tmp_path / "logs"
    return {
        "old": build_history(db, logs, runs=12, tasks=5, ended=OLD),
        "failed": build_history(db, logs, runs=3, tasks=5, ended=OLD, state="failed", prefix="f"),
        "recent": build_history(db, logs, runs=4, tasks=5, ended=NOW, prefix="new"),
        "active": build_history(db, logs, runs=2, tasks=5, ended=OLD, state="running", prefix="a"),
        "queued": build_history(db, logs, runs=1, tasks=5, ended=OLD, state="queued", prefix="q"),
    }


def _policy(tables: list[str] | None = None, **kw: object) -> CleanPolicy:
    return CleanPolicy(BEFORE, retention.parse_tables(tables), stamp="20260101000000", **kw)


def _runs(db: Engine) -> set[str]:
    with db.connect() as c:
        return set(c.execute(select(dag_run_table.c.run_id)).scalars())


def _count(db: Engine, tbl, **where: object) -> int:  # type: ignore[no-untyped-def]
    query = select(func.count()).select_from(tbl)
    for name, value in where.items():
        query = query.where(tbl.c[name].like(value))
    with db.connect() as c:
        return c.execute(query).scalar_one()


def test_clean_removes_old_finished_runs_and_everything_of_theirs(db, history, tmp_path):
    logs = tmp_path / "logs"
    dry = retention.count_old(db, _policy())
    assert dry.rows["dag_run"] == 15 and dry.rows["task_instance"] == 75
    assert dry.rows["task_try"] == dry.rows["xcom"] == dry.rows["task_log_chunk"] == 75
    # two events per instance of the old runs; the active runs' old events stay
    assert dry.rows["event_log"] == 150
    assert dry.log_files == 75
    assert len(_runs(db)) == 22  # the dry run changed nothing

    report = retention.clean(db, _policy(archive=False), logs_folder=logs)

    kept = {r for kind in ("recent", "active", "queued") for _d, r in history[kind]}
    assert _runs(db) == kept
    assert report.rows == dry.rows and report.log_files == 75
    assert _count(db, task_instance_table) == 35
    assert _count(db, task_try_table) == _count(db, xcom_table) == 35
    assert _count(db, task_log_chunk_table) == 35
    assert _count(db, event_table, run_id="old%") == 0
    assert _count(db, event_table, run_id="a%") == 20  # an active run keeps its history
    assert not list(logs.glob("dag_id=history/run_id=old__*"))  # files and empty folders
    assert len(list(logs.rglob("*.log"))) == 35
    assert retention.list_archives(db) == []


def test_archive_tables_keep_the_rows_and_drop_archived_drops_them(db, history, tmp_path):
    report = retention.clean(db, _policy(), logs_folder=tmp_path / "logs")
    archives = retention.list_archives(db)
    assert "_baton_deleted__dag_run__20260101000000" in archives
    assert set(report.archives.values()) == set(archives)
    with db.connect() as c:
        archived = table("_baton_deleted__task_instance__20260101000000")
        assert c.execute(select(func.count()).select_from(archived)).scalar_one() == 75
        columns = {col["name"] for col in inspect(c).get_columns(archived.name)}
    assert {c.name for c in task_instance_table.columns} <= columns
    assert retention.drop_archives(db, frozenset({"event_log"})) == [
        "_baton_deleted__event_log__20260101000000"
    ]
    assert len(retention.drop_archives(db)) == len(archives) - 1
    assert retention.list_archives(db) == []


def test_tables_option_cleans_only_those_rows(db, history, tmp_path):
    report = retention.clean(db, _policy(["xcom"], archive=False), logs_folder=tmp_path / "l")
    assert report.rows == {"xcom": 75}
    assert len(_runs(db)) == 22 and _count(db, task_instance_table) == 110
    assert _count(db, xcom_table) == 35
    # tries take their log chunks and files along, and nothing else
    report = retention.clean(
        db, _policy(["task_try"], archive=False), logs_folder=tmp_path / "logs"
    )
    assert report.rows == {"task_try": 75, "task_log_chunk": 75} and report.log_files == 75
    assert _count(db, task_instance_table) == 110


def test_unknown_table_is_refused_with_the_choices():
    with pytest.raises(BatonError, match=r"cannot clean table.*dag_runs.*choose among.*dag_run"):
        retention.parse_tables(["dag_runs"])


def test_small_batches_hold_the_lock_briefly(db, history, tmp_path):
    report = retention.clean(
        db, _policy(batch_size=10, archive=False), logs_folder=tmp_path / "logs"
    )
    # 15 runs of 6 rows (5 instances + the run) at about 10 per batch; events: 15 batches
    assert report.batches >= 15 + 15
    # Milliseconds each on an idle machine (the figure is docs/operations.md's); the bound
    # only says no batch held the lock for the whole clean, whatever the machine's load.
    assert 0 < report.longest_transaction < 5.0
    assert report.rows["dag_run"] == 15


def test_a_run_reopened_after_it_was_picked_is_left_alone(db, history, tmp_path):
    policy = _policy(archive=False)
    batch = next(retention._batches(db, policy))
    reopened = batch.keys[0][1]
    with db.begin() as c:  # a user clears it: it is queued again before the batch runs
        c.execute(
            update(dag_run_table).where(dag_run_table.c.run_id == reopened).values(state="queued")
        )
    report = retention.CleanReport(BEFORE, dry_run=False)
    retention._clean_runs(db, policy, retention._chosen(policy), batch, report)
    assert reopened in _runs(db)
    assert report.skipped_runs == 1
    assert _count(db, task_instance_table, run_id=reopened) == 5
    assert report.rows["dag_run"] == len(batch.ids) - 1
