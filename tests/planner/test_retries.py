"""Retry decisions and delays: eligibility, backoff growth, deterministic jitter, caps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.planner import MAX_RETRY_DELAY_S, after_failure, retry_delay
from scheduler.spec import TaskSpec
from scheduler.states import TaskState

ENDED = datetime(2024, 1, 1, 12, tzinfo=UTC)


def spec(**kwargs) -> TaskSpec:
    return TaskSpec(task_id="t", operator="PythonOperator", **kwargs)


def test_retries_while_try_number_is_within_retries():
    task = spec(retries=2, retry_delay_s=60)
    assert after_failure(task, 1, ENDED, True, "k/1") == (
        TaskState.UP_FOR_RETRY,
        ENDED + timedelta(seconds=60),
    )
    assert after_failure(task, 2, ENDED, True, "k/2")[0] == TaskState.UP_FOR_RETRY
    assert after_failure(task, 3, ENDED, True, "k/3") == (TaskState.FAILED, None)


def test_no_retries_or_not_retryable_fails_at_once():
    assert after_failure(spec(retries=0), 1, ENDED, True, "k") == (TaskState.FAILED, None)
    assert after_failure(spec(retries=5), 1, ENDED, False, "k") == (TaskState.FAILED, None)


def test_exponential_backoff_doubles_with_at_most_a_quarter_of_jitter():
    task = spec(retries=10, retry_delay_s=10, retry_exponential_backoff=True)
    for try_number in range(1, 8):
        base = 10 * 2 ** (try_number - 1)
        delay = retry_delay(task, try_number, f"dag/run/t/{try_number}")
        assert base <= delay <= base * 1.25


def test_jitter_is_deterministic_per_key_and_spread_across_keys():
    task = spec(retries=3, retry_delay_s=100, retry_exponential_backoff=True)
    assert retry_delay(task, 1, "dag/run/t/1") == retry_delay(task, 1, "dag/run/t/1")
    fractions = [retry_delay(task, 1, f"dag/run_{i}/t/1") / 100 - 1 for i in range(200)]
    assert all(0 <= f < 0.25 for f in fractions)
    assert min(fractions) < 0.03 and max(fractions) > 0.22  # uses the whole range
    assert len(set(fractions)) > 190


def test_backoff_is_capped_by_max_retry_delay_and_by_a_day():
    capped = spec(
        retries=20, retry_delay_s=60, retry_exponential_backoff=True, max_retry_delay_s=600
    )
    assert retry_delay(capped, 10, "k") == 600
    uncapped = spec(retries=10_000, retry_delay_s=60, retry_exponential_backoff=True)
    assert retry_delay(uncapped, 30, "k") == MAX_RETRY_DELAY_S
    assert retry_delay(uncapped, 5000, "k") == MAX_RETRY_DELAY_S  # no overflow


def test_without_backoff_the_delay_is_constant_and_ignores_the_key():
    task = spec(retries=5, retry_delay_s=42)
    assert {retry_delay(task, n, f"k{n}") for n in range(1, 5)} == {42}


@pytest.mark.parametrize("try_number", [1, 2, 3])
def test_after_failure_uses_the_same_delay_as_retry_delay(try_number):
    task = spec(retries=5, retry_delay_s=30, retry_exponential_backoff=True)
    key = f"d/r/t/{try_number}"
    _, at = after_failure(task, try_number, ENDED, True, key)
    assert at == ENDED + timedelta(seconds=retry_delay(task, try_number, key))
