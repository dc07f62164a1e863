"""Airflow 3's data-aware scheduling: ``Asset``, ``AssetAlias``, ``AssetAll``, ``AssetAny``.

``Asset("s3://bucket/orders.csv")`` names a piece of data by URI; a task with
``outlets=[asset]`` records an asset event each time it succeeds, and a DAG with
``schedule=[asset, ...]`` (or ``a & b``, ``a | b``) runs when the condition holds. As in
Airflow, a single name or URI stands for both (``Asset("x")`` has ``name == uri == "x"``).
"""

from __future__ import annotations

from typing import Any

from scheduler.asset_condition import Condition
from scheduler.errors import DagDefinitionError

_MAX_LENGTH = 1500  # Airflow's column width for names and URIs
DEFAULT_GROUP = "asset"


class BaseAsset:
    """What ``&`` and ``|`` combine; ``condition()`` is its stored form."""

    def __and__(self, other: BaseAsset) -> AssetAll:
        _check_operand(other, "&")
        return AssetAll(self, other)

    def __or__(self, other: BaseAsset) -> AssetAny:
        _check_operand(other, "|")
        return AssetAny(self, other)

    def condition(self) -> Condition:
        raise NotImplementedError


class Asset(BaseAsset):
    """A piece of data a task produces and DAGs may be scheduled on."""

    def __init__(
        self,
        name: str | None = None,
        uri: str | None = None,
        *,
        group: str = DEFAULT_GROUP,
        extra: dict[str, Any] | None = None,
        watchers: list[AssetWatcher] | None = None,
    ) -> None:
        if name is None and uri is None:
            raise DagDefinitionError("Asset() needs a name or a uri, e.g. Asset('s3://b/k.csv')")
        self.name = _check_text("name", name if name is not None else uri)
        self.uri = _check_uri(uri if uri is not None else name)
        self.group = _check_text("group", group or DEFAULT_GROUP)
        if extra is not None and not isinstance(extra, dict):
            raise DagDefinitionError(
                f"Asset {self.uri!r}: extra must be a dict, got {type(extra).__name__}"
            )
        self.extra = dict(extra or {})
        self.watchers = _check_watchers(self.uri, watchers)

    def condition(self) -> Condition:
        return {"asset": self.uri}

    def as_dict(self) -> dict[str, Any]:
        """The form kept in a task's spec (its outlets and inlets)."""
        return {"uri": self.uri, "name": self.name, "group": self.group, "extra": self.extra}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Asset) and (self.uri, self.name) == (other.uri, other.name)

    def __hash__(self) -> int:
        return hash(("asset", self.uri, self.name))

    def __repr__(self) -> str:
        return f"Asset(name={self.name!r}, uri={self.uri!r}, group={self.group!r})"


class AssetWatcher:
    """Airflow 3's ``AssetWatcher(name, trigger)``: the triggerer runs ``trigger`` (a
    ``BaseEventTrigger``, e.g. ``MessageQueueTrigger``) for as long as an active, unpaused
    DAG is scheduled on the asset, and each event it yields is an event of the asset."""

    def __init__(self, name: str, trigger: Any) -> None:
        from scheduler.triggers.event_trigger import BaseEventTrigger

        self.name = _check_text("watcher name", name)
        if not isinstance(trigger, BaseEventTrigger):
            raise DagDefinitionError(
                f"AssetWatcher {name!r}: trigger must be a BaseEventTrigger (e.g. "
                f"MessageQueueTrigger(...)), not {type(trigger).__name__}: a task's trigger "
                "fires once, a watcher's keeps yielding events"
            )
        self.trigger = trigger

    def as_dict(self, uri: str) -> dict[str, Any]:
        """The form kept in a DAG's spec: which asset, the name, the serialized trigger."""
        from scheduler.triggers import serde

        classpath, kwargs = self.trigger.serialize()
        where = f"AssetWatcher {self.name!r}: its trigger's kwargs"
        return {
            "uri": uri,
            "name": self.name,
            "classpath": classpath,
            "kwargs": serde.encode(kwargs, where),
        }

    def __repr__(self) -> str:
        return f"AssetWatcher(name={self.name!r}, trigger={self.trigger!r})"


class AssetAlias(BaseAsset):
    """A name for assets decided while a task runs: the task adds events through it with
    ``outlet_events[alias].add(Asset(...), extra=...)``; a DAG may be scheduled on it."""

    def __init__(self, name: str, group: str = DEFAULT_GROUP) -> None:
        self.name = _check_text("name", name)
        self.group = _check_text("group", group or DEFAULT_GROUP)

    def condition(self) -> Condition:
        return {"alias": self.name}

    def as_dict(self) -> dict[str, Any]:
        return {"alias": self.name, "group": self.group}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AssetAlias) and self.name == other.name

    def __hash__(self) -> int:
        return hash(("alias", self.name))

    def __repr__(self) -> str:
        return f"AssetAlias(name={self.name!r}, group={self.group!r})"


class _AssetBooleanCondition(BaseAsset):
    kind = ""

    def __init__(self, *objects: BaseAsset) -> None:
        for member in objects:
            _check_operand(member, type(self).__name__)
        self.objects = list(objects)

    def condition(self) -> Condition:
        return {self.kind: [member.condition() for member in self.objects]}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(map(repr, self.objects))})"


class AssetAll(_AssetBooleanCondition):
    """Every member must have been updated (``a & b``; a list in ``schedule=``)."""

    kind = "all"


class AssetAny(_AssetBooleanCondition):
    """Any one member updated is enough (``a | b``)."""

    kind = "any"


def asset_schedule(schedule: Any) -> Condition | None:
    """The condition of an asset ``schedule=`` (an asset, an expression or a list of them),
    or None when ``schedule`` is not about assets (a cron string, a timedelta...)."""
    if isinstance(schedule, BaseAsset):
        return schedule.condition()
    if isinstance(schedule, list | tuple) and schedule:
        if all(isinstance(member, BaseAsset) for member in schedule):
            return AssetAll(*schedule).condition()
        raise DagDefinitionError(
            f"schedule {schedule!r}: a list schedule holds assets only "
            "(Asset, AssetAlias, AssetAll, AssetAny)"
        )
    return None


def schedule_watchers(schedule: Any) -> tuple[dict[str, Any], ...]:
    """The watchers of the assets a ``schedule=`` names (each as ``AssetWatcher.as_dict``)."""
    found: list[dict[str, Any]] = []
    pending = list(schedule) if isinstance(schedule, list | tuple) else [schedule]
    while pending:
        item = pending.pop(0)
        if isinstance(item, Asset):
            found += [watcher.as_dict(item.uri) for watcher in item.watchers]
        elif isinstance(item, _AssetBooleanCondition):
            pending += item.objects
    unique = {(w["uri"], w["name"]): w for w in found}
    return tuple(unique.values())


def _check_watchers(uri: str, watchers: Any) -> list[AssetWatcher]:
    if watchers is None:
        return []
    if not isinstance(watchers, list | tuple) or not all(
        isinstance(w, AssetWatcher) for w in watchers
    ):
        raise DagDefinitionError(
            f"Asset {uri!r}: watchers must be a list of AssetWatcher(name=..., trigger=...), "
            f"got {watchers!r}"
        )
    names = [w.name for w in watchers]
    if len(set(names)) != len(names):
        raise DagDefinitionError(f"Asset {uri!r}: two watchers share a name in {names}")
    return list(watchers)


def outlet_dicts(values: Any, argument: str, where: str) -> tuple[dict[str, Any], ...]:
    """``outlets=`` / ``inlets=`` as stored in a task's spec: assets and aliases only."""
    if values is None:
        return ()
    if not isinstance(values, list | tuple):
        values = [values]
    found = []
    for value in values:
        if not isinstance(value, Asset | AssetAlias):
            raise DagDefinitionError(
                f"{where}: {argument} holds {value!r}; list Asset(...) or AssetAlias(...) "
                "objects, e.g. outlets=[Asset('s3://bucket/key')]"
            )
        found.append(value.as_dict())
    return tuple(found)


def _check_operand(value: Any, operator: str) -> None:
    if not isinstance(value, BaseAsset):
        raise DagDefinitionError(
            f"{value!r} cannot be combined with {operator}: only Asset, AssetAlias, "
            "AssetAll and AssetAny can"
        )


def _check_text(what: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DagDefinitionError(f"an asset's {what} must be a non-empty string, got {value!r}")
    if len(value) > _MAX_LENGTH:
        raise DagDefinitionError(
            f"an asset's {what} is {len(value)} characters long; at most {_MAX_LENGTH} fit"
        )
    return value


def _check_uri(value: Any) -> str:
    uri = _check_text("uri", value)
    if not uri.isascii():
        raise DagDefinitionError(f"asset URI {uri!r} must be ASCII (RFC 3986); percent-encode it")
    if uri.split("://", 1)[0].lower() == "airflow" and "://" in uri:
        raise DagDefinitionError(f"asset URI {uri!r}: the 'airflow' scheme is reserved")
    return uri
