"""What the loader process tells the Engine, over a pipe. Plain dataclasses: they pickle.

After each scan pass the loader sends, in this order: ``FilesDeleted`` (if files went away),
one ``FileParsed`` per new or changed file (and per file that gained a dag_id a deleted file
gave up), then ``ScanComplete`` with every current DAG file. The Engine can deactivate DAGs
whose file is not in that list, or whose file's latest ``FileParsed`` no longer declares them.
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.loader.results import FileResult


@dataclass
class FileParsed:
    """A file was (re)imported: its DAGs and import errors replace the previous ones."""

    result: FileResult


@dataclass
class FilesDeleted:
    """These files were deleted, ignored, or no longer look like DAG files."""

    paths: list[str]


@dataclass
class ScanComplete:
    """A scan pass ended; ``files`` is every DAG file known now (with or without errors)."""

    files: list[str]
    took_s: float


LoaderMessage = FileParsed | FilesDeleted | ScanComplete
