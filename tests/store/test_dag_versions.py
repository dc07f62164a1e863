"""DAG versions in the Store, on SQLite and PostgreSQL: written on change only, runs pinned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.errors import DagVersionNotFoundError
from scheduler.spec import DagSpec, TaskSpec
from scheduler.store import dag_versions
from scheduler.store import dags as dag_store
from scheduler.store import runs as run_store
from scheduler.store.db import transaction
from scheduler.store.runs import NewRun

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _spec(path: Path, *task_ids: str) -> DagSpec:
    return DagSpec(
        dag_id="orders",
        fileloc=str(path),
        tasks={t: TaskSpec(t, "PythonOperator") for t in task_ids},
    )


def _sync(db, spec: DagSpec, now: datetime = NOW) -> None:
    with transaction(db) as session:
        dag_store.sync_file(session, spec.fileloc, [spec], [], now=now, paused_at_creation=False)


def _numbers(db) -> list[tuple[int, str]]:
    with transaction(db) as session:
        return [
            (v.version_number, v.source_code) for v in dag_versions.list_versions(session, "orders")
        ]


def test_versions_change_with_the_spec_or_the_file_only(db, tmp_path: Path) -> None:
    path = tmp_path / "orders.py"
    path.write_text("# v1\n")
    _sync(db, _spec(path, "a"))
    _sync(db, _spec(path, "a"), NOW + timedelta(minutes=1))  # unchanged: no new version
    assert _numbers(db) == [(1, "# v1\n")]
    path.write_text("# v2: a comment only\n")  # the code changed, the structure did not
    _sync(db, _spec(path, "a"))
    _sync(db, _spec(path, "a", "b"))  # the structure changed, the file did not
    assert _numbers(db) == [
        (1, "# v1\n"),
        (2, "# v2: a comment only\n"),
        (3, "# v2: a comment only\n"),
    ]
    with transaction(db) as session:
        third = dag_versions.get_version(session, "orders", 3)
        assert [t["task_id"] for t in third.spec["tasks"]] == ["a", "b"]
        assert (
            len(third.file_hash) == 64
            and third.spec_hash != dag_versions.get_version(session, "orders", 2).spec_hash
        )
        with pytest.raises(DagVersionNotFoundError, match="baton dags versions orders"):
            dag_versions.get_version(session, "orders", 4)


def test_a_run_records_the_version_current_when_it_was_created(db, tmp_path: Path) -> None:
    path = tmp_path / "orders.py"
    path.write_text("# v1\n")
    spec = _spec(path, "a")
    _sync(db, spec)

    def run(run_id: str) -> int | None:
        new = NewRun(run_id, "manual", NOW, NOW, NOW, {})
        with transaction(db) as session:
            return run_store.create_run(session, spec, new, source="test", now=NOW).dag_version_id

    first = run("r1")
    path.write_text("# v2\n")
    _sync(db, spec)
    second = run("r2")
    with transaction(db) as session:
        assert dag_versions.get_version_by_id(session, first).version_number == 1
        assert dag_versions.get_version_by_id(session, second).version_number == 2


def test_pinned_specs_are_those_of_versions_no_longer_the_latest(db, tmp_path: Path) -> None:
    path = tmp_path / "orders.py"
    path.write_text("# v1\n")
    _sync(db, _spec(path, "a"))
    _sync(db, _spec(path, "a", "b"))
    with transaction(db) as session:
        first, second = dag_versions.list_versions(session, "orders")
        pinned = dag_versions.pinned_specs(session, [first.id, second.id])
    assert list(pinned) == [first.id]  # the latest one is the catalog's spec already
    assert list(pinned[first.id].tasks) == ["a"]
