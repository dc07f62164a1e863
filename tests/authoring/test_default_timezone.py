"""Naive DAG dates are in the default timezone (Airflow's ``[core] default_timezone``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler import DAG
from scheduler.errors import ConfigError
from scheduler.settings import Settings, zone_named


def test_a_naive_start_date_is_utc_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BATON_DEFAULT_TIMEZONE", raising=False)
    dag = DAG("naive", schedule="@daily", start_date=datetime(2026, 1, 1))
    assert dag.start_date == datetime(2026, 1, 1, tzinfo=UTC)
    assert dag.timezone == "UTC"


def test_a_naive_start_date_takes_the_configured_default_timezone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BATON_DEFAULT_TIMEZONE", "Europe/Amsterdam")
    dag = DAG("local", schedule="0 6 * * *", start_date=datetime(2026, 1, 1), end_date=None)
    assert dag.start_date is not None
    assert dag.start_date.utcoffset() == timedelta(hours=1)  # CET in January
    assert dag.start_date.astimezone(UTC) == datetime(2025, 12, 31, 23, tzinfo=UTC)
    assert dag.timezone == "Europe/Amsterdam"  # its cron runs at 06:00 Amsterdam time
    no_start = DAG("no_start", schedule=None)
    assert no_start.timezone == "Europe/Amsterdam"
    aware = DAG("aware", schedule="@daily", start_date=datetime(2026, 1, 1, tzinfo=UTC))
    assert aware.timezone == "UTC"  # an aware start_date keeps its own zone


def test_an_unknown_default_timezone_is_refused_naming_it() -> None:
    with pytest.raises(ConfigError, match="BATON_DEFAULT_TIMEZONE='Mars/Olympus'"):
        Settings.from_env({"BATON_HOME": "/tmp", "BATON_DEFAULT_TIMEZONE": "Mars/Olympus"})
    assert zone_named("UTC") is UTC and zone_named("utc") is UTC
