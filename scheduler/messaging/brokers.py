"""Where each broker's address comes from: a connection, else Airflow's default one.

Airflow creates ``redis_default`` (localhost:6379) and friends with its default
connections; Baton does the same for the message-queue triggers' default ids, so an
example works on a machine with the brokers on localhost. Any other id must exist
(``BATON_CONN_<ID>`` or ``baton connections add``); credentials stay in the connection,
never in the trigger's kwargs (which are stored in the ``trigger`` table and shown).
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.errors import ConnectionNotFoundError

# Airflow's default connections for these ids: (login, password) on localhost.
_DEFAULT_IDS = {
    "amqp_default": ("guest", "guest"),
    "redis_default": (None, None),
    "mqtt_default": (None, None),
}


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    login: str | None
    password: str | None
    schema: str  # AMQP: the virtual host; Redis: the database number

    def __repr__(self) -> str:  # never the password
        return f"BrokerAddress({self.host}:{self.port}, login={self.login!r})"


def broker_address(conn_id: str, *, port: int, schema: str = "") -> BrokerAddress:
    """The broker of connection ``conn_id``, ``port`` and ``schema`` where it names none
    (a blocking lookup: call it in a thread)."""
    from scheduler.connections import get_connection

    try:
        conn = get_connection(conn_id)
    except ConnectionNotFoundError:
        if conn_id not in _DEFAULT_IDS:
            raise
        login, password = _DEFAULT_IDS[conn_id]
        return BrokerAddress("localhost", port, login, password, schema)
    return BrokerAddress(
        host=conn.host or "localhost",
        port=int(conn.port or port),
        login=conn.login or None,
        password=conn.password or None,
        schema=conn.schema or schema,
    )
