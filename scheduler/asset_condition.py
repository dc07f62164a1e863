"""Asset conditions as plain data: what a DAG's ``schedule=[asset, ...]`` is stored as.

A condition is JSON: ``{"asset": uri}``, ``{"alias": name}``, ``{"all": [...]}`` or
``{"any": [...]}``. The authoring classes (``Asset``, ``AssetAll``...) produce it; the Engine
evaluates it against the keys of the events queued for a DAG, and the web UI describes it.
Pure functions, no I/O: a key is ``"asset:<uri>"`` or ``"alias:<name>"``.
"""

from __future__ import annotations

from typing import Any

Condition = dict[str, Any]


def asset_key(uri: str) -> str:
    return f"asset:{uri}"


def alias_key(name: str) -> str:
    return f"alias:{name}"


def holds(condition: Condition, present: set[str]) -> bool:
    """Whether ``condition`` is met by events on the assets/aliases whose keys are ``present``
    (Airflow's rule: a list or ``&`` needs every member updated, ``|`` any one)."""
    if "asset" in condition:
        return asset_key(condition["asset"]) in present
    if "alias" in condition:
        return alias_key(condition["alias"]) in present
    if "all" in condition:
        return all(holds(member, present) for member in condition["all"])
    return any(holds(member, present) for member in condition["any"])


def leaves(condition: Condition) -> tuple[list[str], list[str]]:
    """The asset URIs and alias names a condition names (its DAG consumes them)."""
    uris: list[str] = []
    aliases: list[str] = []
    todo = [condition]
    while todo:
        node = todo.pop()
        if "asset" in node:
            uris.append(node["asset"])
        elif "alias" in node:
            aliases.append(node["alias"])
        else:
            todo += node.get("all", []) + node.get("any", [])
    return sorted(set(uris)), sorted(set(aliases))


def describe(condition: Condition | None) -> str:
    """``"s3://a & (s3://b | alias:x)"``: a condition as a person reads it."""
    if condition is None:
        return ""
    if "asset" in condition:
        return condition["asset"]
    if "alias" in condition:
        return f"alias:{condition['alias']}"
    op, members = ("&", condition["all"]) if "all" in condition else ("|", condition["any"])
    parts = [
        f"({describe(m)})" if ("all" in m or "any" in m) and len(members) > 1 else describe(m)
        for m in members
    ]
    return f" {op} ".join(parts)


def schedule_summary(schedule: Any, condition: Condition | None) -> Any:
    """What the DAG row keeps as its schedule, for people: the timetable's stored form, or
    ``"Asset: a & b"`` for a DAG scheduled on assets (Airflow's timetable summary says Asset)."""
    return schedule if condition is None else f"Asset: {describe(condition)}"
