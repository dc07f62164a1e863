"""``GreeterHook``: the client side of the example plugin.

A hook turns a connection into a client. Here the "service" is a tiny in-process
``Greeter`` so the example runs anywhere, but the shape is the one of a real provider:

* the connection (``conn_type`` ``greeter``) carries who greets (``login``), an API key
  (``password``, masked in logs as soon as it is read) and options in its extra
  (``greeting``, default ``"Hello"``; ``punctuation``, default ``"!"``);
* ``get_conn()`` builds the client from it, once per hook;
* ``test_connection()`` is what ``baton connections test`` calls.
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduler import BaseHook


@dataclass(frozen=True)
class Greeter:
    """The client: a real plugin would hold an HTTP session or a driver connection here."""

    greeting: str
    sender: str | None
    punctuation: str
    api_key: str | None

    def greet(self, name: str) -> str:
        signature = f" (from {self.sender})" if self.sender else ""
        return f"{self.greeting}, {name}{self.punctuation}{signature}"


class GreeterHook(BaseHook):
    """Greets people through the connection ``greeter_conn_id`` (default ``greeter_default``)."""

    conn_name_attr = "greeter_conn_id"
    default_conn_name = "greeter_default"
    conn_type = "greeter"
    hook_name = "Greeter"

    def __init__(self, greeter_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.greeter_conn_id = greeter_conn_id
        self._client: Greeter | None = None

    def get_conn(self) -> Greeter:
        if self._client is None:
            conn = self.get_connection(self.greeter_conn_id)
            extra = conn.extra_dejson
            self._client = Greeter(
                greeting=str(extra.get("greeting", "Hello")),
                sender=conn.login,
                punctuation=str(extra.get("punctuation", "!")),
                api_key=conn.password,
            )
        return self._client

    def greet(self, name: str) -> str:
        message = self.get_conn().greet(name)
        self.log.info("Greeted %s through connection %s", name, self.greeter_conn_id)
        return message

    def test_connection(self) -> tuple[bool, str]:
        """``(ok, message)``, Airflow's contract: a real hook would call the service."""
        client = self.get_conn()
        if not client.greeting.strip():
            return False, f"connection '{self.greeter_conn_id}' has an empty 'greeting' extra"
        return True, f"connection '{self.greeter_conn_id}' works: {client.greet('world')}"
