"""The dates behind the timezone switch: ``|when`` renders ``<time datetime="…Z">`` in UTC,
and the layout names the page's DAG zone for ``static/tz.js``."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace
from urllib.parse import quote
from zoneinfo import ZoneInfo

from tests.webui.conftest import BatonClient, WebUI
from webui.views.timefmt import dag_timezone, time_element


def test_when_renders_utc_time_elements() -> None:
    naive = datetime(2026, 1, 31, 6, 0, 0)  # SQLite hands UTC back naive
    assert str(time_element(naive)) == (
        '<time datetime="2026-01-31T06:00:00Z">2026-01-31 06:00:00</time>'
    )
    paris = datetime(2026, 7, 1, 12, 30, 5, tzinfo=ZoneInfo("Europe/Paris"))
    assert str(time_element(paris)) == (
        '<time datetime="2026-07-01T10:30:05Z">2026-07-01 10:30:05</time>'
    )
    assert time_element(None) == "—"
    assert str(time_element(datetime(2026, 1, 1, tzinfo=UTC))).count('"') == 2


def test_dag_timezone_from_a_spec_or_a_dag_row() -> None:
    assert dag_timezone(None, SimpleNamespace(spec={"timezone": "America/New_York"})) == (
        "America/New_York"
    )
    assert dag_timezone(None, SimpleNamespace(spec={})) == ""
    assert dag_timezone(None, None) == ""
    assert dag_timezone("not a spec", {"spec": 1}) == ""


def test_pages_render_dates_as_time_elements(webui: WebUI, viewer_client: BatonClient) -> None:
    run = quote(webui.seed.success_run, safe="")
    html = viewer_client.get(f"/dags/demo_etl/runs/{run}").get_data(as_text=True)
    assert re.search(r'<html lang="en" data-dag-timezone="UTC">', html)
    stamps = re.findall(r'<time datetime="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)">([^<]+)</time>', html)
    assert len(stamps) >= 4  # logical date, interval, started, ended, the events...
    assert all(text == iso[:10] + " " + iso[11:19] for iso, text in stamps)
    listing = viewer_client.get("/runs").get_data(as_text=True)
    assert '<html lang="en" data-dag-timezone="">' in listing
    assert "<time datetime=" in listing
    assert 'id="tz-select"' in listing and 'id="theme-toggle"' in listing
