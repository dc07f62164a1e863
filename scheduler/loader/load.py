"""One-shot loading of a whole DAG folder, for CLI commands that run without a scheduler."""

from __future__ import annotations

from pathlib import Path

from scheduler.loader.discovery import find_dag_files
from scheduler.loader.importer import ImportErrorInfo
from scheduler.loader.ownership import DagOwnership
from scheduler.loader.parse import parse_files
from scheduler.spec import DagSpec


def load_dag_specs(
    folder: Path, timeout: float, parallelism: int
) -> tuple[dict[str, DagSpec], list[ImportErrorInfo]]:
    """Parse every DAG file of ``folder`` (each in its own child); return DAGs and errors.

    A dag_id declared by two files belongs to the first file by path; the other file gets an
    import error naming both.
    """
    results = parse_files(find_dag_files(folder), timeout=timeout, parallelism=parallelism)
    owners = DagOwnership()
    for result in sorted(results, key=lambda r: r.path):
        owners.update(result)
    specs: dict[str, DagSpec] = {}
    errors: list[ImportErrorInfo] = []
    for result in owners.effective_results():
        specs.update((spec.dag_id, spec) for spec in result.dags)
        errors.extend(result.errors)
    return specs, errors
