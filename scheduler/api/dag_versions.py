"""DAG versions (Airflow 3's ``dagVersions``): list, one version with its code, a diff.

Baton reads DAGs from one folder, so every version's bundle is Airflow's local
``dags-folder`` bundle, which has no bundle version (``bundle_version`` is None there too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scheduler.api.databases import read_database
from scheduler.settings import Settings
from scheduler.store import dag_versions as version_store
from scheduler.store import dags as dag_store
from scheduler.store import runs as run_store
from scheduler.store.db import transaction
from scheduler.store.models_dag_versions import DagVersionRow

BUNDLE_NAME = "dags-folder"


@dataclass(frozen=True)
class DagVersion:
    id: int
    version_number: int
    dag_id: str
    created_at: datetime
    fileloc: str
    file_hash: str
    spec_hash: str
    source_code: str

    @classmethod
    def of(cls, row: DagVersionRow) -> DagVersion:
        assert row.id is not None
        return cls(
            row.id,
            row.version_number,
            row.dag_id,
            row.created_at,
            row.fileloc,
            row.file_hash,
            row.spec_hash,
            row.source_code,
        )

    def as_dict(self) -> dict[str, Any]:
        """Airflow 3's DagVersionResponse fields, then Baton's own (file and hashes)."""
        return {
            "id": self.id,
            "version_number": self.version_number,
            "dag_id": self.dag_id,
            "bundle_name": BUNDLE_NAME,
            "bundle_version": None,
            "created_at": self.created_at.isoformat(),
            "fileloc": self.fileloc,
            "file_hash": self.file_hash,
            "spec_hash": self.spec_hash,
        }


def list_dag_versions(settings: Settings, dag_id: str) -> list[DagVersion]:
    """The DAG's versions, oldest first (DagNotFoundError for an unknown DAG)."""
    with transaction(read_database(settings)) as session:
        dag_store.get_dag(session, dag_id)
        return [DagVersion.of(r) for r in version_store.list_versions(session, dag_id)]


def get_dag_version(settings: Settings, dag_id: str, version_number: int) -> DagVersion:
    with transaction(read_database(settings)) as session:
        dag_store.get_dag(session, dag_id)
        return DagVersion.of(version_store.get_version(session, dag_id, version_number))


def run_version(settings: Settings, dag_id: str, run_id: str) -> DagVersion | None:
    """The version a run was created with (None for a run older than versions)."""
    with transaction(read_database(settings)) as session:
        run_store.get_run(session, dag_id, run_id)  # RunNotFoundError names the fix
        row = version_store.version_of_run(session, dag_id, run_id)
        return DagVersion.of(row) if row is not None else None
