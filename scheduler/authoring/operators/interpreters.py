"""Which Python interpreter a task runs in: ``python_version="3.11"`` or ``python="/path"``.

Checked in the worker, when the try runs (the DAG is parsed elsewhere, and the machine that
runs the task is the one that must have the interpreter). An interpreter counts only if it
runs: a pyenv shim for a version that is not selected exists on PATH but fails.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

from scheduler.errors import TaskExecutionError

_VERSION = re.compile(r"\d+(\.\d+){0,2}")
_PROBE = "import sys; print('%d.%d.%d' % sys.version_info[:3]); print(sys.executable)"
_PROBE_TIMEOUT_S = 30.0


def check_python_version(value: object) -> str | None:
    """``value`` if it is None or a Python 3 version such as ``"3"`` or ``"3.11"``.

    Raises ``ValueError`` with the reason otherwise (the operator adds the location).
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(
            f"python_version={value!r} must be a string such as '3.11' (a float would turn "
            "3.10 into 3.1)"
        )
    if not _VERSION.fullmatch(value):
        raise ValueError(f"python_version={value!r} is not a version such as '3' or '3.11'")
    if value.split(".")[0] != "3":
        raise ValueError(
            f"python_version={value!r}: Baton runs task functions in Python 3 interpreters only"
        )
    return value


def resolve_python_version(version: str | None) -> tuple[str, str]:
    """``(path, full version)`` of an interpreter for ``version`` (None: this worker's).

    The worker's own interpreter is used when it matches; otherwise ``python<version>`` on
    PATH. ``TaskExecutionError`` names what was tried when nothing fits.
    """
    current = platform.python_version()
    if version is None or _matches(current, version):
        return sys.executable, current
    name = f"python{version}"
    found = shutil.which(name)
    if found is None:
        raise TaskExecutionError(
            f"python_version={version!r}: no {name} on the worker's PATH; install Python "
            f"{version} there, or drop python_version to use the worker's Python {current}"
        )
    probed = probe(found)
    full = probed[0] if probed else None
    if probed is None or not _matches(probed[0], version):
        got = f"it reports Python {full}" if full else "it does not run"
        raise TaskExecutionError(
            f"python_version={version!r}: {found} was found on the worker's PATH but {got}; "
            f"install Python {version}, or drop python_version to use Python {current}"
        )
    # The interpreter itself, not a launcher (a pyenv shim) that picks one when it runs.
    return probed[1] or found, probed[0]


def check_python_path(python: str) -> str:
    """The full version of the interpreter at ``python``, or a ``TaskExecutionError``."""
    path = Path(python)
    if not path.is_absolute():
        raise TaskExecutionError(
            f"python={python!r} must be an absolute path to a Python interpreter, such as "
            "'/opt/venvs/etl/bin/python'"
        )
    if not path.exists():
        raise TaskExecutionError(
            f"python={python!r} does not exist on this worker; create that environment or fix "
            "the path"
        )
    if not path.is_file() or not os.access(path, os.X_OK):
        raise TaskExecutionError(f"python={python!r} is not an executable file")
    version = probe_version(python)
    if version is None:
        raise TaskExecutionError(
            f"python={python!r} did not run as a Python interpreter (python -c failed); "
            "check that it is one"
        )
    return version


def probe_version(python: str) -> str | None:
    """``"3.11.7"`` if ``python`` runs, else None."""
    probed = probe(python)
    return probed[0] if probed else None


def probe(python: str) -> tuple[str, str] | None:
    """``("3.11.7", sys.executable)`` of ``python`` if it runs, else None."""
    try:
        done = subprocess.run(
            [python, "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=_PROBE_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines or not _VERSION.fullmatch(lines[0]):
        return None
    return lines[0], lines[1] if len(lines) > 1 else ""


def _matches(full: str, wanted: str) -> bool:
    """``"3.11.7"`` matches ``"3"``, ``"3.11"`` and ``"3.11.7"``."""
    return full.split(".")[: len(wanted.split("."))] == wanted.split(".")
