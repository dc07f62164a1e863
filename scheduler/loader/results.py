"""``FileResult``: what importing one DAG file produced. Plain data that pickles."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from scheduler.loader.importer import ImportErrorInfo
from scheduler.spec import DagSpec


@dataclass
class FileResult:
    """The outcome of importing one DAG file: its DAGs, its errors, and when."""

    path: str
    mtime_ns: int
    """The file's mtime when the parse started (0 if it could not be read)."""
    dags: list[DagSpec]
    errors: list[ImportErrorInfo]
    duration_s: float
    parsed_at: datetime
    """When the parse ended (UTC): the "when" of the file's import errors."""
    output: str = field(default="", repr=False)
    """The tail of what the file printed to stdout/stderr while it was imported."""
    dag_lines: dict[str, int] = field(default_factory=dict)
    """The line of each DAG's ``DAG(...)`` call in this file, by dag_id (for errors)."""
