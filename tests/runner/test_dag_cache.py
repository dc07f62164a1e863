"""A worker imports a DAG file once per version of the file."""

from __future__ import annotations

import os
from pathlib import Path

from .support import DagFolder, xcom

COUNTING_DAG = """
    from pathlib import Path
    from scheduler import DAG, PythonOperator

    with Path("IMPORTS").open("a") as out:
        out.write("imported\\n")

    with DAG("demo"):
        PythonOperator(task_id="version", python_callable=lambda: VERSION)
"""


def write_version(dags: DagFolder, imports: Path, version: int) -> None:
    source = COUNTING_DAG.replace('"IMPORTS"', repr(str(imports)))
    path = dags.write(source.replace("VERSION", str(version)))
    bumped = path.stat().st_mtime_ns + version * 1_000_000_000  # a distinct mtime per version
    os.utime(path, ns=(bumped, bumped))


def test_a_file_is_imported_once_while_it_is_unchanged(dags: DagFolder, tmp_path: Path) -> None:
    imports = tmp_path / "imports.txt"
    write_version(dags, imports, 1)
    for try_number in (1, 2, 3):
        finished, _ = dags.run("version", try_number=try_number)
        assert xcom(finished) == 1
    assert imports.read_text() == "imported\n"


def test_an_edited_file_is_imported_again(dags: DagFolder, tmp_path: Path) -> None:
    imports = tmp_path / "imports.txt"
    write_version(dags, imports, 1)
    first, _ = dags.run("version")
    write_version(dags, imports, 2)
    second, _ = dags.run("version", try_number=2)
    assert (xcom(first), xcom(second)) == (1, 2)
    assert imports.read_text() == "imported\nimported\n"


def test_a_deleted_file_fails_the_try_with_its_path(dags: DagFolder) -> None:
    finished, log = dags.run("version")
    assert finished.state == "failed"
    assert finished.error.startswith(f"DagNotFoundError: DAG file {dags.folder / 'demo.py'}")
    assert "cannot be read" in log
