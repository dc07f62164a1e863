"""``.batonignore`` through pathspec: negations, folder patterns, escapes, git as the oracle."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

import pytest

from scheduler.loader.discovery import find_python_files
from scheduler.loader.ignore import compile_rule, read_ignore_file

DAG_TEXT = "from scheduler import DAG\n"


def found(dags: Path) -> list[str]:
    return [p.relative_to(dags).as_posix() for p in find_python_files(dags)]


def test_the_last_matching_pattern_wins(dags, write):
    write(".batonignore", "gen_*.py\n!gen_keep*.py\ngen_keep_not.py\n")
    for name in ("gen_a.py", "gen_keep.py", "gen_keep_not.py", "other.py"):
        write(name, DAG_TEXT)

    assert found(dags) == ["gen_keep.py", "other.py"]


def test_a_deeper_batonignore_re_includes_what_a_folder_above_excluded(dags, write):
    write(".batonignore", "*_wip.py\n")
    write("team/.batonignore", "!ready_wip.py\n")
    for name in ("a_wip.py", "team/b_wip.py", "team/ready_wip.py", "ready_wip.py"):
        write(name, DAG_TEXT)

    assert found(dags) == ["team/ready_wip.py"]


def test_an_ignored_folder_is_not_entered_so_nothing_below_comes_back(dags, write):
    write(".batonignore", "build/\n!build/keep.py\n")
    write("build/keep.py", DAG_TEXT)
    write("build/other.py", DAG_TEXT)

    assert found(dags) == []


def test_double_star_suffix_ignores_the_contents_not_the_folder(dags, write):
    # git: "a trailing /** matches everything inside" — the folder is entered, so a file
    # inside can be re-included; a sub-folder is itself "inside" and stays out.
    write(".batonignore", "reports/**\n!reports/keep.py\n")
    write("reports/keep.py", DAG_TEXT)
    write("reports/drop.py", DAG_TEXT)
    write("reports/sub/keep.py", DAG_TEXT)

    assert found(dags) == ["reports/keep.py"]


def test_a_folders_only_pattern_leaves_a_file_of_that_name(dags, write):
    write(".batonignore", "cache.py/\n")
    write("cache.py/x.py", DAG_TEXT)
    write("deep/cache.py/y.py", DAG_TEXT)
    write("cache.py.py", DAG_TEXT)
    write("other/cache.py", DAG_TEXT)

    assert found(dags) == ["cache.py.py", "other/cache.py"]


def test_negating_a_folder_re_includes_it(dags, write):
    write(".batonignore", "tmp*/\n!tmp_kept/\n")
    write("tmp1/a.py", DAG_TEXT)
    write("tmp_kept/b.py", DAG_TEXT)

    assert found(dags) == ["tmp_kept/b.py"]


def test_double_star_in_the_middle_matches_zero_or_more_folders(dags, write):
    write(".batonignore", "a/**/b.py\n")
    for name in ("a/b.py", "a/x/b.py", "a/x/y/b.py", "a/c.py", "z/a/b.py"):
        write(name, DAG_TEXT)

    assert found(dags) == ["a/c.py", "z/a/b.py"]


def test_star_and_question_mark_and_classes_stay_within_one_folder(dags, write):
    write(".batonignore", "/x*.py\nv?.py\ntest_[pr]*.py\n")
    for name in ("x1.py", "sub/x2.py", "v1.py", "v10.py", "test_p.py", "test_q.py"):
        write(name, DAG_TEXT)

    assert found(dags) == ["sub/x2.py", "test_q.py", "v10.py"]


def test_escaped_hash_and_bang_are_literal_names(dags, write):
    write(".batonignore", "\\#odd.py\n\\!bang.py\n# a comment.py\n")
    for name in ("#odd.py", "!bang.py", "a comment.py"):
        write(name, DAG_TEXT)

    assert found(dags) == ["a comment.py"]


def test_a_line_that_is_no_pattern_is_skipped_with_a_warning(dags, write, caplog):
    write(".batonignore", "!\n/\nskip_me.py\n")
    write("skip_me.py", DAG_TEXT)
    write("keep.py", DAG_TEXT)

    with caplog.at_level(logging.WARNING, logger="scheduler.loader.ignore"):
        rules = read_ignore_file(dags)

    assert [rule.pattern for rule in rules] == ["skip_me.py"]
    assert found(dags) == ["keep.py"]
    messages = [r.getMessage() for r in caplog.records]
    assert any(".batonignore:1: skipped: '!' is not a gitignore pattern" in m for m in messages)
    assert any(".batonignore:2: skipped: the pattern '/' matches nothing" in m for m in messages)


def test_compile_rule_raises_for_an_invalid_pattern(tmp_path):
    with pytest.raises(ValueError, match="escape a literal"):
        compile_rule(tmp_path, "!")
    assert compile_rule(tmp_path, "  # indented comment") is None


GIT_TREE = {
    ".batonignore": "*.tmp.py\nbuild/\n/top_only.py\nreports/**\n!reports/keep.py\n"
    "lib/**/gen_*.py\n!lib/**/gen_keep.py\n[ab]?.py\n",
    "team/.batonignore": "!ok.tmp.py\nwip/\n",
    "files": [
        "keep.py", "x.tmp.py", "team/ok.tmp.py", "team/no.tmp.py", "build/a.py",
        "team/build/b.py", "top_only.py", "team/top_only.py", "reports/keep.py",
        "reports/drop.py", "reports/sub/x.py", "lib/gen_1.py", "lib/q/gen_2.py",
        "lib/q/r/gen_keep.py", "lib/plain.py", "a1.py", "b22.py", "c1.py",
        "team/wip/w.py", "wip/w.py",
    ],
}  # fmt: skip


@pytest.mark.skipif(shutil.which("git") is None, reason="git is the oracle of this test")
def test_the_same_files_as_git_with_the_same_patterns(dags, write):
    for name in GIT_TREE["files"]:
        write(name, DAG_TEXT)
    for ignore in (".batonignore", "team/.batonignore"):
        write(ignore, GIT_TREE[ignore])
        write(ignore.replace(".batonignore", ".gitignore"), GIT_TREE[ignore])
    subprocess.run(["git", "init", "-q", str(dags)], check=True)
    listed = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard"],
        cwd=dags,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()

    by_git = sorted(name for name in listed if name.endswith(".py"))
    assert found(dags) == by_git
    assert "reports/keep.py" in by_git and "lib/q/r/gen_keep.py" in by_git  # the oracle bites
