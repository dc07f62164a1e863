"""Pass after pass, which DAG files to (re)parse and which went away.

The loader stats every candidate ``*.py`` file each pass (cheap: ~1 us a file) and reads the
text of new or changed files only, for the safe-mode test. A file that was a DAG file and is
now deleted, ignored or no longer passes the test is reported as removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scheduler.loader.discovery import FolderSnapshot, find_python_files, might_contain_dag


@dataclass(frozen=True)
class ScanPlan:
    to_parse: list[str]
    """New or changed DAG files."""
    removed: list[str]
    """Files that were DAG files and no longer are (deleted, ignored, or no DAG words)."""
    files: list[str]
    """Every current DAG file."""


class FolderWatcher:
    """Remembers the previous pass of one DAG folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._snapshot = FolderSnapshot()
        self._dag_files: set[str] = set()

    def scan(self) -> ScanPlan:
        snapshot = FolderSnapshot.take(find_python_files(self.folder))
        changed, deleted = snapshot.diff(self._snapshot)
        self._snapshot = snapshot
        to_parse = [path for path in changed if might_contain_dag(Path(path))]
        gone = set(deleted) | (set(changed) - set(to_parse))
        removed = sorted(gone & self._dag_files)
        self._dag_files = (self._dag_files - gone) | set(to_parse)
        return ScanPlan(to_parse, removed, sorted(self._dag_files))

    def forget_stamps(self) -> None:
        """Make the next pass parse every DAG file again, changed or not."""
        self._snapshot = FolderSnapshot()
