"""The planner's part of setup and teardown (Airflow's ``trigger_rule_dep.py`` rules).

Two additions to plain trigger rules, both pure:

- ``upstream_counts`` also counts the upstream setups of a task whose rule is
  ``all_done_setup_success`` (a teardown's), which needs them;
- ``setup_constraint``: a task in a setup's scope but not directly below it still needs that
  setup to succeed. A failed (or upstream_failed) one makes the task upstream_failed, a
  skipped one skips it, an unfinished one makes it wait. In a first run this never bites
  (the path from the setup already gates the task); it does when a cleared setup runs again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from scheduler.planner.trigger_rules import UpstreamCounts, Verdict
from scheduler.spec import DagSpec, TaskSpec
from scheduler.states import TaskState
from scheduler.trigger_rule import TriggerRule

T = TaskState
StateOf = Callable[[str], TaskState]
_FAILED = frozenset({T.FAILED, T.UPSTREAM_FAILED})


def upstream_counts(
    dag: DagSpec, task: TaskSpec, state_of: StateOf, counts: UpstreamCounts | None = None
) -> UpstreamCounts:
    """The counts of ``task``'s direct upstream states (``counts`` when the caller has
    them), with setup counts when its rule reads them."""
    if counts is None:
        counts = UpstreamCounts.from_states(state_of(up) for up in task.upstream)
    if task.trigger_rule != TriggerRule.ALL_DONE_SETUP_SUCCESS:
        return counts
    setups = [state_of(up) for up in task.upstream if dag.tasks[up].is_setup]
    setups = [s for s in setups if s != T.REMOVED]
    return replace(
        counts,
        setups=len(setups),
        setup_success=UpstreamCounts.from_states(setups).success,
        setup_skipped=sum(1 for s in setups if s == T.SKIPPED),
    )


def setup_constraint(dag: DagSpec, task: TaskSpec, state_of: StateOf) -> tuple[Verdict, str] | None:
    """What ``task``'s indirect setups say: None when they all succeeded (or there are none),
    else a verdict (UPSTREAM_FAILED, SKIP or WAIT) and why."""
    setups = dag.indirect_setups.get(task.task_id)
    if not setups or task.is_teardown:
        return None
    states = {s: state_of(s) for s in setups}
    failed = [s for s, state in states.items() if state in _FAILED]
    if failed:
        return Verdict.UPSTREAM_FAILED, f"its setup {', '.join(failed)} did not succeed"
    skipped = [s for s, state in states.items() if state == T.SKIPPED]
    if skipped:
        return Verdict.SKIP, f"its setup {', '.join(skipped)} was skipped"
    counts = UpstreamCounts.from_states(states.values())
    if counts.success < counts.total:
        return Verdict.WAIT, "waiting for its setups to succeed"
    return None
