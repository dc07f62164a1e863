"""Assets in a try's context: ``outlet_events`` (what the task adds to the events its success
records) and ``triggering_asset_events`` (the events that created an asset-triggered run).

Airflow 3's meanings: ``outlet_events[asset].extra`` is a dict the task fills for that
outlet's event; ``outlet_events[alias].add(Asset(...), extra={...})`` records an event of an
asset chosen at run time, through the alias. Nothing is recorded unless the try succeeds.
``triggering_asset_events[asset]`` is the list of events of that asset behind this run,
read from the database on first use (most tasks never look).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from scheduler.authoring.assets import Asset, AssetAlias
from scheduler.errors import BatonError
from scheduler.store.asset_queries import triggering_events
from scheduler.store.db import make_engine, transaction


@dataclass
class OutletEventAccessor:
    """``outlet_events[key]``: the extra of an asset's event, or the events added to an alias."""

    key: Asset | AssetAlias
    extra: dict[str, Any] = field(default_factory=dict)
    asset_alias_events: list[tuple[Asset, dict[str, Any]]] = field(default_factory=list)

    def add(self, asset: Asset, extra: dict[str, Any] | None = None) -> None:
        if not isinstance(self.key, AssetAlias):
            raise BatonError(
                f"outlet_events[{self.key!r}].add() is for aliases; set "
                f"outlet_events[asset].extra instead, or add through an AssetAlias outlet"
            )
        if not isinstance(asset, Asset):
            raise BatonError(f"outlet_events[alias].add() takes an Asset, got {asset!r}")
        self.asset_alias_events.append((asset, dict(extra or {})))


class OutletEventAccessors(Mapping[Any, OutletEventAccessor]):
    """``context["outlet_events"]``, keyed by ``Asset`` or ``AssetAlias`` objects."""

    def __init__(self) -> None:
        self._accessors: dict[Asset | AssetAlias, OutletEventAccessor] = {}

    def __getitem__(self, key: Any) -> OutletEventAccessor:
        if not isinstance(key, Asset | AssetAlias):
            raise KeyError(f"outlet_events is keyed by Asset or AssetAlias objects, not {key!r}")
        if key not in self._accessors:
            self._accessors[key] = OutletEventAccessor(key)
        return self._accessors[key]

    def __iter__(self) -> Iterator[Asset | AssetAlias]:
        return iter(self._accessors)

    def __len__(self) -> int:
        return len(self._accessors)

    def events(self, outlets: list[Any]) -> tuple[dict[str, Any], ...]:
        """The events a success of a task with these outlets records."""
        found = []
        for outlet in outlets:
            accessor = self[outlet]
            if isinstance(outlet, Asset):
                found.append({**_identity(outlet), "extra": _json(accessor.extra, outlet)})
            for asset, extra in accessor.asset_alias_events:
                event = {**_identity(asset), "extra": _json(extra, asset), "alias": outlet.name}
                found.append(event)
        return tuple(found)


def _identity(asset: Asset) -> dict[str, Any]:
    return {"uri": asset.uri, "name": asset.name, "group": asset.group}


def _json(extra: Any, asset: Asset) -> dict[str, Any]:
    try:
        return json.loads(json.dumps(extra))
    except (TypeError, ValueError) as exc:
        raise BatonError(
            f"the extra of the event of {asset.uri!r} is not JSON-serialisable ({exc}); "
            "use strings, numbers, booleans, lists and dicts"
        ) from None


@dataclass(frozen=True)
class AssetEventInfo:
    """One triggering event as a task sees it (Airflow's ``AssetEventResult`` fields)."""

    id: int
    asset: Asset
    extra: dict[str, Any]
    source_dag_id: str | None
    source_run_id: str | None
    source_task_id: str | None
    source_map_index: int
    source_alias: str | None
    external_source: str | None
    timestamp: datetime


_engines: dict[str, Engine] = {}


class TriggeringAssetEvents(Mapping[Asset, list[AssetEventInfo]]):
    """``context["triggering_asset_events"]``: Asset -> its events behind this run (also
    looked up by URI string); empty for a run that assets did not trigger."""

    def __init__(self, database_url: str | None, dag_id: str, run_id: str, run_type: str) -> None:
        self._where = (database_url, dag_id, run_id)
        self._loaded: dict[Asset, list[AssetEventInfo]] | None = (
            None if run_type == "asset_triggered" and database_url else {}
        )

    def _events(self) -> dict[Asset, list[AssetEventInfo]]:
        if self._loaded is None:
            url, dag_id, run_id = self._where
            assert url is not None
            engine = _engines.get(url) or _engines.setdefault(url, make_engine(url, write=False))
            with transaction(engine) as session:
                rows = triggering_events(session, dag_id, run_id)
            self._loaded = {}
            for row in rows:
                asset = Asset(name=row["name"], uri=row["uri"])
                self._loaded.setdefault(asset, []).append(_info(row, asset))
        return self._loaded

    def __getitem__(self, key: Any) -> list[AssetEventInfo]:
        events = self._events()
        if isinstance(key, str):
            matches = [v for a, v in events.items() if key in (a.uri, a.name)]
            if matches:
                return matches[0]
        elif key in events:
            return events[key]
        elif isinstance(key, Asset):  # the same URI declared under another name
            matches = [v for a, v in events.items() if a.uri == key.uri]
            if matches:
                return matches[0]
        raise KeyError(key)

    def __iter__(self) -> Iterator[Asset]:
        return iter(self._events())

    def __len__(self) -> int:
        return len(self._events())


def _info(row: dict[str, Any], asset: Asset) -> AssetEventInfo:
    fields = {k: row[k] for k in AssetEventInfo.__dataclass_fields__ if k not in ("asset",)}
    return AssetEventInfo(asset=asset, **fields)
