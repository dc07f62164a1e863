"""Cross-DAG pages: the "Triggered DAG" / "External DAG" links of a task instance and the
DAG dependencies view, on DAGs synced from real files."""

from __future__ import annotations

import dataclasses
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import url_for

from scheduler import api
from scheduler.store import xcom as xcom_store
from scheduler.store.db import transaction

CROSS_DAGS = """
from datetime import UTC, datetime
from scheduler import DAG, ExternalTaskMarker, ExternalTaskSensor, TriggerDagRunOperator
from scheduler import EmptyOperator

START = datetime(2026, 1, 1, tzinfo=UTC)

with DAG("controller", schedule=None, start_date=START):
    TriggerDagRunOperator(task_id="start_report", trigger_dag_id="report")

with DAG("report", schedule=None, start_date=START):
    ExternalTaskSensor(task_id="wait_load", external_dag_id="load", external_task_id="done")
    ExternalTaskMarker(task_id="clear_archive", external_dag_id="archive", external_task_id="a")

with DAG("load", schedule=None, start_date=START):
    EmptyOperator(task_id="done")

with DAG("archive", schedule=None, start_date=START):
    EmptyOperator(task_id="a")

with DAG("lonely", schedule=None, start_date=START):
    EmptyOperator(task_id="alone")
"""


@pytest.fixture
def cross(webui, tmp_path: Path):
    """The web UI's database with the DAGs above, and a controller run that triggered one."""
    folder = tmp_path / "cross_dags"
    folder.mkdir()
    (folder / "cross.py").write_text(textwrap.dedent(CROSS_DAGS))
    settings = dataclasses.replace(webui.settings, dags_folder=folder)
    accepted, problems = api.sync_dags(settings)
    assert not problems and "controller" in accepted
    when = datetime(2026, 6, 1, tzinfo=UTC)
    run = api.trigger_dag(settings, "controller", run_id="c1", logical_date=when)
    api.trigger_dag(settings, "controller", run_id="c2", logical_date=when)
    triggered = api.trigger_dag(settings, "report", run_id="manual__x", logical_date=when)
    with transaction(api.database(settings)) as session:
        xcom_store.replace_xcoms(
            session,
            "controller",
            run.run_id,
            "start_report",
            [("trigger_dag_id", '"report"'), ("trigger_run_id", f'"{triggered.run_id}"')],
            now=when,
        )
    return webui


def _url(webui, endpoint: str, **values: str) -> str:
    with webui.app.test_request_context():
        return url_for(endpoint, **values)


def test_the_trigger_task_page_links_to_the_triggered_run(cross, viewer_client) -> None:
    page = _url(
        cross, "tasks.task_instance", dag_id="controller", run_id="c1", task_id="start_report"
    )
    html = viewer_client.get(page).get_data(as_text=True)
    expected = _url(cross, "dag.graph", dag_id="report", run_id="manual__x")
    assert f'href="{expected}"' in html
    assert ">Triggered DAG</a>" in html


def test_before_triggering_the_link_says_there_is_no_run_yet(cross, viewer_client) -> None:
    page = _url(
        cross, "tasks.task_instance", dag_id="controller", run_id="c2", task_id="start_report"
    )
    html = viewer_client.get(page).get_data(as_text=True)
    assert 'title="no run triggered yet">Triggered DAG</span>' in html


def test_sensor_and_marker_pages_link_to_the_external_dag(cross, viewer_client) -> None:
    for task_id, external in (("wait_load", "load"), ("clear_archive", "archive")):
        page = _url(
            cross, "tasks.task_instance", dag_id="report", run_id="manual__x", task_id=task_id
        )
        html = viewer_client.get(page).get_data(as_text=True)
        assert f'href="{_url(cross, "dag.grid", dag_id=external)}"' in html
        assert ">External DAG</a>" in html


def test_an_ordinary_task_has_no_extra_link(webui, viewer_client, seed) -> None:
    page = _url(
        webui, "tasks.task_instance", dag_id="demo_etl", run_id=seed.success_run, task_id="extract"
    )
    assert 'data-testid="extra-links"' not in viewer_client.get(page).get_data(as_text=True)


def test_the_dependencies_view_lists_and_draws_every_edge(cross, viewer_client) -> None:
    response = viewer_client.get("/dag-dependencies")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rows = html.split('data-testid="dag-deps"')[1]
    # Upstream first: controller triggers report, report waits for load and clears archive.
    assert rows.index(">controller<") < rows.index(">triggers<") < rows.index(">report<")
    assert "controller.start_report" in rows and "report.wait_load" in rows
    assert "report.clear_archive" in rows
    for edge in ("controller&gt;report", "load&gt;report", "report&gt;archive"):
        assert f'data-edge="{edge}"' in html
    assert 'data-dag-id="lonely"' not in html  # a DAG without cross-DAG links is not drawn
    assert "DAG dependencies" in viewer_client.get("/").get_data(as_text=True)  # the menu


def test_the_dependencies_view_without_links_says_so(viewer_client) -> None:
    html = viewer_client.get("/dag-dependencies").get_data(as_text=True)
    assert 'data-testid="no-dag-deps"' in html


def test_the_dependencies_view_needs_a_login(anon_client) -> None:
    assert anon_client.get("/dag-dependencies").status_code in (302, 401)
