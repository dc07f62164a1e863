"""mypy over the whole tree, held to `tools/type_debt.txt` (make lint; tests/architecture).

mypy runs once with pyproject.toml's [tool.mypy] (strict on the public API). A file passes
when it has no error, or no more errors than its line in the debt list. A file that is not
listed must be clean, and the public API (`scheduler/__init__.py`, `scheduler/api/`,
`plugins/`) may not be listed at all. Fix errors, then lower or delete the file's line; the
check says when a count can go down.

    python tools/check_types.py [--cache-dir DIR] [--lower-debt]

``--lower-debt`` rewrites the debt list to the counts found, when the check passes (a count
only ever goes down this way).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEBT_FILE = ROOT / "tools" / "type_debt.txt"
STRICT = ("scheduler/__init__.py", "scheduler/api/", "plugins/")
_ERROR = re.compile(r"^(?P<path>[^:\s]+\.py):\d+: error: ")


@dataclass(frozen=True)
class Verdict:
    """What the check found: the errors that fail it, and the counts that could go down."""

    failures: list[str]
    lower: dict[str, int]
    remaining: int

    @property
    def ok(self) -> bool:
        return not self.failures


def error_counts(mypy_output: str) -> Counter[str]:
    """Errors per file in mypy's output (notes are not errors)."""
    counts: Counter[str] = Counter()
    for line in mypy_output.splitlines():
        match = _ERROR.match(line)
        if match:
            counts[match["path"]] += 1
    return counts


def read_debt(text: str) -> dict[str, int]:
    """``path count`` lines; ``#`` starts a comment."""
    debt: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        path, _, count = line.rpartition(" ")
        if not path or not count.isdigit():
            raise ValueError(f"{DEBT_FILE.name} line {number}: expected 'path count', got {raw!r}")
        debt[path.strip()] = int(count)
    return debt


def write_debt(counts: Counter[str]) -> None:
    header = [line for line in DEBT_FILE.read_text().splitlines() if line.startswith("#")]
    body = [f"{path} {count}" for path, count in sorted(counts.items()) if count]
    DEBT_FILE.write_text("\n".join(header + body) + "\n")


def judge(counts: Counter[str], debt: dict[str, int], output: str) -> Verdict:
    failures = [
        f"{path} is public API, checked strictly: it cannot be in {DEBT_FILE.name}"
        for path in debt
        if path.startswith(STRICT)
    ]
    for path, count in sorted(counts.items()):
        allowed = 0 if path.startswith(STRICT) else debt.get(path, 0)
        if count > allowed:
            lines = [line for line in output.splitlines() if line.startswith(f"{path}:")]
            failures.append(
                f"{path}: {count} mypy error(s), {allowed} allowed "
                f"({DEBT_FILE.name}); fix the new ones:\n  " + "\n  ".join(lines)
            )
    lower = {path: counts.get(path, 0) for path, n in debt.items() if counts.get(path, 0) < n}
    return Verdict(failures, lower, sum(counts.values()))


def run_mypy(cache_dir: str | None) -> str:
    command = [sys.executable, "-m", "mypy", "--no-error-summary", "--hide-error-context"]
    if cache_dir:
        command += ["--cache-dir", cache_dir]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode not in (0, 1):  # 2: mypy itself failed (bad config, crash)
        raise SystemExit(f"mypy failed to run:\n{result.stdout}{result.stderr}")
    return result.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", help="mypy's incremental cache (default .mypy_cache)")
    parser.add_argument("--lower-debt", action="store_true", help="write the lower counts")
    args = parser.parse_args(argv)
    output = run_mypy(args.cache_dir)
    counts = error_counts(output)
    verdict = judge(counts, read_debt(DEBT_FILE.read_text()), output)
    if args.lower_debt and verdict.ok:
        write_debt(counts)
        verdict = Verdict([], {}, verdict.remaining)
    for failure in verdict.failures:
        print(failure)
    for path, count in sorted(verdict.lower.items()):
        print(f"note: {path} is down to {count} error(s): lower its line in {DEBT_FILE.name}")
    print(
        f"mypy: {verdict.remaining} error(s) left in the debt list; new ones: "
        f"{len(verdict.failures)}"
    )
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
