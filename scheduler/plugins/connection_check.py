"""``baton connections test``: ask the hook registered for a connection's type to test it.

Testing needs a plugin: Baton itself knows no outside system. A plugin registers a hook per
connection type (``connection_types={"http": HttpHook}``); when that hook defines Airflow's
``test_connection() -> (ok, message)``, it is called with the connection's id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from scheduler.connections import get_connection
from scheduler.errors import BatonError
from scheduler.masking import redact
from scheduler.plugins.loader import PluginReport
from scheduler.settings import Settings


@runtime_checkable
class _TestsConnection(Protocol):
    """A hook with Airflow's optional ``test_connection`` (BaseHook does not define it)."""

    def test_connection(self) -> tuple[bool, Any]: ...


@dataclass(frozen=True)
class ConnectionCheck:
    conn_id: str
    conn_type: str
    hook: str
    ok: bool
    message: str


def check_connection(settings: Settings, report: PluginReport, conn_id: str) -> ConnectionCheck:
    """Test ``conn_id`` with its type's hook; ``BatonError`` when nothing can test it."""
    conn = get_connection(conn_id, settings)
    hook_class = report.hook_for_conn_type(conn.conn_type)
    if hook_class is None:
        known = sorted({t for p in report.plugins for t in p.connection_types})
        raise BatonError(
            f"cannot test connection '{conn_id}': no plugin registers a hook for its type "
            f"'{conn.conn_type}' (types with hooks: {', '.join(known) or 'none'}); "
            "`baton plugins list` shows what loaded"
        )
    hook_name = f"{hook_class.__module__}.{hook_class.__qualname__}"
    if not issubclass(hook_class, _TestsConnection):
        raise BatonError(
            f"cannot test connection '{conn_id}': its hook {hook_name} has no "
            "test_connection() method"
        )
    try:
        hook = hook_class(**{hook_class.conn_name_attr: conn_id})
        ok, message = hook.test_connection()
    except Exception as exc:  # a failing test is a result, not a crash of the command
        ok, message = False, f"{type(exc).__name__}: {exc}"
    return ConnectionCheck(conn_id, conn.conn_type, hook_name, bool(ok), redact(str(message)))
