"""``.batonignore``: which files and folders of the DAG folder the loader skips.

The same idea as Airflow's ``.airflowignore`` with its ``glob`` syntax (the default since
Airflow 3), which follows ``.gitignore``:

- one pattern per line; blank lines and lines starting with ``#`` are skipped;
- a pattern is relative to the folder that holds the ``.batonignore`` and applies to that
  folder and everything below it;
- a pattern without a ``/`` (other than a trailing one) matches a file or folder name at any
  depth (``*_test.py``, ``scratch``); a pattern with a ``/`` is anchored to the folder
  (``legacy/*.py``, ``/only_here.py``);
- ``*`` and ``?`` do not cross ``/``; ``**`` does (``**/tmp``, ``reports/**``);
- a trailing ``/`` matches folders only; ``!`` re-includes what an earlier pattern excluded
  (the last matching pattern wins, as in git);
- an ignored folder is not entered at all, so nothing below it can be re-included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

IGNORE_FILE_NAME = ".batonignore"


@dataclass(frozen=True)
class IgnoreRule:
    """One compiled line of a ``.batonignore``, bound to the folder that holds it."""

    base: Path
    pattern: str
    regex: re.Pattern[str]
    negated: bool
    dirs_only: bool

    def matches(self, path: Path, is_dir: bool) -> bool:
        if self.dirs_only and not is_dir:
            return False
        try:
            relative = path.relative_to(self.base).as_posix()
        except ValueError:  # the path is not below the ignore file's folder
            return False
        return self.regex.fullmatch(relative) is not None


def read_ignore_file(folder: Path) -> list[IgnoreRule]:
    """The rules of ``folder/.batonignore``; none when it does not exist or cannot be read."""
    try:
        text = (folder / IGNORE_FILE_NAME).read_text(errors="replace")
    except OSError:
        return []
    rules = []
    for line in text.splitlines():
        rule = compile_rule(folder, line)
        if rule is not None:
            rules.append(rule)
    return rules


def compile_rule(base: Path, line: str) -> IgnoreRule | None:
    """Compile one line; ``None`` for blank lines and comments."""
    pattern = line.strip()
    if not pattern or pattern.startswith("#"):
        return None
    negated = pattern.startswith("!")
    body = pattern[1:] if negated else pattern
    dirs_only = body.endswith("/")
    body = body.rstrip("/")
    if not body:
        return None
    anchored = "/" in body
    body = body.lstrip("/")
    regex = _translate(body)
    if not anchored:
        regex = f"(?:.*/)?{regex}"
    return IgnoreRule(base, pattern, re.compile(regex), negated, dirs_only)


def is_ignored(rules: list[IgnoreRule], path: Path, is_dir: bool) -> bool:
    """Whether ``path`` is excluded: the last rule that matches decides."""
    ignored = False
    for rule in rules:
        if rule.matches(path, is_dir):
            ignored = not rule.negated
    return ignored


def _translate(glob: str) -> str:
    """A gitignore-style glob as a regular expression over a ``/``-separated path."""
    out = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            piece, i = _translate_one(glob, i)
            out.append(piece)
    return "".join(out)


def _translate_one(glob: str, i: int) -> tuple[str, int]:
    char = glob[i]
    if char == "*":
        return "[^/]*", i + 1
    if char == "?":
        return "[^/]", i + 1
    if char == "[":
        end = glob.find("]", i + 2)
        if end != -1:
            inner = glob[i + 1 : end]
            if inner.startswith("!"):
                inner = "^" + inner[1:]
            return f"[{inner.replace(chr(92), chr(92) * 2)}]", end + 1
    if char == "\\" and i + 1 < len(glob):
        return re.escape(glob[i + 1]), i + 2
    return re.escape(char), i + 1
