"""mypy over the whole tree, which must be clean (make lint; tests/architecture).

mypy runs once with pyproject.toml's [tool.mypy]: strict on the public API
(`scheduler/__init__.py`, `scheduler/api/`, `plugins/`), every function annotated and
checked everywhere else. An error in any file fails the check; the errors are listed per
file.

    python tools/check_types.py [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_ERROR = re.compile(r"^(?P<path>[^:\s]+\.py):\d+: error: ")
HOW_TO_FIX = (
    "fix the types (annotations, narrowing); a `# type: ignore[code]` belongs only at the "
    "SQLModel/SQLAlchemy column boundary, with a comment saying why"
)


@dataclass(frozen=True)
class MypyRun:
    """mypy's exit code (0 clean, 1 errors found) and what it printed."""

    returncode: int
    output: str


def errors_by_file(mypy_output: str) -> dict[str, list[str]]:
    """mypy's error lines, per file (notes are not errors)."""
    errors: dict[str, list[str]] = {}
    for line in mypy_output.splitlines():
        match = _ERROR.match(line)
        if match:
            errors.setdefault(match["path"], []).append(line)
    return errors


def failures(run: MypyRun) -> list[str]:
    """One message per file with errors; empty when the tree is clean."""
    errors = errors_by_file(run.output)
    found = [
        f"{path}: {len(lines)} mypy error(s); {HOW_TO_FIX}:\n  " + "\n  ".join(lines)
        for path, lines in sorted(errors.items())
    ]
    if run.returncode != 0 and not found:  # errors in a shape the pattern does not know
        found.append(f"mypy found errors (exit code {run.returncode}):\n{run.output}")
    return found


def run_mypy(cache_dir: str | None) -> MypyRun:
    command = [sys.executable, "-m", "mypy", "--no-error-summary", "--hide-error-context"]
    if cache_dir:
        command += ["--cache-dir", cache_dir]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode not in (0, 1):  # 2: mypy itself failed (bad config, crash)
        raise SystemExit(f"mypy failed to run:\n{result.stdout}{result.stderr}")
    return MypyRun(result.returncode, result.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", help="mypy's incremental cache (default .mypy_cache)")
    args = parser.parse_args(argv)
    run = run_mypy(args.cache_dir)
    found = failures(run)
    for failure in found:
        print(failure)
    if not found:
        print("mypy: clean")
        return 0
    errors = errors_by_file(run.output)
    print(f"mypy: {sum(map(len, errors.values()))} error(s) in {len(errors)} file(s)")
    return 1


if __name__ == "__main__":
    sys.exit(main())
