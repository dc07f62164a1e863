"""A dag_id declared by two files: the first keeps it, the other is told, hand-over on delete."""

from __future__ import annotations

from datetime import UTC, datetime

from scheduler.loader.ownership import DagOwnership
from scheduler.loader.results import FileResult
from scheduler.spec import DagSpec, TaskSpec


def result(path: str, *dag_ids: str) -> FileResult:
    dags = [DagSpec(dag_id, path, {"t": TaskSpec("t", "PythonOperator")}) for dag_id in dag_ids]
    return FileResult(path, 1, dags, [], 0.01, datetime.now(UTC))


def dag_ids(result: FileResult) -> list[str]:
    return [spec.dag_id for spec in result.dags]


def test_the_second_file_declaring_a_dag_id_gets_an_error_naming_both():
    owners = DagOwnership()
    [a] = owners.update(result("/d/a.py", "shared", "only_a"))
    assert dag_ids(a) == ["shared", "only_a"]

    [b] = owners.update(result("/d/b.py", "shared", "only_b"))

    assert dag_ids(b) == ["only_b"]
    [error] = b.errors
    assert error.filename == "/d/b.py"
    assert "'shared'" in error.message
    assert "/d/a.py" in error.message and "/d/b.py" in error.message
    assert owners.effective("/d/a.py").errors == []


def test_deleting_the_owner_hands_the_dag_to_the_other_file():
    owners = DagOwnership()
    owners.update(result("/d/a.py", "shared"))
    owners.update(result("/d/b.py", "shared"))

    reissued = owners.remove(["/d/a.py"])

    assert [(r.path, dag_ids(r), r.errors) for r in reissued] == [("/d/b.py", ["shared"], [])]
    assert [r.path for r in owners.effective_results()] == ["/d/b.py"]


def test_an_owner_that_drops_the_dag_id_hands_it_over_too():
    owners = DagOwnership()
    owners.update(result("/d/a.py", "shared"))
    owners.update(result("/d/c.py", "shared"))
    owners.update(result("/d/b.py", "shared"))

    changed = owners.update(result("/d/a.py", "renamed"))

    assert [(r.path, dag_ids(r)) for r in changed] == [
        ("/d/a.py", ["renamed"]),
        ("/d/b.py", ["shared"]),  # the first remaining claimant by path
        ("/d/c.py", []),
    ]
    assert "/d/b.py" in changed[2].errors[0].message


def test_a_file_reparsed_keeps_the_dag_it_owns():
    owners = DagOwnership()
    owners.update(result("/d/b.py", "shared"))
    owners.update(result("/d/a.py", "shared"))

    [again] = owners.update(result("/d/b.py", "shared"))

    assert dag_ids(again) == ["shared"]
    assert dag_ids(owners.effective("/d/a.py")) == []
