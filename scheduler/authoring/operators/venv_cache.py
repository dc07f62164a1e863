"""Virtualenvs for ``PythonVirtualenvOperator``, built once and reused by every later try.

A virtualenv is identified by a hash of what makes it: the interpreter (path and version),
the requirements (sorted), ``system_site_packages``, ``pip_install_options`` and
``index_urls``. It lives in ``<cache>/venv-<hash>`` (the cache is ``$BATON_HOME/venvs``
unless the task gives ``venv_cache_path``).

Concurrent tries asking for the same environment must not build it twice or see it half
built. The first one takes an exclusive lock (``venv-<hash>.lock``, ``fcntl.flock``, which
the kernel releases if the worker dies), builds into a fresh directory
``venv-<hash>.d-<random>``, and publishes it by atomically renaming a symlink to it onto
``venv-<hash>``. The others wait on the lock and then find it published. A directory is never
moved once built (virtualenvs are not relocatable: console scripts name their own path), and
a build that failed or died is removed by the next try that takes the lock.

Environments are made with ``uv`` when it is on PATH or importable (it is a dependency of
Baton, and much faster), else with ``python -m venv`` and ``pip``. Their output goes to the
try's log; a failure raises ``TaskExecutionError`` with the end of that output.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib
import importlib.util
import json
import logging
import os
import shutil
import sys
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from scheduler.authoring.operators.shell import LineSink, ShellCommand
from scheduler.errors import TaskExecutionError

MARKER = "baton-venv.json"  # written last: a directory without it is not a finished build
_TAIL_LINES = 30  # lines of installer output quoted in the try's error


@dataclass(frozen=True)
class VenvSpec:
    """Everything that makes one virtualenv different from another."""

    python: str
    python_version: str
    requirements: tuple[str, ...] = ()
    system_site_packages: bool = True
    pip_install_options: tuple[str, ...] = ()
    index_urls: tuple[str, ...] = ()

    def key(self) -> str:
        """A short stable hash; the requirements are sorted so that their order does not
        matter, the rest is taken as given."""
        data = {**asdict(self), "requirements": sorted(self.requirements)}
        text = json.dumps(data, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def requirement_lines(requirements: Sequence[str]) -> tuple[str, ...]:
    """Requirements as given (a list, or a requirements-file text) to one per line, without
    blank lines and comments."""
    lines: list[str] = []
    for item in requirements:
        for line in str(item).splitlines():
            line = line.split(" #", 1)[0].strip()
            if line and not line.startswith("#"):
                lines.append(line)
    return tuple(lines)


class Installer(Protocol):
    """How a virtualenv is made and filled: two commands."""

    name: str

    def create_command(self, spec: VenvSpec, path: Path) -> list[str]: ...

    def install_command(self, spec: VenvSpec, path: Path, requirements: Path) -> list[str]: ...


class UvInstaller:
    """``uv venv`` + ``uv pip install``; never downloads an interpreter of its own."""

    name = "uv"

    def __init__(self, uv: str) -> None:
        self.uv = uv

    def create_command(self, spec: VenvSpec, path: Path) -> list[str]:
        command = [self.uv, "venv", "--python", spec.python, "--python-preference", "only-system"]
        if spec.system_site_packages:
            command.append("--system-site-packages")
        return [*command, str(path)]

    def install_command(self, spec: VenvSpec, path: Path, requirements: Path) -> list[str]:
        python = str(path / "bin" / "python")
        return [
            self.uv,
            "pip",
            "install",
            "--python",
            python,
            *index_url_options(spec.index_urls),
            *spec.pip_install_options,
            "-r",
            str(requirements),
        ]


class PipInstaller:
    """``python -m venv`` + ``pip install``: needs nothing but the interpreter."""

    name = "pip"

    def create_command(self, spec: VenvSpec, path: Path) -> list[str]:
        command = [spec.python, "-m", "venv"]
        if spec.system_site_packages:
            command.append("--system-site-packages")
        if not spec.requirements:
            command.append("--without-pip")  # nothing to install: skip seeding pip (~3 s)
        return [*command, str(path)]

    def install_command(self, spec: VenvSpec, path: Path, requirements: Path) -> list[str]:
        python = str(path / "bin" / "python")
        return [
            python,
            "-m",
            "pip",
            "install",
            *index_url_options(spec.index_urls),
            *spec.pip_install_options,
            "-r",
            str(requirements),
        ]


def index_url_options(index_urls: Sequence[str]) -> list[str]:
    """Airflow's rule: the first URL replaces the default index, the others are extra."""
    options: list[str] = []
    for number, url in enumerate(index_urls):
        options += ["--index-url" if number == 0 else "--extra-index-url", url]
    return options


def default_installer() -> Installer:
    """uv if it is on PATH or installed as a package, else pip."""
    found = shutil.which("uv")
    if found is None and importlib.util.find_spec("uv") is not None:
        with contextlib.suppress(Exception):  # a broken uv package: fall back to pip
            found = importlib.import_module("uv").find_uv_bin()
    return UvInstaller(found) if found else PipInstaller()


def ensure_venv(
    spec: VenvSpec, cache_dir: Path, log: logging.Logger, installer: Installer | None = None
) -> Path:
    """The interpreter of the cached virtualenv for ``spec``, built first if needed."""
    link = cache_dir / f"venv-{spec.key()}"
    if (link / MARKER).is_file():
        log.info("Reusing the cached virtualenv %s", link)
        return link / "bin" / "python"
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _locked(cache_dir / f"{link.name}.lock", log):
        if (link / MARKER).is_file():  # built by another try while this one waited
            log.info("Reusing the virtualenv %s, built meanwhile by another try", link)
            return link / "bin" / "python"
        _remove_leftovers(link, log)
        build = cache_dir / f"{link.name}.d-{uuid.uuid4().hex[:8]}"
        try:
            _build(spec, build, installer or default_installer(), log)
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            raise
        _publish(build, link)
    log.info("Created the virtualenv %s", link)
    return link / "bin" / "python"


@contextlib.contextmanager
def _locked(path: Path, log: logging.Logger) -> Iterator[None]:
    with open(path, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("Waiting for another try that is building this virtualenv (%s)", path)
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _remove_leftovers(link: Path, log: logging.Logger) -> None:
    """Builds that failed or whose worker died; a link to one of them (no marker)."""
    for leftover in link.parent.glob(f"{link.name}.d-*"):
        log.warning("Removing %s, an unfinished virtualenv build", leftover)
        shutil.rmtree(leftover, ignore_errors=True)
    if link.is_symlink() or link.exists():
        if link.is_dir() and not link.is_symlink():
            shutil.rmtree(link, ignore_errors=True)
        else:
            link.unlink(missing_ok=True)


def _build(spec: VenvSpec, build: Path, installer: Installer, log: logging.Logger) -> None:
    log.info(
        "Creating a virtualenv with %s: Python %s (%s), requirements %s",
        installer.name,
        spec.python_version,
        spec.python,
        list(spec.requirements) or "none",
    )
    _run(installer.create_command(spec, build), "creating the virtualenv", installer.name)
    if spec.requirements:
        requirements = build / "baton-requirements.txt"
        requirements.write_text("\n".join(spec.requirements) + "\n")
        command = installer.install_command(spec, build, requirements)
        _run(command, "installing the requirements", installer.name)
    (build / MARKER).write_text(json.dumps(asdict(spec), indent=2))


def _publish(build: Path, link: Path) -> None:
    """Point ``link`` at ``build`` in one step (a rename is atomic; a symlink creation onto
    an existing name is not possible)."""
    temporary = link.with_name(f".{link.name}.{os.getpid()}.link")
    temporary.unlink(missing_ok=True)
    os.symlink(build.name, temporary)  # relative: the cache folder may be moved whole
    os.replace(temporary, link)


def _run(command: list[str], what: str, tool: str) -> None:
    out = _Tail(sys.stdout)
    result = ShellCommand(command, env=_installer_env()).run(out=out)
    if result.exit_code != 0:
        tail = "\n".join(out.lines)
        raise TaskExecutionError(
            f"{what} failed ({tool} exited with code {result.exit_code}); check the "
            f"requirements and pip_install_options. {tool} said:\n{tail}"
        )


def _installer_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env.update(
        UV_PYTHON_DOWNLOADS="never",  # an interpreter the machine lacks is an error, not a fetch
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
    )
    return env


class _Tail:
    """Copies what it is given to ``out`` and keeps the last lines, for the error."""

    def __init__(self, out: LineSink) -> None:
        self._out = out
        self.lines: deque[str] = deque(maxlen=_TAIL_LINES)

    def write(self, text: str) -> int:
        self._out.write(text)
        self.lines.extend(line for line in text.splitlines() if line.strip())
        return len(text)

    def flush(self) -> None:
        self._out.flush()
