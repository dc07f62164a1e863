"""mypy holds: the whole tree is clean, the public API under its strict flags.

The whole-tree run uses mypy's incremental cache (.mypy_cache), so it is slow only the first
time; how the check reads mypy's output is tested in process on mypy-shaped output."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("check_types", ROOT / "tools" / "check_types.py")
assert _spec is not None and _spec.loader is not None
check_types = importlib.util.module_from_spec(_spec)
sys.modules["check_types"] = check_types  # dataclasses look their module up there
_spec.loader.exec_module(check_types)

OUTPUT = """\
scheduler/store/runs.py:10: error: "bool" has no attribute "in_"  [attr-defined]
scheduler/store/runs.py:12: note: See https://mypy.rtfd.io
scheduler/store/runs.py:20: error: Argument 1 to "where" has incompatible type "bool"  [arg-type]
scheduler/engine/live.py:5: error: Need type annotation for "seen"  [var-annotated]
"""


def test_the_tree_has_no_type_error() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "check_types.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "mypy: clean"


def test_errors_are_grouped_per_file_and_notes_are_not_errors() -> None:
    errors = check_types.errors_by_file(OUTPUT)
    assert {path: len(lines) for path, lines in errors.items()} == {
        "scheduler/store/runs.py": 2,
        "scheduler/engine/live.py": 1,
    }
    assert not any("note:" in line for lines in errors.values() for line in lines)


def test_an_error_in_any_file_fails_and_is_shown() -> None:
    found = check_types.failures(check_types.MypyRun(1, OUTPUT))
    assert [failure.split(":")[0] for failure in found] == [
        "scheduler/engine/live.py",
        "scheduler/store/runs.py",
    ]
    assert "scheduler/engine/live.py: 1 mypy error(s)" in found[0]
    assert 'Need type annotation for "seen"' in found[0]  # the error itself is shown
    assert "SQLModel/SQLAlchemy column boundary" in found[0]  # and what to do about it


def test_a_clean_run_passes() -> None:
    assert check_types.failures(check_types.MypyRun(0, "")) == []


def test_errors_the_pattern_cannot_read_still_fail() -> None:
    output = "pyproject.toml: error: Unrecognized option: strictest = True\n"
    found = check_types.failures(check_types.MypyRun(1, output))
    assert len(found) == 1 and "exit code 1" in found[0] and "strictest" in found[0]
