"""Which files of the DAG folder are DAG files, and which of them changed since last time.

A DAG file is a ``*.py`` file anywhere below the folder, except:

- files and folders whose name starts with ``.`` and ``__pycache__`` folders;
- what a ``.batonignore`` excludes (see ``scheduler.loader.ignore``);
- files whose text does not contain both ``dag`` and (``baton`` or ``scheduler``), ignoring
  case. This is Airflow's "safe mode" heuristic: helper modules that sit in the DAG folder
  are not imported on their own. A DAG file always imports ``scheduler`` (or mentions
  Baton), so it passes; a helper that does neither is skipped.

Symbolic links to folders are followed (each real folder is visited once).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from scheduler.loader.ignore import IgnoreRule, is_ignored, read_ignore_file

_DAG_WORD = b"dag"
_API_WORDS = (b"baton", b"scheduler")


def find_dag_files(folder: Path) -> list[Path]:
    """Every DAG file below ``folder``, sorted; the folder itself may be missing (no files)."""
    return [path for path in find_python_files(folder) if might_contain_dag(path)]


def find_python_files(folder: Path) -> list[Path]:
    """Every ``*.py`` file below ``folder`` that is neither hidden nor ignored, sorted.

    Paths are absolute (symbolic links kept as they are, not resolved), so that a file keeps
    one name for the loader, the Engine and the workers.
    """
    root = Path(os.path.abspath(folder))
    found: list[Path] = []
    seen_dirs: set[tuple[int, int]] = set()
    _walk(root, [], found, seen_dirs)
    return sorted(found)


def might_contain_dag(path: Path) -> bool:
    """Airflow's safe-mode test: the text names ``dag`` and ``baton`` or ``scheduler``."""
    try:
        text = path.read_bytes().lower()
    except OSError:
        return False
    return _DAG_WORD in text and any(word in text for word in _API_WORDS)


def _walk(
    folder: Path,
    inherited: list[IgnoreRule],
    found: list[Path],
    seen_dirs: set[tuple[int, int]],
) -> None:
    try:
        info = folder.stat()
        entries = list(os.scandir(folder))
    except OSError:  # vanished or unreadable while we scan: nothing to load from it
        return
    if (info.st_dev, info.st_ino) in seen_dirs:  # a symlink loop
        return
    seen_dirs.add((info.st_dev, info.st_ino))
    rules = inherited + read_ignore_file(folder)
    for entry in entries:
        if entry.name.startswith(".") or entry.name == "__pycache__":
            continue
        path = folder / entry.name
        is_dir = _is_dir(entry)
        if is_ignored(rules, path, is_dir):
            continue
        if is_dir:
            _walk(path, rules, found, seen_dirs)
        elif entry.name.endswith(".py") and _is_file(entry):
            found.append(path)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


FileStamp = tuple[int, int]  # (st_mtime_ns, st_size)


@dataclass(frozen=True)
class FolderSnapshot:
    """``{path: (mtime_ns, size)}`` of a set of files: a cheap way to see what changed."""

    stamps: dict[str, FileStamp] = field(default_factory=dict)

    @classmethod
    def take(cls, paths: list[Path]) -> FolderSnapshot:
        """Stat each path now; a path that vanished meanwhile is left out."""
        stamps: dict[str, FileStamp] = {}
        for path in paths:
            try:
                info = os.stat(path)
            except OSError:
                continue
            stamps[str(path)] = (info.st_mtime_ns, info.st_size)
        return cls(stamps)

    def diff(self, previous: FolderSnapshot) -> tuple[list[str], list[str]]:
        """``(changed_or_new, deleted)`` since ``previous``, each sorted."""
        before = previous.stamps
        changed = [path for path, stamp in self.stamps.items() if before.get(path) != stamp]
        deleted = [path for path in before if path not in self.stamps]
        return sorted(changed), sorted(deleted)
