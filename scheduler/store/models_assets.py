"""Assets: the tables of data-aware scheduling (Airflow 3's names where it has them).

``asset`` and ``asset_alias`` are what DAG files declare (or a task adds through an alias,
or an external event names). ``asset_event`` is one update, with its source: a task
instance, or ``external_source`` (who posted it through the API or CLI).
``dag_schedule_asset_reference`` / ``dag_schedule_asset_alias_reference`` say which DAG is
scheduled on what, ``task_outlet_asset_reference`` which task produces what.
``asset_dag_run_queue`` holds each event once per consuming DAG until that DAG's condition
holds and a run takes it; ``asset_watcher`` holds the watchers DAGs declare and the
triggers running them. ``dagrun_asset_event`` links a run to the events that triggered it
(unique per consuming DAG and event: two schedulers cannot both consume one event).
Column-only; the logic is in ``scheduler.store.assets``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from scheduler.store.sqlmodel_boundary import table_of
from scheduler.store.types import JsonText, UtcDateTime


class AssetRow(SQLModel, table=True):
    __tablename__ = "asset"

    id: int | None = Field(default=None, primary_key=True)
    uri: str = Field(max_length=1500, unique=True)
    name: str = Field(max_length=1500)
    group: str = Field(default="asset", max_length=1500)
    extra: Any = Field(default_factory=dict, sa_type=JsonText)
    created_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)


class AssetAliasRow(SQLModel, table=True):
    __tablename__ = "asset_alias"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=1500, unique=True)
    group: str = Field(default="asset", max_length=1500)


class AssetEventRow(SQLModel, table=True):
    __tablename__ = "asset_event"
    __table_args__ = (Index("ix_asset_event_asset_id_timestamp", "asset_id", "timestamp"),)

    id: int | None = Field(default=None, primary_key=True)
    asset_id: int = Field(foreign_key="asset.id")
    extra: Any = Field(default_factory=dict, sa_type=JsonText)
    source_dag_id: str | None = Field(default=None, max_length=250)
    source_run_id: str | None = Field(default=None, max_length=250)
    source_task_id: str | None = Field(default=None, max_length=250)
    source_map_index: int = -1
    # The alias a task added this event through (outlet_events[alias].add(...)), if any.
    source_alias: str | None = Field(default=None, max_length=1500)
    # Who posted an event from outside (``api:alice``, ``cli:bob``); None for a task's.
    external_source: str | None = Field(default=None, max_length=250)
    # Why the event failed (a message that is not valid JSON): it is kept, shown, and
    # queued for no DAG. None for every event that happened.
    error: str | None = Field(default=None, sa_type=Text)
    timestamp: datetime = Field(sa_type=UtcDateTime, index=True)


class DagScheduleAssetRow(SQLModel, table=True):
    __tablename__ = "dag_schedule_asset_reference"

    dag_id: str = Field(primary_key=True, max_length=250)
    asset_id: int = Field(primary_key=True, foreign_key="asset.id", index=True)


class DagScheduleAliasRow(SQLModel, table=True):
    __tablename__ = "dag_schedule_asset_alias_reference"

    dag_id: str = Field(primary_key=True, max_length=250)
    alias_id: int = Field(primary_key=True, foreign_key="asset_alias.id", index=True)


class TaskOutletAssetRow(SQLModel, table=True):
    __tablename__ = "task_outlet_asset_reference"

    dag_id: str = Field(primary_key=True, max_length=250)
    task_id: str = Field(primary_key=True, max_length=250)
    asset_id: int = Field(primary_key=True, foreign_key="asset.id", index=True)


class AssetDagRunQueueRow(SQLModel, table=True):
    __tablename__ = "asset_dag_run_queue"

    target_dag_id: str = Field(primary_key=True, max_length=250)
    event_id: int = Field(primary_key=True, foreign_key="asset_event.id")
    created_at: datetime = Field(sa_type=UtcDateTime)


class DagRunAssetEventRow(SQLModel, table=True):
    __tablename__ = "dagrun_asset_event"
    __table_args__ = (
        UniqueConstraint("dag_id", "event_id", name="uq_dagrun_asset_event_dag_event"),
    )

    # No foreign key: deleting a run (``baton runs delete``) leaves its links behind,
    # harmless, instead of needing every deleter to know this table.
    dag_run_id: int = Field(primary_key=True)
    event_id: int = Field(primary_key=True, foreign_key="asset_event.id", index=True)
    dag_id: str = Field(max_length=250)


class AssetWatcherRow(SQLModel, table=True):
    """An ``AssetWatcher`` a DAG declares on an asset of its schedule (Airflow's
    ``asset_watcher``, keyed per declaring DAG here): the serialized trigger, and the
    ``trigger`` row running it while the DAG is active and unpaused (None otherwise).
    DAGs declaring the same watcher on the same asset share one trigger."""

    __tablename__ = "asset_watcher"
    __table_args__ = (Index("ix_asset_watcher_trigger_id", "trigger_id"),)

    dag_id: str = Field(primary_key=True, max_length=250)
    asset_id: int = Field(primary_key=True, foreign_key="asset.id")
    name: str = Field(primary_key=True, max_length=1500)
    classpath: str = Field(sa_type=Text)
    kwargs: Any = Field(default_factory=dict, sa_type=JsonText)
    trigger_id: int | None = None


asset_table = table_of(AssetRow)
alias_table = table_of(AssetAliasRow)
asset_event_table = table_of(AssetEventRow)
schedule_asset_table = table_of(DagScheduleAssetRow)
schedule_alias_table = table_of(DagScheduleAliasRow)
outlet_asset_table = table_of(TaskOutletAssetRow)
queue_table = table_of(AssetDagRunQueueRow)
run_event_table = table_of(DagRunAssetEventRow)
watcher_table = table_of(AssetWatcherRow)
