"""Import one DAG file in the current process and return the DAGs it declares.

This is the in-process step; ``scheduler.loader`` runs it inside a child process per file for
isolation. Workers call it directly (they cache the result per file and mtime).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scheduler.authoring.collector import collect_dags
from scheduler.authoring.dag import DAG
from scheduler.errors import DagDefinitionError


@dataclass
class ImportErrorInfo:
    filename: str
    lineno: int | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"filename": self.filename, "lineno": self.lineno, "message": self.message}


@dataclass
class ImportResult:
    path: str
    dags: dict[str, Any] = field(default_factory=dict)  # dag_id -> DAG
    errors: list[ImportErrorInfo] = field(default_factory=list)


def module_name_for(path: Path) -> str:
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
    return f"baton_dag_{path.stem}_{digest}"


def import_dag_file(path: str | Path) -> ImportResult:
    """Execute ``path`` as a module; collect its DAGs, validate them, report errors.

    Never raises for a problem in the file itself: it is returned in ``errors`` with the line
    in the DAG file where it happened.
    """
    # Absolute but not resolved: a symlinked file keeps the name the loader found it under,
    # so the fileloc of its DAGs matches the loader's list of files.
    path = Path(os.path.abspath(path))
    result = ImportResult(path=str(path))
    name = module_name_for(path)
    # DAG files may import helper modules that sit next to them.
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {path}: not a Python file")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        with collect_dags() as declared:
            spec.loader.exec_module(module)
        declared += [v for v in vars(module).values() if _is_dag(v) and v not in declared]
    except BaseException as exc:  # a DAG file may raise anything, even SystemExit
        sys.modules.pop(name, None)
        result.errors.append(describe_error(exc, path))
        return result
    for dag in declared:
        if getattr(dag, "fileloc", None) is None or Path(os.path.abspath(dag.fileloc)) != path:
            dag.fileloc = str(path)
        try:
            dag.validate()
        except DagDefinitionError as exc:
            result.errors.append(describe_error(exc, path))
            continue
        if dag.dag_id in result.dags:
            result.errors.append(
                ImportErrorInfo(
                    str(path),
                    None,
                    f"DAG '{dag.dag_id}' is declared twice in this file; give each DAG "
                    "a unique dag_id",
                )
            )
            continue
        result.dags[dag.dag_id] = dag
    return result


def _is_dag(value: Any) -> bool:
    return isinstance(value, DAG)


def describe_error(exc: BaseException, path: Path) -> ImportErrorInfo:
    """The error's message and the innermost line of the DAG file where it happened."""
    lineno = None
    location = getattr(exc, "location", None)
    if location and location.rpartition(":")[2].isdigit():
        lineno = int(location.rpartition(":")[2])
    if isinstance(exc, SyntaxError) and exc.filename and Path(exc.filename) == path:
        lineno = exc.lineno
    if lineno is None:  # the innermost line of the DAG file in the traceback
        for frame in traceback.extract_tb(exc.__traceback__):
            if Path(frame.filename) == path:
                lineno = frame.lineno
    message = str(exc) if isinstance(exc, DagDefinitionError) else _format(exc)
    return ImportErrorInfo(str(path), lineno, message)


def _format(exc: BaseException) -> str:
    lines = traceback.format_exception_only(type(exc), exc)
    return "".join(lines).strip()
