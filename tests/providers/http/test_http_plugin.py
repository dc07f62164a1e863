"""The HTTP provider declares itself as a plugin; its hook tests a connection."""

from __future__ import annotations

from pathlib import Path

import pytest

import plugins
from plugins.http import HttpHook, HttpOperator, HttpSensor
from scheduler.plugins import check_connection, load_plugins
from scheduler.settings import Settings

from .service import FakeService


def settings(tmp_path: Path) -> Settings:
    folder = str(Path(plugins.__file__).parent)
    return Settings.from_env({"BATON_HOME": str(tmp_path), "BATON_PLUGINS_FOLDER": folder})


def test_the_http_plugin_loads_with_its_hook_operator_sensor_and_types(tmp_path: Path) -> None:
    report = load_plugins(settings(tmp_path), entry_points=False)
    (http,) = [p for p in report.plugins if p.name == "http"]
    assert (http.hooks, http.operators, http.sensors) == (
        (HttpHook,),
        (HttpOperator,),
        (HttpSensor,),
    )
    assert report.hook_for_conn_type("http") is HttpHook
    assert not [f for f in report.failures if f.name.startswith("plugins.http")]


def test_connections_test_reaches_the_service(
    tmp_path: Path, service: FakeService, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATON_CONN_SVC", f"http://u:pw-for-test@127.0.0.1:{service.port}")
    cfg = settings(tmp_path)
    result = check_connection(cfg, load_plugins(cfg, entry_points=False), "svc")
    assert result.ok, result.message
    assert result.message.startswith(f"GET http://127.0.0.1:{service.port} answered 200")
    assert service.calls[0].method == "GET"
