"""``SmtpNotifier``: an e-mail through an SMTP connection (Airflow's smtp provider's).

The connection (``smtp_default``): host, port, login and password, and extras as Airflow's
SMTP connection has them: ``from_email``, ``disable_ssl`` (no SMTP over SSL; default false),
``disable_tls`` (no STARTTLS after connecting in plain text; default false), ``timeout``.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Any, ClassVar

from scheduler.connections import BaseHook
from scheduler.notifications.base import BaseNotifier

DEFAULT_SUBJECT = (
    "{% if ti is defined %}DAG {{ dag.dag_id }} - Task {{ ti.task_id }} - Run ID {{ run_id }} "
    "in State {{ ti.state }}{% else %}DAG {{ dag.dag_id }} - Run ID {{ run_id }} "
    "in State {{ dag_run.state }}{% endif %}"
)
DEFAULT_HTML = (
    "<p>{% if ti is defined %}Task <b>{{ ti.task_id }}</b> (try {{ ti.try_number }}) is "
    "{{ ti.state }}{% if exception is defined %}: {{ exception }}{% endif %}"
    "{% else %}Run is {{ dag_run.state }}{% endif %}.</p>"
    '<p>DAG {{ dag.dag_id }}, run {{ run_id }}: <a href="{{ run_url }}">{{ run_url }}</a></p>'
)


class SmtpNotifier(BaseNotifier):
    template_fields: ClassVar[tuple[str, ...]] = (
        "from_email",
        "to",
        "subject",
        "html_content",
        "cc",
        "bcc",
        "custom_headers",
    )

    def __init__(
        self,
        to: str | list[str],
        from_email: str | None = None,
        smtp_conn_id: str = "smtp_default",
        subject: str | None = None,
        html_content: str | None = None,
        cc: str | list[str] | None = None,
        bcc: str | list[str] | None = None,
        custom_headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.to = to
        self.from_email = from_email
        self.smtp_conn_id = smtp_conn_id
        self.subject = subject or DEFAULT_SUBJECT
        self.html_content = html_content or DEFAULT_HTML
        self.cc = cc
        self.bcc = bcc
        self.custom_headers = custom_headers or {}

    def notify(self, context: dict[str, Any]) -> None:
        conn = BaseHook.get_connection(self.smtp_conn_id)
        extra = conn.extra_dejson
        sender = self.from_email or extra.get("from_email") or conn.login
        if not sender:
            raise ValueError(
                f"SmtpNotifier: no sender; pass from_email= or set from_email in the extra of "
                f"connection {self.smtp_conn_id!r}"
            )
        message = self._message(sender)
        recipients = _addresses(self.to) + _addresses(self.cc) + _addresses(self.bcc)
        with _connect(conn.host or "localhost", conn.port, extra) as server:
            if conn.login and conn.password:
                server.login(conn.login, conn.password)
            server.send_message(message, from_addr=sender, to_addrs=recipients)

    def _message(self, sender: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = ", ".join(_addresses(self.to))
        if self.cc:
            message["Cc"] = ", ".join(_addresses(self.cc))
        message["Subject"] = self.subject
        for name, value in self.custom_headers.items():
            message[name] = value
        message.set_content("This message is HTML; open it in a client that shows HTML.")
        message.add_alternative(self.html_content, subtype="html")
        return message


def _addresses(value: str | list[str] | None) -> list[str]:
    if not value:
        return []
    items = value.replace(";", ",").split(",") if isinstance(value, str) else value
    return [item.strip() for item in items if item.strip()]


def _connect(host: str, port: int | None, extra: dict[str, Any]) -> smtplib.SMTP:
    timeout = float(extra.get("timeout", 30))
    if not _flag(extra.get("disable_ssl")):
        return smtplib.SMTP_SSL(
            host, port or 465, timeout=timeout, context=ssl.create_default_context()
        )
    server = smtplib.SMTP(host, port or 25, timeout=timeout)
    if not _flag(extra.get("disable_tls")):
        server.starttls(context=ssl.create_default_context())
    return server


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")
