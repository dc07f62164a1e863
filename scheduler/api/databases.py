"""The engines the library functions use: checked once, cached per database URL."""

from __future__ import annotations

import os

from sqlalchemy import Engine

from scheduler.settings import Settings
from scheduler.store.db import make_engine
from scheduler.store.schema import check_schema

_engines: dict[str, Engine] = {}
_read_engines: dict[tuple[str, int], Engine] = {}
_MAX_READ_ENGINES = 8


def database(settings: Settings) -> Engine:
    """The (cached) engine of ``settings``, after checking the schema is current."""
    engine = _engines.get(settings.database_url)
    if engine is None:
        engine = make_engine(settings.database_url)
        check_schema(engine)
        _engines[settings.database_url] = engine
    return engine


def read_database(settings: Settings) -> Engine:
    """A (cached, per process) engine for pages that only read: on SQLite its transactions
    start deferred, so a page load never queues behind, or blocks, the scheduler's writes."""
    key = (settings.database_url, os.getpid())
    engine = _read_engines.get(key)
    if engine is None:
        database(settings)  # checks the schema once
        if len(_read_engines) >= _MAX_READ_ENGINES:  # e.g. tests, each on its own database
            _read_engines.pop(next(iter(_read_engines))).dispose()
        engine = _read_engines[key] = make_engine(settings.database_url, write=False)
    return engine
