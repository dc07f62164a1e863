"""``BaseNotifier``: a callback whose ``template_fields`` are rendered, then ``notify()``.

Subclass it and implement ``notify(context)``; list the attributes holding templates in
``template_fields``. Calling the notifier (as a callback does) renders a copy of it with
the context (plus ``run_url`` and ``task_url``), then calls ``notify`` up to ``retries + 1``
times, ``retry_delay`` seconds apart (doubling). An error is logged with the notifier's
name and never raised: a notification must not fail the task or the run it reports on.
"""

from __future__ import annotations

import copy
import logging
import time
from typing import Any, ClassVar

from scheduler.masking import redact
from scheduler.notifications.links import links_of
from scheduler.runner.templating import TemplateRenderer

log = logging.getLogger("baton.notifications")

DEFAULT_RETRIES = 2
DEFAULT_RETRY_DELAY = 1.0


class BaseNotifier:
    """A notification sent from a callback (Airflow's ``BaseNotifier``)."""

    template_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, retries: int = DEFAULT_RETRIES, retry_delay: float = DEFAULT_RETRY_DELAY):
        if retries < 0 or retry_delay < 0:
            raise ValueError(
                f"{type(self).__name__}: retries ({retries}) and retry_delay ({retry_delay}) "
                "must not be negative"
            )
        self.retries = retries
        self.retry_delay = retry_delay

    def notify(self, context: dict[str, Any]) -> None:
        """Send the notification; raise to have it retried."""
        raise NotImplementedError(f"{type(self).__name__} must implement notify(context)")

    def render_template_fields(self, context: dict[str, Any]) -> BaseNotifier:
        """A copy of this notifier with its ``template_fields`` rendered with ``context``."""
        rendered = copy.copy(self)
        renderer = TemplateRenderer(context.get("dag"), context)
        for name in self.template_fields:
            setattr(rendered, name, renderer.render(getattr(self, name)))
        return rendered

    def __call__(self, *args: Any) -> None:
        # Airflow calls task callbacks with the context; a DAG callback gets it too.
        context = dict(args[0]) if args and isinstance(args[0], dict) else {}
        context.update(links_of(context))
        name = type(self).__name__
        for attempt in range(self.retries + 1):
            try:
                self.render_template_fields(context).notify(context)
                return
            except Exception as exc:
                last = attempt == self.retries
                log.warning(
                    "%s failed (attempt %d of %d): %s%s",
                    name,
                    attempt + 1,
                    self.retries + 1,
                    redact(f"{type(exc).__name__}: {exc}"),
                    "; giving up, the task's outcome is unchanged" if last else "; retrying",
                )
                if last:
                    return
                time.sleep(self.retry_delay * (2**attempt))
