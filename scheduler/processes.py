"""Linux process controls shared by the loader, the workers and the shell operator.

``die_with_parent``: without it, a loader, worker or bash child whose parent was SIGKILLed
keeps running as an orphan (and a task could run twice). The kernel sends the signal when
the *thread* that forked the child exits, so start children from the main thread.
``set_process_name``: names shown by ps/top (``baton-loader``, ``baton-worker``).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15
_PR_SET_CHILD_SUBREAPER = 36
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def die_with_parent(sig: int = signal.SIGKILL, parent_pid: int | None = None) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent exits.

    ``parent_pid`` closes the race where the parent died before this call: if the current
    parent is no longer that process, ``sig`` is sent at once. Returns False where the call
    is unsupported (not Linux); the process then merely outlives a crashed parent.
    """
    if _libc is None:
        return False
    if _libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        return False
    if parent_pid is not None and os.getppid() != parent_pid:
        os.kill(os.getpid(), sig)
    return True


def set_process_name(name: str) -> None:
    """Set the name ps, top and psutil show for this process (15 bytes at most)."""
    if _libc is not None:
        _libc.prctl(_PR_SET_NAME, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)


def become_subreaper() -> bool:
    """Adopt this process's orphaned descendants (instead of init), so that ``kill_children``
    finds a grandchild whose parent exited. False where unsupported (not Linux)."""
    return _libc is not None and _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def children_of(pid: int) -> list[int]:
    """The direct children of ``pid`` (Linux ``/proc/PID/task/TID/children``)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as handle:
                found += [int(child) for child in handle.read().split()]
        except OSError:
            continue
    return found


def kill_children(rounds: int = 50) -> None:
    """SIGKILL and reap every child of this process, and, for a subreaper, the descendants
    each kill orphans (they are adopted by this process and killed in the next round)."""
    for _ in range(rounds):
        children = children_of(os.getpid())
        if not children:
            return
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        for child in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(child, 0)
