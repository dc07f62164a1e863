"""Every trigger rule against upstream outcomes, including early verdicts (Airflow's semantics)."""

from __future__ import annotations

import itertools

import pytest

from scheduler.errors import InvalidTriggerRuleError
from scheduler.planner import RULES, UpstreamCounts, Verdict, evaluate
from scheduler.states import TaskState
from scheduler.trigger_rule import TriggerRule

S, F, UF, SK, R = "success", "failed", "upstream_failed", "skipped", "running"
WAIT, RUN, SKIP, UPF = Verdict.WAIT, Verdict.RUN, Verdict.SKIP, Verdict.UPSTREAM_FAILED

# (rule, upstream states, expected verdict). "running" stands for any unfinished upstream.
TABLE = [
    ("all_success", [S, S, S], RUN),
    ("all_success", [S, S, R], WAIT),
    ("all_success", [F, R, R], UPF),  # decided before the others finish
    ("all_success", [UF, S, S], UPF),
    ("all_success", [SK, R, R], SKIP),
    ("all_success", [SK, F, R], UPF),  # a failure wins over a skip
    ("all_failed", [F, UF, F], RUN),
    ("all_failed", [F, R, R], WAIT),
    ("all_failed", [S, R, R], SKIP),
    ("all_failed", [SK, F, F], SKIP),
    ("all_done", [S, F, SK], RUN),
    ("all_done", [UF, UF, UF], RUN),
    ("all_done", [S, F, R], WAIT),
    ("all_done_min_one_success", [S, F, UF], RUN),
    ("all_done_min_one_success", [S, F, R], WAIT),
    ("all_done_min_one_success", [F, F, UF], UPF),
    ("all_done_min_one_success", [SK, S, R], SKIP),  # Airflow's code skips on any skip
    ("all_skipped", [SK, SK, SK], RUN),
    ("all_skipped", [SK, SK, R], WAIT),
    ("all_skipped", [S, R, R], SKIP),
    ("all_skipped", [UF, SK, SK], SKIP),
    ("one_success", [S, R, R], RUN),  # runs at the first success
    ("one_success", [F, S, SK], RUN),
    ("one_success", [F, R, R], WAIT),
    ("one_success", [SK, SK, SK], SKIP),
    ("one_success", [SK, F, UF], UPF),
    ("one_failed", [F, R, R], RUN),
    ("one_failed", [UF, R, R], RUN),
    ("one_failed", [S, SK, R], WAIT),
    ("one_failed", [S, SK, S], SKIP),
    ("one_done", [S, R, R], RUN),
    ("one_done", [F, R, R], RUN),
    ("one_done", [SK, UF, R], WAIT),
    ("one_done", [SK, UF, SK], SKIP),
    ("none_failed", [S, SK, S], RUN),
    ("none_failed", [SK, SK, SK], RUN),
    ("none_failed", [S, SK, R], WAIT),
    ("none_failed", [S, F, R], UPF),
    ("none_failed", [UF, R, R], UPF),
    ("none_failed_min_one_success", [S, SK, SK], RUN),
    ("none_failed_min_one_success", [SK, SK, SK], SKIP),
    ("none_failed_min_one_success", [SK, SK, R], WAIT),
    ("none_failed_min_one_success", [SK, F, R], UPF),
    ("none_skipped", [S, F, UF], RUN),
    ("none_skipped", [S, F, R], WAIT),
    ("none_skipped", [SK, R, R], SKIP),
    ("always", [R, R, R], RUN),
    ("always", [F, SK, UF], RUN),
    # Without upstream setups a teardown's rule is all_done (with setups: test_teardowns.py).
    ("all_done_setup_success", [S, F, SK], RUN),
    ("all_done_setup_success", [F, R, R], WAIT),
]


@pytest.mark.parametrize(("rule", "upstream", "expected"), TABLE)
def test_trigger_rule_table(rule, upstream, expected):
    counts = UpstreamCounts.from_states(TaskState(s) for s in upstream)
    assert evaluate(rule, counts) == expected


def test_the_table_covers_every_rule():
    assert {rule for rule, _, _ in TABLE} == set(TriggerRule.names())
    assert set(RULES) == set(TriggerRule)


@pytest.mark.parametrize("rule", list(TriggerRule))
def test_a_task_without_upstream_runs(rule):
    assert evaluate(rule, UpstreamCounts(total=0)) == RUN


@pytest.mark.parametrize("rule", list(TriggerRule))
def test_every_rule_decides_once_all_upstream_are_done(rule):
    # Otherwise a task could wait forever and its run would never finish.
    for outcome in itertools.product([S, F, UF, SK], repeat=3):
        counts = UpstreamCounts.from_states(TaskState(s) for s in outcome)
        assert evaluate(rule, counts) != WAIT, outcome


@pytest.mark.parametrize("rule", [r for r in TriggerRule if r != TriggerRule.ALWAYS])
def test_no_rule_but_always_runs_while_nothing_is_done(rule):
    counts = UpstreamCounts.from_states([TaskState.RUNNING, TaskState.QUEUED, TaskState.NONE])
    assert evaluate(rule, counts) == WAIT


def test_counts_ignore_removed_and_count_compensated_as_success():
    counts = UpstreamCounts.from_states(
        [TaskState.REMOVED, TaskState.COMPENSATED, TaskState.SUCCESS, TaskState.RUNNING]
    )
    assert counts == UpstreamCounts(total=3, success=2)
    assert counts.done == 2
    assert not counts.all_done
    assert "1 not done" in str(counts)


def test_plain_strings_work_as_rules_and_unknown_ones_are_named():
    counts = UpstreamCounts(total=1, success=1)
    assert evaluate("all_success", counts) == RUN
    with pytest.raises(InvalidTriggerRuleError, match=r"'all_succes'.*all_success"):
        evaluate("all_succes", counts)
