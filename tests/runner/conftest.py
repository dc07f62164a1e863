"""Fixtures of the runner tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from .support import DagFolder


@pytest.fixture
def dags(tmp_path: Path) -> DagFolder:
    """A DAG folder under ``tmp_path``; ``dags.run(task_id)`` runs one try in this process."""
    return DagFolder(tmp_path)
