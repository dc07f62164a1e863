"""Trigger rules as a table of small pure functions (Airflow's ``trigger_rule_dep.py``).

Each rule looks at the counts of its task's upstream states and returns a ``Verdict``:
``WAIT`` (not decided yet), ``RUN``, ``SKIP`` or ``UPSTREAM_FAILED``. Like Airflow's scheduler
(``flag_upstream_failed``), a verdict is reached as soon as the outcome cannot change, before
every upstream task is done: one failed upstream ends ``all_success`` at once. Every rule
decides (never ``WAIT``) once all upstream tasks are done, so a run cannot stall.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from scheduler.errors import InvalidTriggerRuleError
from scheduler.states import TaskState
from scheduler.trigger_rule import TriggerRule

T = TaskState
# A compensated task's try succeeded; the saga's rollback does not change what its
# downstream tasks saw, so for trigger rules it still counts as a success.
_SUCCESS_LIKE = frozenset({T.SUCCESS, T.COMPENSATING, T.COMPENSATED, T.COMPENSATION_FAILED})


class Verdict(StrEnum):
    WAIT = "wait"  # the upstream outcome is not known well enough yet
    RUN = "run"  # the task may be scheduled
    SKIP = "skip"  # the task will be marked skipped
    UPSTREAM_FAILED = "upstream_failed"  # the task will be marked upstream_failed


@dataclass(frozen=True, slots=True)
class UpstreamCounts:
    """How many of a task's direct upstream tasks are in each finished state.

    ``removed`` upstream tasks are left out of every count, as if the edge were gone (Airflow
    only meets them with mapped tasks, where it ignores them the same way). ``setups``,
    ``setup_success`` and ``setup_skipped`` count the upstream tasks that are setups (also
    counted above); only ``all_done_setup_success`` reads them (``planner.teardowns``).
    """

    total: int
    success: int = 0
    failed: int = 0
    upstream_failed: int = 0
    skipped: int = 0
    setups: int = 0
    setup_success: int = 0
    setup_skipped: int = 0

    @property
    def done(self) -> int:
        return self.success + self.failed + self.upstream_failed + self.skipped

    @property
    def all_done(self) -> bool:
        return self.done >= self.total

    @classmethod
    def from_states(cls, states: Iterable[TaskState]) -> UpstreamCounts:
        """Count the states of the upstream tasks (unfinished ones only add to ``total``)."""
        return cls.from_state_counts((state, 1) for state in states)

    @classmethod
    def from_state_counts(cls, pairs: Iterable[tuple[TaskState, int]]) -> UpstreamCounts:
        """Count ``(state, how many upstream instances)`` pairs: a mapped upstream task
        counts once per instance, as in Airflow."""
        total = success = failed = upstream_failed = skipped = 0
        for state, n in pairs:
            if state == T.REMOVED or n <= 0:
                continue
            total += n
            if state in _SUCCESS_LIKE:
                success += n
            elif state == T.FAILED:
                failed += n
            elif state == T.UPSTREAM_FAILED:
                upstream_failed += n
            elif state == T.SKIPPED:
                skipped += n
        return cls(total, success, failed, upstream_failed, skipped)

    def __str__(self) -> str:
        text = (
            f"{self.total} upstream: {self.success} success, {self.failed} failed, "
            f"{self.upstream_failed} upstream_failed, {self.skipped} skipped, "
            f"{self.total - self.done} not done"
        )
        if self.setups:
            text += (
                f"; {self.setups} setup(s): {self.setup_success} success, "
                f"{self.setup_skipped} skipped"
            )
        return text


V = Verdict


def all_success(c: UpstreamCounts) -> Verdict:
    """All upstream succeeded; a failure fails it and a skip skips it at once."""
    if c.failed or c.upstream_failed:
        return V.UPSTREAM_FAILED
    if c.skipped:
        return V.SKIP
    return V.RUN if c.success >= c.total else V.WAIT


def all_failed(c: UpstreamCounts) -> Verdict:
    """All upstream failed (or upstream_failed); any success or skip skips it at once."""
    if c.success or c.skipped:
        return V.SKIP
    return V.RUN if c.failed + c.upstream_failed >= c.total else V.WAIT


def all_done(c: UpstreamCounts) -> Verdict:
    """All upstream finished, whatever their outcome."""
    return V.RUN if c.all_done else V.WAIT


def all_done_min_one_success(c: UpstreamCounts) -> Verdict:
    """All upstream finished with at least one success; a skip skips it at once (as Airflow's
    code does), no success at all makes it upstream_failed."""
    if c.skipped:
        return V.SKIP
    if not c.all_done:
        return V.WAIT
    return V.RUN if c.success else V.UPSTREAM_FAILED


def all_skipped(c: UpstreamCounts) -> Verdict:
    """All upstream skipped; any success, failure or upstream_failed skips it at once."""
    if c.success or c.failed or c.upstream_failed:
        return V.SKIP
    return V.RUN if c.skipped >= c.total else V.WAIT


def one_success(c: UpstreamCounts) -> Verdict:
    """Runs at the first upstream success; when all are done without one: skipped if all
    skipped, else upstream_failed."""
    if c.success:
        return V.RUN
    if not c.all_done:
        return V.WAIT
    return V.SKIP if c.skipped >= c.total else V.UPSTREAM_FAILED


def one_failed(c: UpstreamCounts) -> Verdict:
    """Runs at the first upstream failed/upstream_failed; skipped if all are done without one."""
    if c.failed or c.upstream_failed:
        return V.RUN
    return V.SKIP if c.all_done else V.WAIT


def one_done(c: UpstreamCounts) -> Verdict:
    """Runs at the first upstream success or failure; skipped if all are done without one."""
    if c.success or c.failed:
        return V.RUN
    return V.SKIP if c.all_done else V.WAIT


def none_failed(c: UpstreamCounts) -> Verdict:
    """All upstream succeeded or skipped; a failure fails it at once."""
    if c.failed or c.upstream_failed:
        return V.UPSTREAM_FAILED
    return V.RUN if c.success + c.skipped >= c.total else V.WAIT


def none_failed_min_one_success(c: UpstreamCounts) -> Verdict:
    """Like none_failed, but skipped when every upstream was skipped."""
    if c.failed or c.upstream_failed:
        return V.UPSTREAM_FAILED
    if c.skipped >= c.total:
        return V.SKIP
    return V.RUN if c.success + c.skipped >= c.total else V.WAIT


def none_skipped(c: UpstreamCounts) -> Verdict:
    """All upstream finished and none skipped; a skip skips it at once."""
    if c.skipped:
        return V.SKIP
    return V.RUN if c.all_done else V.WAIT


def always(c: UpstreamCounts) -> Verdict:
    """Runs at once, whatever the upstream tasks do."""
    return V.RUN


def all_done_setup_success(c: UpstreamCounts) -> Verdict:
    """A teardown's rule: runs once all upstream are done if at least one of its direct
    setups succeeded (or it has none); skipped if every setup was skipped, upstream_failed if
    none succeeded otherwise, so a setup's outcome spreads to its teardown (Airflow's code)."""
    if not c.all_done:
        return V.WAIT
    if c.setups and c.setup_skipped >= c.setups:
        return V.SKIP
    if c.setups and not c.setup_success:
        return V.UPSTREAM_FAILED
    return V.RUN


TR = TriggerRule
#: One function per trigger rule; keys are ``TriggerRule`` members, which also match the plain
#: strings stored in ``TaskSpec.trigger_rule``.
# Keyed by the enum, looked up by plain strings too (a StrEnum member hashes as its value).
RULES: dict[TriggerRule | str, Callable[[UpstreamCounts], Verdict]] = {
    TR.ALL_SUCCESS: all_success,
    TR.ALL_FAILED: all_failed,
    TR.ALL_DONE: all_done,
    TR.ALL_DONE_MIN_ONE_SUCCESS: all_done_min_one_success,
    TR.ALL_SKIPPED: all_skipped,
    TR.ONE_SUCCESS: one_success,
    TR.ONE_FAILED: one_failed,
    TR.ONE_DONE: one_done,
    TR.NONE_FAILED: none_failed,
    TR.NONE_FAILED_MIN_ONE_SUCCESS: none_failed_min_one_success,
    TR.NONE_SKIPPED: none_skipped,
    TR.ALWAYS: always,
    TR.ALL_DONE_SETUP_SUCCESS: all_done_setup_success,
}


def evaluate(rule: TriggerRule | str, counts: UpstreamCounts) -> Verdict:
    """The verdict of ``rule`` for these upstream counts; a task without upstream runs."""
    if counts.total == 0:
        return V.RUN
    func = RULES.get(rule)
    if func is None:
        raise InvalidTriggerRuleError(
            f"trigger rule {rule!r} does not exist; use one of: {', '.join(TR.names())}"
        )
    return func(counts)
