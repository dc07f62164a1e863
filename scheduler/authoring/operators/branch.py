"""Branching: follow some of a task's direct downstream tasks and skip the others.

    def pick(ds):
        return "weekday" if date.fromisoformat(ds).weekday() < 5 else "weekend"

    branch = BranchPythonOperator(task_id="branch", python_callable=pick)
    branch >> [weekday, weekend] >> join      # join: trigger_rule="none_failed_min_one_success"

A branch returns a task_id, a task group id (its root tasks are followed), a list of them,
or None (every direct downstream task is skipped). The skipped tasks' own downstream tasks
are skipped by their trigger rules, so a join after the branches needs a rule that accepts
skipped upstreams, such as ``none_failed_min_one_success``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from scheduler.authoring.baseoperator import BaseOperator
from scheduler.authoring.operators.python import PythonOperator
from scheduler.authoring.skipmixin import SkipMixin, branch_ids, expand_task_groups
from scheduler.errors import DownstreamTasksSkipped

BranchChoice = str | Iterable[str] | None


class BranchMixIn(SkipMixin):
    """``do_branch``: follow a choice, log it and keep it as the task's return value."""

    def do_branch(self, context: Mapping[str, Any], branches_to_execute: BranchChoice) -> Any:
        """Skip the direct downstream tasks not in ``branches_to_execute``; return the choice.

        The choice becomes the ``return_value`` XCom even when tasks are skipped (the skip
        ends ``execute`` with an exception, which would otherwise lose it).
        """
        ti = context["ti"]
        choice = _plain(branches_to_execute)
        ti.task.log.info("Branch into %s", choice)
        chosen = expand_task_groups(ti.task.dag, branch_ids(choice, ti.task.task_id))
        try:
            self.skip_all_except(ti, chosen)
        except DownstreamTasksSkipped:
            if choice is not None and getattr(ti.task, "do_xcom_push", True):
                ti.xcom_push(key="return_value", value=choice)
            raise
        return choice


class BaseBranchOperator(BaseOperator, BranchMixIn):
    """A branch: subclasses implement ``choose_branch(context)``, returning the task id(s)
    or task group id(s) to follow among this task's direct downstream tasks."""

    inherits_from_skipmixin = True

    def choose_branch(self, context: Mapping[str, Any]) -> BranchChoice:
        """The task id(s) / task group id(s) to follow, or None to skip every downstream."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement choose_branch(self, context) returning the "
            "task_id(s) to follow"
        )

    def execute(self, context: Mapping[str, Any]) -> Any:
        return self.do_branch(context, self.choose_branch(context))


class BranchPythonOperator(BaseBranchOperator, PythonOperator):
    """A branch whose ``python_callable`` returns the task id(s) to follow (called like a
    ``PythonOperator``'s)."""

    def choose_branch(self, context: Mapping[str, Any]) -> BranchChoice:
        return PythonOperator.execute(self, context)


def _plain(choice: Any) -> Any:
    """The choice as JSON can keep it: a set, tuple or generator becomes a list."""
    if choice is None or isinstance(choice, str | list):
        return choice
    if isinstance(choice, set | frozenset):
        return sorted(choice, key=str)
    if isinstance(choice, Iterable) and not isinstance(choice, bytes | dict):
        return list(choice)
    return choice  # branch_ids rejects it with a message naming the value
