"""Finding DAG files: recursion, hidden files, .batonignore, the safe-mode test, snapshots."""

from __future__ import annotations

import os
from pathlib import Path

from scheduler.loader.discovery import FolderSnapshot, find_dag_files, find_python_files
from scheduler.loader.ignore import compile_rule, is_ignored

DAG_TEXT = "from scheduler import DAG\n"


def names(paths: list[Path], root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in paths]


def test_finds_dag_files_recursively_and_skips_hidden_and_pycache(dags, write):
    write("a.py", DAG_TEXT)
    write("team/b.py", DAG_TEXT)
    write("team/deep/c.py", DAG_TEXT)
    write(".hidden.py", DAG_TEXT)
    write(".git/d.py", DAG_TEXT)
    write("__pycache__/e.py", DAG_TEXT)
    write("notes.txt", DAG_TEXT)

    found = find_dag_files(dags)

    assert names(found, dags) == ["a.py", "team/b.py", "team/deep/c.py"]
    assert all(p.is_absolute() for p in found)


def test_missing_folder_has_no_files(tmp_path):
    assert find_dag_files(tmp_path / "nope") == []


def test_safe_mode_needs_dag_and_baton_or_scheduler(dags, write):
    write("airflow_style.py", "from scheduler import DAG\n")
    write("mentions_baton.py", "# a Baton dag, built by a factory\nimport factory\n")
    write("helper.py", "def add(a, b):\n    return a + b\n")
    write("no_dag_word.py", "import scheduler\n")
    write("no_api_word.py", "dag = 1\n")

    assert names(find_dag_files(dags), dags) == ["airflow_style.py", "mentions_baton.py"]


def test_batonignore_patterns_are_relative_to_their_folder(dags, write):
    write(".batonignore", "# comment\n\n*_test.py\nscratch/\n/top_only.py\nlegacy/*.py\n")
    write("keep.py", DAG_TEXT)
    write("x_test.py", DAG_TEXT)
    write("team/y_test.py", DAG_TEXT)
    write("scratch/z.py", DAG_TEXT)
    write("top_only.py", DAG_TEXT)
    write("team/top_only.py", DAG_TEXT)
    write("legacy/old.py", DAG_TEXT)
    write("legacy/sub/kept.py", DAG_TEXT)
    write("team/.batonignore", "wip.py\n")
    write("team/wip.py", DAG_TEXT)
    write("wip.py", DAG_TEXT)

    assert names(find_dag_files(dags), dags) == [
        "keep.py",
        "legacy/sub/kept.py",
        "team/top_only.py",
        "wip.py",
    ]


def test_batonignore_double_star_and_negation(dags, write):
    write(".batonignore", "reports/**\n**/tmp/*.py\ngen_*.py\n!gen_keep.py\n")
    write("reports/a/b.py", DAG_TEXT)
    write("x/tmp/c.py", DAG_TEXT)
    write("tmp/d.py", DAG_TEXT)
    write("gen_one.py", DAG_TEXT)
    write("gen_keep.py", DAG_TEXT)

    assert names(find_dag_files(dags), dags) == ["gen_keep.py"]


def test_ignore_rule_for_folders_only_leaves_files_of_that_name(tmp_path):
    rule = compile_rule(tmp_path, "build/")
    assert rule is not None
    assert is_ignored([rule], tmp_path / "build", is_dir=True)
    assert not is_ignored([rule], tmp_path / "build", is_dir=False)
    assert compile_rule(tmp_path, "   ") is None
    assert compile_rule(tmp_path, "# note") is None


def test_symlink_loop_is_visited_once(dags, write):
    write("real/a.py", DAG_TEXT)
    os.symlink(dags / "real", dags / "real" / "loop")

    assert names(find_python_files(dags), dags) == ["real/a.py"]


def test_snapshot_diff_reports_new_changed_and_deleted(dags, write):
    a = write("a.py", DAG_TEXT)
    b = write("b.py", DAG_TEXT)
    before = FolderSnapshot.take([a, b])
    assert before.diff(FolderSnapshot()) == (sorted([str(a), str(b)]), [])

    a.write_text(DAG_TEXT + "# edited\n")
    b.unlink()
    c = write("c.py", DAG_TEXT)
    after = FolderSnapshot.take([a, b, c])  # b vanished: left out, not an error

    assert after.diff(before) == ([str(a), str(c)], [str(b)])
    assert after.diff(after) == ([], [])


def test_snapshot_sees_a_same_size_edit_through_mtime(dags, write):
    a = write("a.py", DAG_TEXT)
    before = FolderSnapshot.take([a])
    a.write_text(DAG_TEXT.replace("DAG", "dag"))
    os.utime(a, ns=(before.stamps[str(a)][0] + 10**9, before.stamps[str(a)][0] + 10**9))

    assert FolderSnapshot.take([a]).diff(before) == ([str(a)], [])
