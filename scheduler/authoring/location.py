"""Where in the user's code a DAG, a task or a dependency was declared.

Errors in a DAG file are only useful if they point at the user's statement, not at Baton's
internals: the functions here walk the call stack outward past every frame of this package
(``scheduler/authoring``) and report the first frame outside it.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from types import FrameType

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _is_internal(filename: str) -> bool:
    # "<frozen _collections_abc>": a MutableMapping method between Baton and the user's code
    # (ParamsDict.update calling __setitem__) is never where the user wrote something.
    if filename.startswith("<frozen "):
        return True
    if os.path.isabs(filename):  # nearly always: cached, a DAG file asks ~30 times a task
        return _is_internal_path(filename)
    return os.path.abspath(filename).startswith(_PACKAGE_DIR)


@functools.lru_cache(maxsize=1024)
def _is_internal_path(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_PACKAGE_DIR)


def _user_frame() -> FrameType | None:
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and _is_internal(frame.f_code.co_filename):
        frame = frame.f_back
    return frame


def caller_file() -> str | None:
    """The absolute path of the innermost file outside Baton's authoring package."""
    frame = _user_frame()
    return os.path.abspath(frame.f_code.co_filename) if frame is not None else None


def caller_location() -> str | None:
    """``"path/to/file.py:LINE"`` of the innermost user statement on the stack.

    The path is relative to the working directory when the file lies below it (as in
    ``dags/orders.py:12``), absolute otherwise.
    """
    frame = _user_frame()
    if frame is None:
        return None
    return f"{display_path(frame.f_code.co_filename)}:{frame.f_lineno}"


def display_path(filename: str) -> str:
    return _display_path(os.path.abspath(filename), os.getcwd())


@functools.lru_cache(maxsize=1024)
def _display_path(path: str, cwd: str) -> str:
    # Cached: every operator and every ``>>`` records where it was written.
    try:
        return str(Path(path).relative_to(cwd))
    except ValueError:
        return path
