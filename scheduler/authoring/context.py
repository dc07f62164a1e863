"""The stack of DAGs opened with ``with DAG(...):`` (Airflow's DagContext).

Operators created inside the block join the innermost open DAG. A context variable keeps the
stack per thread (and per asyncio task), so two imports in two threads cannot mix their DAGs.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Any

_dag_stack: ContextVar[tuple[Any, ...]] = ContextVar("baton_dag_stack", default=())


def push_dag(dag: Any) -> Token[tuple[Any, ...]]:
    """Make ``dag`` the current DAG; hand the token back to ``pop_dag``."""
    return _dag_stack.set((*_dag_stack.get(), dag))


def pop_dag(token: Token[tuple[Any, ...]]) -> None:
    _dag_stack.reset(token)


def current_dag() -> Any | None:
    """The innermost DAG whose ``with`` block is open, or None."""
    stack = _dag_stack.get()
    return stack[-1] if stack else None
