"""Run a command in its own process group and stream its output line by line.

The command's stdout and stderr are merged and copied, line by line as they arrive, to
``sys.stdout`` (which the runner points at the try's log file), so a long command's progress
is visible while it runs. If the try is interrupted — an execution timeout raised in the main
thread, a cancel, any exception — the whole process group is killed before the exception
goes on, so no grandchild outlives the try. On Linux the child also gets the parent-death
signal SIGKILL, so it dies with its worker even if the worker is killed without warning.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from scheduler.processes import die_with_parent

_PR_SET_PDEATHSIG = 1


class LineSink(Protocol):
    """Where a command's output goes: a text stream, or anything that writes and flushes."""

    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...


@dataclass(frozen=True)
class CommandResult:
    exit_code: int
    last_line: str


class ShellCommand:
    """One run of ``argv``; ``kill()`` may be called from a signal handler or ``on_kill``."""

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        encoding: str = "utf-8",
    ) -> None:
        self.argv = list(argv)
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.encoding = encoding
        self.process: subprocess.Popen[bytes] | None = None

    def run(self, out: LineSink | None = None) -> CommandResult:
        """Run to completion, copying each output line to ``out`` (default ``sys.stdout``)."""
        self.process = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=self.cwd,
            env=self.env,
            start_new_session=True,  # its own process group, which kill() ends as a whole
            preexec_fn=_die_with_parent(os.getpid()),
        )
        try:
            last_line = self._stream(out if out is not None else sys.stdout)
            exit_code = self.process.wait()
        except BaseException:
            self.kill()
            raise
        finally:
            if self.process.stdout is not None:
                self.process.stdout.close()
        return CommandResult(exit_code, last_line)

    def _stream(self, out: LineSink) -> str:
        assert self.process is not None and self.process.stdout is not None
        last_line = ""
        for raw in iter(self.process.stdout.readline, b""):
            last_line = raw.decode(self.encoding, errors="backslashreplace").rstrip("\r\n")
            out.write(last_line + "\n")
            out.flush()
        return last_line

    def kill(self) -> None:
        """SIGKILL the command's whole process group and reap the command."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):  # the group is already gone
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _die_with_parent(parent_pid: int) -> Callable[[], bool]:
    """A ``preexec_fn`` asking Linux to SIGKILL the child when its parent thread exits."""
    return functools.partial(die_with_parent, signal.SIGKILL, parent_pid)
