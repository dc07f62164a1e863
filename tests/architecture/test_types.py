"""mypy holds: the public API strict and clean, every other file within tools/type_debt.txt.

The whole-tree run uses mypy's incremental cache (.mypy_cache), so it is slow only the first
time; the rules of the debt list are checked in process on mypy-shaped output."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections import Counter
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
scheduler/api/runs.py:7: error: Missing type arguments for generic type "list"  [type-arg]
"""


def test_the_tree_has_no_type_error_beyond_its_debt() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "check_types.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "new ones: 0" in result.stdout


def test_errors_are_counted_per_file_and_notes_are_not_errors() -> None:
    assert check_types.error_counts(OUTPUT) == Counter(
        {"scheduler/store/runs.py": 2, "scheduler/engine/live.py": 1, "scheduler/api/runs.py": 1}
    )


def test_an_error_in_an_unlisted_file_or_the_public_api_fails() -> None:
    debt = {"scheduler/store/runs.py": 2}
    verdict = check_types.judge(check_types.error_counts(OUTPUT), debt, OUTPUT)
    assert not verdict.ok
    failed = "\n".join(verdict.failures)
    assert "scheduler/engine/live.py: 1 mypy error(s), 0 allowed" in failed
    assert "scheduler/api/runs.py: 1 mypy error(s), 0 allowed" in failed
    assert 'Need type annotation for "seen"' in failed  # the error itself is shown
    assert "scheduler/store/runs.py" not in failed  # within its debt


def test_more_errors_than_the_debt_allows_fail_and_fewer_ask_for_a_lower_count() -> None:
    counts = Counter({"scheduler/store/runs.py": 3, "scheduler/store/users.py": 1})
    debt = {"scheduler/store/runs.py": 2, "scheduler/store/users.py": 4}
    verdict = check_types.judge(counts, debt, "")
    assert [f.split(":")[0] for f in verdict.failures] == ["scheduler/store/runs.py"]
    assert verdict.lower == {"scheduler/store/users.py": 1}
    assert verdict.remaining == 4


def test_the_public_api_cannot_be_put_in_the_debt_list() -> None:
    verdict = check_types.judge(Counter(), {"plugins/http/hook.py": 1}, "")
    assert verdict.failures == [
        "plugins/http/hook.py is public API, checked strictly: it cannot be in type_debt.txt"
    ]


def test_a_malformed_debt_line_names_the_line() -> None:
    try:
        check_types.read_debt("# header\nscheduler/store/runs.py two\n")
    except ValueError as error:
        assert "line 2" in str(error) and "'path count'" in str(error)
    else:
        raise AssertionError("a count that is not a number must be refused")


def test_the_debt_list_parses() -> None:
    debt = check_types.read_debt(check_types.DEBT_FILE.read_text())
    assert all(count > 0 for count in debt.values())
    assert not [path for path in debt if path.startswith(check_types.STRICT)]
