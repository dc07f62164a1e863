"""Notifiers: callbacks that tell people about runs and tasks (Airflow's ``BaseNotifier``).

    from scheduler.notifications import SmtpNotifier, WebhookNotifier, SlackWebhookNotifier
    PythonOperator(..., on_failure_callback=SmtpNotifier(to="ops@example.com"))
    DAG(..., on_failure_callback=[WebhookNotifier(http_conn_id="alerts")])

Each is a callable taking the context, usable wherever a callback is: task callbacks
(``on_*_callback``, also through ``default_args``) and DAG callbacks. Messages are Jinja2
templates rendered with the context plus ``run_url`` / ``task_url`` (links into the web UI,
from ``BATON_WEBUI_BASE_URL``). A notifier that fails is logged and tried again a few times;
it never changes the outcome of the task or run it reports on.
"""

from scheduler.notifications.base import BaseNotifier
from scheduler.notifications.links import run_url, task_url
from scheduler.notifications.slack import SlackWebhookNotifier
from scheduler.notifications.smtp import SmtpNotifier
from scheduler.notifications.webhook import SIGNATURE_HEADER, WebhookNotifier, sign

__all__ = [
    "BaseNotifier",
    "SmtpNotifier",
    "WebhookNotifier",
    "SlackWebhookNotifier",
    "SIGNATURE_HEADER",
    "sign",
    "run_url",
    "task_url",
]
