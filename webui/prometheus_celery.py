"""Prometheus metrics of the Celery side, read from the broker at scrape time.

Registered beside ``BatonCollector`` when ``BATON_EXECUTOR=celery``. Each scrape asks the
broker once for each queue's depth (a passive declare) and broadcasts one ``inspect active``
(a short timeout: it waits that long for the workers' replies). A broker that does not answer
gives ``baton_celery_broker_up 0`` and no other Celery sample, never a failed scrape.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from scheduler.api.celery_cluster import inspect_workers, queue_depths, task_queues
from scheduler.settings import Settings, mask_url_password

log = logging.getLogger(__name__)


class CeleryCollector(Collector):
    def __init__(self, settings: Settings, timeout: float = 1.0) -> None:
        self.settings = settings
        self.timeout = timeout

    def collect(self) -> Iterator[Metric]:
        try:
            depths = queue_depths(self.settings, task_queues(self.settings))
        except Exception as exc:  # the broker is down: say so, keep the rest of the scrape
            log.warning(
                "/metrics: the Celery broker does not answer: %s", mask_url_password(str(exc))
            )
            yield _broker_up(False)
            return
        view = inspect_workers(self.settings, self.timeout)
        yield _broker_up(view.error is None)
        queue = GaugeMetricFamily(
            "baton_celery_queue_depth",
            "Tries waiting on the broker for a Celery worker, per queue.",
            labels=["queue"],
        )
        for name, depth in depths.items():
            queue.add_metric([name], depth)
        yield queue
        running = GaugeMetricFamily(
            "baton_worker_running_tries",
            "Tries each Celery worker is running (its answer to inspect active).",
            labels=["worker"],
        )
        for worker in view.workers:
            running.add_metric([worker.hostname], len(worker.active_tries))
        yield running
        yield GaugeMetricFamily(
            "baton_celery_workers",
            f"Celery workers that answered within {self.timeout:g} s.",
            value=len(view.workers),
        )


def _broker_up(up: bool) -> GaugeMetricFamily:
    return GaugeMetricFamily(
        "baton_celery_broker_up", "1 when the Celery broker answered this scrape.", value=int(up)
    )
