"""The executor matrix: ``backend`` runs a test module once per executor.

``local`` (pre-forked workers), ``celery-redis`` (a real ``baton celery worker`` on the
machine's Redis, its try claims and shipped logs in a PostgreSQL schema of its own) and
``celery-rabbitmq`` (the same on RabbitMQ, with a SQLite database): between them the Celery
executor meets both brokers and both databases. The fixture is module-scoped because a
worker takes seconds to start; each test makes requests with run ids of its own. A broker
or database that is not there fails the test naming it, never skips it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .backends import CELERY_BACKENDS, Backend, open_backend


@pytest.fixture(scope="module", params=["local", *CELERY_BACKENDS])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    with open_backend(request.param, tmp_path_factory.mktemp(request.param)) as opened:
        yield opened
