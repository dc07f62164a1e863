"""``.batonignore``: which files and folders of the DAG folder the loader skips.

Airflow's ``.airflowignore`` with its ``glob`` syntax (the default since Airflow 3): the
patterns of ``.gitignore`` (git's "wildmatch"), matched by the ``pathspec`` library.

- one pattern per line; blank lines and lines starting with ``#`` are skipped (leading
  spaces are dropped; ``\\#`` and ``\\!`` start a pattern with that character; a trailing
  space is kept only when escaped, ``\\ ``);
- a pattern is relative to the folder that holds the ``.batonignore`` and applies to that
  folder and everything below it; a deeper ``.batonignore`` adds its rules after those of
  the folders above;
- a pattern without a ``/`` (other than a trailing one) matches a file or folder name at any
  depth (``*_test.py``, ``scratch``); a pattern with a ``/`` is anchored to the folder
  (``legacy/*.py``, ``/only_here.py``);
- ``*``, ``?`` and ``[abc]`` do not cross ``/``; ``**`` does (``**/tmp``, ``reports/**``,
  ``a/**/b``);
- a trailing ``/`` matches folders only; ``!`` re-includes what an earlier pattern excluded
  (the last matching pattern wins, as in git);
- an ignored folder is not entered at all, so nothing below it can be re-included
  (``reports/**`` ignores what is inside ``reports``, not the folder itself, so
  ``!reports/keep.py`` after it does re-include that file, as in git and Airflow);
- a line that is not a valid pattern (``!`` alone, a trailing lone ``\\``) and ``/`` alone
  (which matches nothing in git) are skipped, with a warning naming the file and line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pathspec

IGNORE_FILE_NAME = ".batonignore"

log = logging.getLogger(__name__)

# pathspec's "gitignore" pattern: git's documented wildmatch rules (pathspec >= 1.0).
_GitIgnorePattern = pathspec.lookup_pattern("gitignore")


@dataclass(frozen=True)
class IgnoreRule:
    """One compiled line of a ``.batonignore``, bound to the folder that holds it."""

    base: Path
    pattern: str
    compiled: pathspec.Pattern
    negated: bool
    dirs_only: bool

    def matches(self, path: Path, is_dir: bool) -> bool:
        if self.dirs_only and not is_dir:
            return False
        try:
            relative = path.relative_to(self.base).as_posix()
        except ValueError:  # the path is not below the ignore file's folder
            return False
        # pathspec names a folder with a trailing "/". Only a folders-only pattern is tested
        # that way: "reports/**" must not match the folder "reports" itself (git and
        # Airflow enter it, so that "!reports/keep.py" can re-include a file).
        if self.dirs_only:
            relative += "/"
        return self.compiled.match_file(relative) is not None


def read_ignore_file(folder: Path) -> list[IgnoreRule]:
    """The rules of ``folder/.batonignore``; none when it does not exist or cannot be read."""
    path = folder / IGNORE_FILE_NAME
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return []
    rules = []
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            rule = compile_rule(folder, line)
        except ValueError as error:
            log.warning("%s:%d: skipped: %s", path, number, error)
            continue
        if rule is not None:
            rules.append(rule)
    return rules


def compile_rule(base: Path, line: str) -> IgnoreRule | None:
    """Compile one line; ``None`` for blank lines and comments.

    Raises ``ValueError`` (saying which pattern and why) for a line that is no pattern.
    """
    pattern = line.lstrip()
    if not pattern.strip() or pattern.startswith("#"):
        return None
    if pattern.strip() == "/":
        raise ValueError("the pattern '/' matches nothing (write '/*' to ignore everything)")
    try:
        compiled = _GitIgnorePattern(pattern)
    except ValueError as error:  # pathspec's GitIgnorePatternError
        raise ValueError(
            f"{pattern!r} is not a gitignore pattern ({error}); escape a literal '!' or "
            "trailing '\\' with a backslash"
        ) from error
    if compiled.include is None:  # pathspec's own notion of blank or comment
        return None
    dirs_only = pattern.rstrip().endswith("/")
    return IgnoreRule(base, pattern, compiled, not compiled.include, dirs_only)


def is_ignored(rules: list[IgnoreRule], path: Path, is_dir: bool) -> bool:
    """Whether ``path`` is excluded: the last rule that matches decides."""
    ignored = False
    for rule in rules:
        if rule.matches(path, is_dir):
            ignored = not rule.negated
    return ignored
