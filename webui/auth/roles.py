"""The three roles and their order: each role can do everything the roles below it can."""

from __future__ import annotations

from scheduler.store.models_auth import ROLES

__all__ = ["ROLES", "has_role", "lowest_role", "role_rank"]

_RANK = {role: rank for rank, role in enumerate(ROLES)}


def role_rank(role: str) -> int:
    """Position of ``role`` in ROLES; an unknown role ranks below Viewer (can do nothing)."""
    return _RANK.get(role, -1)


def has_role(user_role: str, needed: str) -> bool:
    """Whether a user with ``user_role`` may do what needs ``needed``."""
    return role_rank(user_role) >= role_rank(needed)


def lowest_role(roles: tuple[str, ...]) -> str:
    """The least powerful of ``roles``: since roles are ordered, it is the one that counts."""
    unknown = [r for r in roles if r not in _RANK]
    if unknown:
        raise ValueError(f"unknown role(s) {unknown}; use one of {list(ROLES)}")
    return min(roles, key=role_rank)
