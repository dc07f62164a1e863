"""The Celery application both sides share: the scheduler publishes tries, workers run them.

Configured for at-least-once delivery without losing a try: a message is acknowledged
after the try ran (``task_acks_late``), a worker takes one message per free process
(``worker_prefetch_multiplier=1``, so a long try does not sit on messages another worker
could run), and everything is JSON. A redelivered message is made harmless by the try's
claim (``scheduler.store.try_claims``), not by the broker.
"""

from __future__ import annotations

from celery import Celery
from kombu import Exchange, Queue

from scheduler.errors import ConfigError
from scheduler.settings import Settings

#: The one Celery task: run one try (``celery_worker.run_try_message``).
TASK_NAME = "baton.run_try"
#: Workers publish ``TaskStarted``/``TaskFinished`` here, routed to the scheduler's queue.
#: Durable, as the queues bound to it: an outcome survives a broker restart.
EVENTS = Exchange("baton.try_events", type="direct", durable=True)
EVENTS_QUEUE_EXPIRES_S = 3600.0  # a queue its scheduler stopped reading goes after an hour
DEFAULT_QUEUE = "default"  # Airflow's [operators] default_queue


def make_celery_app(settings: Settings) -> Celery:
    """The Celery app for ``settings``' broker; ``ConfigError`` when there is none."""
    broker = settings.celery_broker_url
    if not broker:
        raise ConfigError(
            "the Celery executor needs a broker: set BATON_CELERY_BROKER_URL, e.g. "
            "redis://127.0.0.1:6379/0 or amqp://guest:guest@127.0.0.1:5672//"
        )
    if not broker.startswith(("redis://", "rediss://", "amqp://", "amqps://", "pyamqp://")):
        raise ConfigError(
            f"BATON_CELERY_BROKER_URL={broker.split('://')[0]}://... is not a broker Baton "
            "supports; use redis://host:6379/N or amqp://user:password@host:5672//"
        )
    backend = settings.celery_result_backend or None
    app = Celery("baton", broker=broker, backend=backend, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=False,  # the claim decides; never run a try twice
        worker_prefetch_multiplier=1,
        task_default_queue=DEFAULT_QUEUE,
        task_create_missing_queues=True,
        task_ignore_result=backend is None,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a restarted broker is waited for, not fatal
        # A broker that is away must not hold the scheduler's loop for long: a publish
        # that cannot connect fails within this and is sent again later (celery.py).
        broker_connection_timeout=1.0,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        timezone="UTC",
    )
    return app


def events_queue(name: str) -> Queue:
    """The queue one executor reads its workers' events from. Not auto-deleted: events
    sent while its consumer reconnects wait in it. Deleted at the executor's shutdown, or
    by RabbitMQ an hour after its scheduler died (Redis keeps an unread list)."""
    return Queue(
        name,
        EVENTS,
        routing_key=name,
        durable=True,
        auto_delete=False,
        expires=EVENTS_QUEUE_EXPIRES_S,
    )
