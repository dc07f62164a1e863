"""A DAG file imports its own plugin's operator by the plugin module's name, as in Airflow,
in every process that imports DAG files: the scheduler's loader children and workers,
``baton dags test`` and ``baton dags sync``. Without the plugins folder on their path, the
loader reported ``ModuleNotFoundError: No module named 'legacy'``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e

PLUGIN = {
    "legacy/__init__.py": """
        from scheduler import BatonPlugin
        from legacy.operators import LegacyOperator

        plugin = BatonPlugin(name="legacy", operators=[LegacyOperator])
    """,
    # The operator imports a sibling module of the folder, not of the package.
    "legacy/operators.py": """
        import mainframe_codes
        from scheduler import BaseOperator

        class LegacyOperator(BaseOperator):
            template_fields = ("record",)

            def __init__(self, *, record, **kwargs):
                super().__init__(**kwargs)
                self.record = record

            def execute(self, context):
                code = mainframe_codes.encode(self.record)
                print(f"sent {code} to the mainframe")
                return code
    """,
    "mainframe_codes.py": """
        def encode(record):
            return "MF-" + str(record).upper()
    """,
}

DAG = """
from datetime import datetime, timezone
from scheduler import DAG
from legacy import LegacyOperator

with DAG("legacy_sync", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
         params={"record": "order-7"}):
    LegacyOperator(task_id="send", record="{{ params.record }}")
"""


def write_plugin(folder: Path) -> None:
    for name, source in PLUGIN.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(line[8:] for line in source.splitlines()).lstrip())


def test_a_dag_file_imports_its_plugins_operator_under_the_scheduler(
    baton: Baton, tmp_path: Path
) -> None:
    folder = tmp_path / "company_plugins"
    write_plugin(folder)
    baton.env["BATON_PLUGINS_FOLDER"] = str(folder)
    baton.env.pop("PYTHONPATH", None)  # nothing set by hand
    baton.write_dag("legacy_sync.py", DAG)
    baton.start()
    baton.wait_for_dag("legacy_sync")
    assert baton.cli("dags", "errors", check=False).returncode == 0

    run_id = baton.trigger("legacy_sync")
    assert baton.wait_for_run("legacy_sync", run_id, timeout=120) == "success"
    (only_try,) = baton.tries("legacy_sync", run_id, "send")
    assert "sent MF-ORDER-7 to the mainframe" in Path(only_try.log_path).read_text()

    listed = json.loads(baton.cli("plugins", "list", "-o", "json").stdout)
    assert "legacy" in {p["name"] for p in listed["plugins"]}


def test_dags_test_and_dags_sync_import_the_plugin_too(baton: Baton, tmp_path: Path) -> None:
    folder = tmp_path / "company_plugins"
    write_plugin(folder)
    baton.env["BATON_PLUGINS_FOLDER"] = str(folder)
    baton.env.pop("PYTHONPATH", None)
    baton.write_dag("legacy_sync.py", DAG)

    baton.cli("dags", "sync")
    assert baton.cli("dags", "errors", check=False).returncode == 0
    tested = baton.cli("dags", "test", "legacy_sync", "--conf", '{"record": "x-1"}')
    assert "success" in tested.stdout
    tried = baton.cli("tasks", "test", "legacy_sync", "send")
    assert "sent MF-ORDER-7 to the mainframe" in tried.stdout


def test_without_the_plugin_the_error_names_the_module(baton: Baton, tmp_path: Path) -> None:
    baton.env["BATON_PLUGINS_FOLDER"] = str(tmp_path / "empty")
    baton.write_dag("legacy_sync.py", DAG)
    baton.cli("dags", "sync")
    errors = baton.cli("dags", "errors", check=False)
    assert errors.returncode == 1
    assert "No module named 'legacy'" in errors.stdout
