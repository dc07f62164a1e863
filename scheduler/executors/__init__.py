"""Executor back ends; the interface they implement is ``scheduler.executor``.

``local``: pre-forked worker processes (the default). ``celery``: ``baton celery worker``
processes anywhere, through a broker (``celery.py``). ``inline``: each try runs inside
``submit``, in the calling process (``baton dags test``, unit tests).
"""

from __future__ import annotations

from collections.abc import Callable

from scheduler.errors import ConfigError
from scheduler.executor import Executor
from scheduler.executors.inline import InlineExecutor
from scheduler.executors.local import LocalExecutor, describe_exit
from scheduler.executors.worker import (
    WorkerPolicy,
    after_fork_in_worker,
    register_after_fork_in_worker,
)
from scheduler.runner import XComReaderFactory
from scheduler.settings import Settings

__all__ = [
    "EXECUTORS",
    "InlineExecutor",
    "LocalExecutor",
    "WorkerPolicy",
    "after_fork_in_worker",
    "create_executor",
    "describe_exit",
    "register_after_fork_in_worker",
]


def _local(settings: Settings, factory: XComReaderFactory | None) -> Executor:
    return LocalExecutor(
        parallelism=settings.parallelism,
        worker_memory_limit_mb=settings.worker_memory_limit_mb,
        recycle_rss_mb=settings.worker_recycle_rss_mb,
        xcom_reader_factory=factory,
    )


def _inline(settings: Settings, factory: XComReaderFactory | None) -> Executor:
    return InlineExecutor(xcom_reader_factory=factory)


def _celery(settings: Settings, factory: XComReaderFactory | None) -> Executor:
    # Imported here: Celery and kombu cost ~0.2 s of import, which only the Celery
    # executor should pay (workers build their own XCom readers: no factory).
    from scheduler.executors.celery import CeleryExecutor

    return CeleryExecutor(settings)


#: ``BATON_EXECUTOR`` value → how to build that executor from the settings.
EXECUTORS: dict[str, Callable[[Settings, XComReaderFactory | None], Executor]] = {
    "local": _local,
    "inline": _inline,
    "celery": _celery,
}


def create_executor(
    settings: Settings, xcom_reader_factory: XComReaderFactory | None = None
) -> Executor:
    """The executor ``settings.executor`` names, not yet started."""
    build = EXECUTORS.get(settings.executor)
    if build is None:
        raise ConfigError(
            f"BATON_EXECUTOR={settings.executor!r} is unknown; "
            f"use one of: {', '.join(sorted(EXECUTORS))}"
        )
    return build(settings, xcom_reader_factory)
