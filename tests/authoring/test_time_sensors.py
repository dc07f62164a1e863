"""TimeDeltaSensor's target: the run's data interval end (or logical date) plus ``delta``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler import DAG, TimeDeltaSensor
from scheduler.errors import TaskExecutionError


def _sensor() -> TimeDeltaSensor:
    with DAG("waits"):
        return TimeDeltaSensor(task_id="wait", delta=timedelta(hours=1))


def test_the_target_is_the_data_interval_end_plus_delta_in_utc():
    end = datetime(2026, 3, 1, 6)  # naive: read as UTC
    assert _sensor().target({"data_interval_end": end}) == datetime(2026, 3, 1, 7, tzinfo=UTC)


def test_a_context_without_any_date_is_an_error_that_names_the_task():
    with pytest.raises(TaskExecutionError, match="task 'wait': TimeDeltaSensor waits from"):
        _sensor().target({"data_interval_end": None, "logical_date": None})
