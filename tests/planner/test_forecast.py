"""The usual duration of a task (p95 of its last successful tries) and a running run's
predicted finish along its critical path (longest remaining path by p50 durations)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.planner.forecast import (
    TaskProgress,
    forecast,
    percentile,
    progress_of,
    typical,
    usual_limit,
)
from tests.planner.test_run_planner import make_dag

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DONE = TaskProgress(done=True)


def test_percentile_interpolates_between_ranks_like_numpy() -> None:
    assert percentile([1, 2, 3, 4, 5], 50) == 3
    assert percentile([10, 20], 95) == pytest.approx(19.5)
    assert percentile([4, 1, 3, 2], 0) == 1 and percentile([4, 1, 3, 2], 100) == 4
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1], 101)


def test_usual_limit_needs_five_durations_and_reads_only_the_last_thirty() -> None:
    assert usual_limit([1.0, 1.0, 1.0, 1.0]) is None
    assert usual_limit([1.0, 2.0, 3.0, 4.0, 5.0]) == pytest.approx(4.8)
    # newest first: the 31st and older (very slow) tries no longer count
    durations = [2.0] * 30 + [500.0] * 10
    assert usual_limit(durations) == pytest.approx(2.0)
    assert typical([5.0, 1.0, 3.0]) == 3.0 and typical([]) is None


def test_the_critical_path_is_the_longest_remaining_chain_of_p50s() -> None:
    # extract -> (fast, slow) -> load; slow's chain decides when the run ends
    dag = make_dag(
        {"extract": [], "fast": ["extract"], "slow": ["extract"], "load": ["fast", "slow"]}
    )
    progress = {
        "extract": TaskProgress(done=False, running_s=4.0, waiting=False),
        "fast": TaskProgress(done=False),
        "slow": TaskProgress(done=False),
        "load": TaskProgress(done=False),
    }
    p50 = {"extract": 10.0, "fast": 5.0, "slow": 60.0, "load": 2.0}
    ahead = forecast(dag, progress, p50, NOW)
    assert ahead is not None
    assert ahead.critical_path == ("extract", "slow", "load")
    assert ahead.remaining_s == pytest.approx(6.0 + 60.0 + 2.0)  # extract has 6 s left
    assert ahead.finish == NOW + timedelta(seconds=68)
    assert ahead.unknown == ()


def test_finished_tasks_drop_out_and_overdue_running_tasks_count_as_ending_now() -> None:
    dag = make_dag({"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]})
    progress = {
        "a": DONE,
        "b": TaskProgress(done=False, running_s=50.0, waiting=False),  # past its p50 of 30
        "c": DONE,
    }  # d not started: missing from progress
    ahead = forecast(dag, progress, {"b": 30.0, "d": 7.0}, NOW)
    assert ahead is not None
    assert ahead.critical_path == ("b", "d") and ahead.remaining_s == pytest.approx(7.0)


def test_tasks_without_history_take_no_time_and_are_listed() -> None:
    dag = make_dag({"a": [], "new": ["a"]})
    ahead = forecast(dag, {"a": TaskProgress(done=False)}, {"a": 3.0, "new": None}, NOW)
    assert ahead is not None
    assert ahead.remaining_s == pytest.approx(3.0) and ahead.unknown == ("new",)


def test_a_run_with_everything_done_has_no_forecast() -> None:
    dag = make_dag({"a": [], "b": ["a"]})
    assert forecast(dag, {"a": DONE, "b": DONE}, {}, NOW) is None


def test_progress_groups_the_instances_of_a_mapped_task() -> None:
    started = NOW - timedelta(seconds=8)
    rows = [  # (task_id, state, instances, latest start_date): counted per task and state
        ("m", "success", 40, NOW - timedelta(seconds=30)),
        ("m", "running", 2, started),  # the latest-started running instance: 8 s ago
        ("m", "scheduled", 3, None),
        ("done", "skipped", 1, None),
        ("solo", "running", 1, started),
    ]
    progress = progress_of(rows, NOW)
    assert progress["m"] == TaskProgress(done=False, running_s=8.0, waiting=True)
    assert progress["done"].done
    assert progress["solo"] == TaskProgress(done=False, running_s=8.0, waiting=False)
