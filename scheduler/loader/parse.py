"""Parse DAG files, each in its own forked child: ``parse_files(paths) -> FileResult``s.

The child imports the file (``import_dag_file``), serialises every DAG it declares
(``serialize_dag``) and sends back JSON: the DAG specs and the import errors. The parent
turns that into a ``FileResult``, or, when the child hung or died, into a ``FileResult``
whose error says so and how to fix it. Results come in the order the files finish, so a slow
file does not hold up the others.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

from scheduler.authoring import serialize_dag
from scheduler.loader.importer import (
    ImportErrorInfo,
    describe_error,
    import_dag_file,
    module_name_for,
)
from scheduler.loader.isolation import ChildOutcome, run_isolated
from scheduler.loader.results import FileResult
from scheduler.loader.warmup import warm_up
from scheduler.spec import DagSpec

MAX_FILES_PER_CHILD = 25
"""The most DAG files one child imports, one after the other, in a large pass: a fork of the
loader costs 5-9 ms here, and 10 per child instead of 25 made W4 (500 files) 0.8 s slower."""


def parse_files(
    paths: Iterable[str | Path],
    *,
    timeout: float,
    parallelism: int,
    files_per_child: int | None = None,
) -> Iterator[FileResult]:
    """Import the files in forked children; yield a result per file as each one finishes.

    ``timeout``: seconds a file may take before it is stopped and reported;
    ``parallelism``: children at once (the machine's cores is a good value);
    ``files_per_child``: 1 gives every file a process of its own; ``None`` chooses by the
    size of the pass (see ``files_per_child_for``).
    """
    warm_up()
    mtimes = {os.path.abspath(path): _mtime_ns(path) for path in paths}
    batch = files_per_child or files_per_child_for(len(mtimes), parallelism)
    outcomes = run_isolated(
        list(mtimes), parse_in_child, timeout=timeout, parallelism=parallelism, batch_size=batch
    )
    for outcome in outcomes:
        yield to_file_result(outcome, mtimes[outcome.item], timeout)


def files_per_child_for(count: int, parallelism: int) -> int:
    """One file per child for small passes (the usual edit of a file or two), so that a file
    always gets a fresh process when it costs nothing noticeable; up to
    ``MAX_FILES_PER_CHILD`` when many files are parsed at once (the first pass), where a
    fork per file would triple the CPU time (see ``scheduler.loader.isolation``)."""
    return max(1, min(MAX_FILES_PER_CHILD, count // (parallelism * 4)))


def parse_in_child(path: str) -> bytes:
    """The child's work: import ``path``, serialise its DAGs, return them and the errors."""
    with _file_scope(path):
        with _reporting_exit():
            result = import_dag_file(path)
        errors = list(result.errors)
        encoded: list[str] = []
        lines = {dag_id: n for dag_id, dag in result.dags.items() if (n := _line_of(dag, path))}
        for dag_id, dag in result.dags.items():
            try:
                encoded.append(json.dumps(serialize_dag(dag).to_dict()))
            except (TypeError, ValueError) as exc:
                errors.append(_not_serialisable(path, dag_id, exc))
            except Exception as exc:
                errors.append(describe_error(exc, Path(path)))
    dags = ",".join(encoded)
    error_list = json.dumps([error.to_dict() for error in errors])
    return f'{{"dags": [{dags}], "errors": {error_list}, "lines": {json.dumps(lines)}}}'.encode()


def _line_of(dag: object, path: str) -> int | None:
    """The line of ``path`` where ``dag`` was declared (None if declared elsewhere)."""
    location = getattr(dag, "location", None) or ""
    file, _, line = location.rpartition(":")
    if not line.isdigit() or os.path.abspath(file) != path:
        return None
    return int(line)


@contextmanager
def _reporting_exit() -> Iterator[None]:
    """While the file is imported, ``os._exit`` first writes where it was called from, in
    faulthandler's format, so that the crash report names the line (``_line_in_dump``).
    Only in this process: a child the file forked exits quietly."""
    real_exit, me = os._exit, os.getpid()

    def reporting_exit(status: int) -> NoReturn:  # os._exit's signature, keywords too
        if os.getpid() == me:
            with contextlib.suppress(BaseException):
                frames = traceback.extract_stack()[:-1]
                lines = [f'  File "{f.filename}", line {f.lineno} in {f.name}' for f in frames]
                stack = "\n".join(reversed(lines))
                sys.stderr.write(f"os._exit({status}) called\nStack (most recent call first):\n")
                sys.stderr.write(stack + "\n")
                sys.stderr.flush()
        real_exit(status)

    os._exit = reporting_exit
    try:
        yield
    finally:
        os._exit = real_exit


@contextmanager
def _file_scope(path: str) -> Iterator[None]:
    """Undo what importing one file changed in the interpreter, before the next file of the
    same child: ``sys.path``, the working directory, the file's module and the modules it
    imported from its own folder (helpers it may have mutated). Libraries it imported stay
    loaded (re-importing extension modules is not always possible). What it did to modules
    that were already loaded (monkeypatching) is not undone: only a process per file would."""
    modules = set(sys.modules)
    sys_path = list(sys.path)
    cwd = _cwd()
    folder = os.path.dirname(path) + os.sep
    try:
        yield
    finally:
        sys.path[:] = sys_path
        if cwd is not None:
            with contextlib.suppress(OSError):
                os.chdir(cwd)
        for name in set(sys.modules) - modules:
            source = getattr(sys.modules.get(name), "__file__", None) or ""
            if name == module_name_for(Path(path)) or source.startswith(folder):
                del sys.modules[name]


def to_file_result(outcome: ChildOutcome, mtime_ns: int, timeout: float) -> FileResult:
    """The parent's side: decode a child's answer, or explain why there is none."""
    path = outcome.item
    dags: list[DagSpec] = []
    lines: dict[str, int] = {}
    if outcome.payload is not None:
        try:
            answer = json.loads(outcome.payload)
            dags = [DagSpec.from_dict(data) for data in answer["dags"]]
            errors = [ImportErrorInfo(**data) for data in answer["errors"]]
            lines = {str(k): int(v) for k, v in answer.get("lines", {}).items()}
        except (ValueError, KeyError, TypeError) as exc:  # the file wrote into our pipe?
            dags, errors = [], [_garbled_error(path, exc)]
    elif outcome.timed_out:
        errors = [_timeout_error(path, timeout, outcome.output)]
    else:
        errors = [_crash_error(path, outcome.exit_reason or "unknown reason", outcome.output)]
    parsed_at = datetime.now(UTC)
    duration = outcome.duration_s
    return FileResult(path, mtime_ns, dags, errors, duration, parsed_at, outcome.output, lines)


def _timeout_error(path: str, timeout: float, output: str) -> ImportErrorInfo:
    lineno = _line_in_dump(path, output)
    where = f" (it was at line {lineno} when stopped)" if lineno else ""
    return ImportErrorInfo(
        path,
        lineno,
        f"import of {path} took longer than {timeout:g} s (BATON_DAG_FILE_IMPORT_TIMEOUT)"
        f"{where}; make the import faster (no network or heavy work at module level) "
        "or raise the timeout",
    )


def _crash_error(path: str, reason: str, output: str) -> ImportErrorInfo:
    lineno = _line_in_dump(path, output)
    where = f" at line {lineno}" if lineno else ""
    return ImportErrorInfo(
        path,
        lineno,
        f"the import of {path} crashed the interpreter{where}: {reason}; run "
        f"`python {path}` to reproduce it (look for os._exit, os.abort or a crashing "
        "extension module)",
    )


def _garbled_error(path: str, exc: Exception) -> ImportErrorInfo:
    return ImportErrorInfo(
        path,
        None,
        f"the import of {path} sent back an unreadable answer ({exc}); does the file write "
        f"to file descriptors it did not open? Run `python {path}` to check",
    )


def _not_serialisable(path: str, dag_id: str, exc: Exception) -> ImportErrorInfo:
    return ImportErrorInfo(
        path,
        None,
        f"DAG '{dag_id}' cannot be stored: {exc}; params, tags and descriptions must be "
        "JSON values (str, int, float, bool, None, list, dict)",
    )


def _line_in_dump(path: str, output: str) -> int | None:
    """The innermost line of ``path`` in a faulthandler dump (most recent call first)."""
    match = re.search(rf'File "{re.escape(path)}", line (\d+)', output)
    return int(match.group(1)) if match else None


def _cwd() -> str | None:
    try:
        return os.getcwd()
    except OSError:  # the working directory was deleted
        return None


def _mtime_ns(path: str | Path) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0
