"""One file per dag_id: which file owns a dag_id that several files declare.

A dag_id must be unique across the DAG folder. The file that declared it first keeps it for as
long as it still declares it; any other file that declares it gets an import error naming
both files, and its copy of the DAG is dropped. When the owner is deleted or stops declaring
the dag_id, the first other claimant (by path) takes over, and its result is issued again
so the Engine sees the DAG come back without waiting for that file to change.
"""

from __future__ import annotations

from dataclasses import replace

from scheduler.loader.importer import ImportErrorInfo
from scheduler.loader.results import FileResult


class DagOwnership:
    """The latest raw result per file and the owner of each dag_id."""

    def __init__(self) -> None:
        self._raw: dict[str, FileResult] = {}
        self._owner: dict[str, str] = {}  # dag_id -> path

    def update(self, result: FileResult) -> list[FileResult]:
        """Record a file's new result; return the effective results that changed.

        The first one returned is ``result`` itself, with other files' dag_ids removed and
        reported; files that gained a dag_id this result gave up follow.
        """
        self._raw[result.path] = result
        released = self._release_orphans()
        for spec in result.dags:
            self._owner.setdefault(spec.dag_id, result.path)
        others = self._reassign(released) - {result.path}
        return [self.effective(result.path)] + [self.effective(p) for p in sorted(others)]

    def remove(self, paths: list[str]) -> list[FileResult]:
        """Forget deleted files; return the effective results of files that gained DAGs."""
        for path in paths:
            self._raw.pop(path, None)
        released = self._release_orphans()
        return [self.effective(path) for path in sorted(self._reassign(released))]

    def effective(self, path: str) -> FileResult:
        """``path``'s result as the Engine should see it: only the DAGs it owns."""
        raw = self._raw[path]
        owned = [spec for spec in raw.dags if self._owner.get(spec.dag_id) == path]
        if len(owned) == len(raw.dags):
            return raw
        duplicates = [
            self._duplicate_error(raw, spec.dag_id)
            for spec in raw.dags
            if self._owner.get(spec.dag_id) != path
        ]
        return replace(raw, dags=owned, errors=[*raw.errors, *duplicates])

    def _duplicate_error(self, raw: FileResult, dag_id: str) -> ImportErrorInfo:
        """The error of a file declaring a dag_id another file owns, at the declaring line
        (and naming the owner's)."""
        owner = self._owner[dag_id]
        owner_line = self._raw[owner].dag_lines.get(dag_id)
        where = f"{owner}:{owner_line}" if owner_line else owner
        return ImportErrorInfo(
            raw.path,
            raw.dag_lines.get(dag_id),
            f"DAG '{dag_id}' is already declared in {where}; a dag_id must be unique across "
            f"the DAG folder: rename the DAG in {raw.path} or in {owner}",
        )

    def effective_results(self) -> list[FileResult]:
        """Every known file's effective result, by path."""
        return [self.effective(path) for path in sorted(self._raw)]

    def _release_orphans(self) -> set[str]:
        """Drop owners that are gone or no longer declare their dag_id; return those ids."""
        released = {
            dag_id
            for dag_id, path in self._owner.items()
            if path not in self._raw or dag_id not in _dag_ids(self._raw[path])
        }
        for dag_id in released:
            del self._owner[dag_id]
        return released

    def _reassign(self, released: set[str]) -> set[str]:
        """Give each released dag_id to its first claimant; return the files concerned."""
        concerned: set[str] = set()
        for dag_id in released:
            claimants = sorted(p for p, raw in self._raw.items() if dag_id in _dag_ids(raw))
            if claimants:
                self._owner[dag_id] = claimants[0]
                concerned.update(claimants)
        return concerned


def _dag_ids(result: FileResult) -> set[str]:
    return {spec.dag_id for spec in result.dags}
