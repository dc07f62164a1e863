"""``SkipMixin``: how a task skips others of its run (Airflow 3's SkipMixin).

A task does not change other tasks' states itself: ``skip`` and ``skip_all_except`` raise
``DownstreamTasksSkipped``; the try ends ``success`` and the scheduler, in the same
transaction, skips the listed tasks that have not started yet. Their downstream tasks are
then planned as usual, so the skip spreads through trigger rules.

The decisions (which ids a branch may return, which tasks it skips) are pure functions of
the DAG, unit-tested without a run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scheduler.errors import BranchError, DownstreamTasksSkipped

if TYPE_CHECKING:
    from scheduler.authoring.baseoperator import BaseOperator

#: The XCom a skipping task pushes (Airflow's names), read by tools that show the choice.
XCOM_SKIPMIXIN_KEY = "skipmixin_key"
XCOM_SKIPMIXIN_SKIPPED = "skipped"
XCOM_SKIPMIXIN_FOLLOWED = "followed"


@dataclass(frozen=True)
class BranchDecision:
    """What a branch does: the direct downstream ids it follows and those it skips."""

    followed: list[str]
    skipped: list[str]


def branch_ids(value: Any, task_id: str) -> list[str]:
    """What ``choose_branch`` returned, as task ids: a str, an iterable of str, or None."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, bytes | dict):
        ids = list(dict.fromkeys(value))
        wrong = [i for i in ids if not isinstance(i, str)]
        if not wrong:
            return ids
        value = wrong[0]
    raise BranchError(
        f"branch task '{task_id}' returned {value!r} ({type(value).__name__}); a branch returns "
        "a task_id, a task group id, a list of them, or None to skip every downstream task"
    )


def expand_task_groups(dag: Any, ids: Iterable[str]) -> list[str]:
    """``ids`` with each task group id replaced by its root tasks (Airflow's BranchMixIn)."""
    groups = getattr(dag, "task_group_dict", None) or {}
    expanded: list[str] = []
    for branch_id in ids:
        group = groups.get(branch_id) if branch_id not in dag.task_dict else None
        if group is not None:
            expanded.extend(root.task_id for root in group.roots)
        else:
            expanded.append(branch_id)
    return list(dict.fromkeys(expanded))


def direct_downstream(task: BaseOperator) -> list[str]:
    """The ids of the tasks right after ``task``, in the DAG's declaration order."""
    return [t for t in task.dag.task_dict if t in task.downstream_task_ids]


def all_downstream(task: BaseOperator) -> list[str]:
    """Every task after ``task`` at any depth, in the DAG's declaration order."""
    found = set(_walk_down(task.dag, [task.task_id]))
    return [t for t in task.dag.task_dict if t in found]


def decide_branch(task: BaseOperator, chosen: Iterable[str]) -> BranchDecision:
    """Which direct downstream tasks of ``task`` a branch choosing ``chosen`` skips.

    Every chosen id must be directly downstream of ``task`` (Airflow's documented rule; an
    id that is not would leave nothing to run). A task downstream of a followed one is never
    skipped, even if also directly downstream of the branch: in ``branch >> [a, join]``,
    ``a >> join``, choosing ``a`` keeps ``join``.
    """
    chosen = list(chosen)
    downstream = direct_downstream(task)
    wrong = [c for c in chosen if c not in downstream]
    if wrong:
        raise BranchError(_not_downstream_message(task, wrong[0], downstream))
    kept = set(chosen) | set(_walk_down(task.dag, chosen))
    return BranchDecision(
        followed=[t for t in downstream if t in kept],
        skipped=[t for t in downstream if t not in kept],
    )


def _walk_down(dag: Any, start: Iterable[str]) -> Iterator[str]:
    """Every task reachable downstream from the tasks ``start`` (not those themselves)."""
    seen: set[str] = set()
    stack = [d for t in start for d in dag.task_dict[t].downstream_task_ids]
    while stack:
        task_id = stack.pop()
        if task_id not in seen:
            seen.add(task_id)
            yield task_id
            stack.extend(dag.task_dict[task_id].downstream_task_ids)


def _not_downstream_message(task: BaseOperator, wrong: str, downstream: list[str]) -> str:
    where = (
        "is not directly downstream of it"
        if wrong in task.dag.task_dict
        else f"is not a task of DAG '{task.dag.dag_id}'"
    )
    groups = getattr(task.dag, "task_group_dict", None) or {}
    group_choices = [
        g for g, group in groups.items() if g and any(r.task_id in downstream for r in group.roots)
    ]
    choices = (
        ", ".join(f"'{c}'" for c in [*downstream, *group_choices])
        or "none (it has no downstream tasks)"
    )
    return (
        f"branch task '{task.task_id}' chose '{wrong}', which {where}; valid choices: "
        f"{choices}, or None to skip them all"
    )


class SkipMixin:
    """``skip`` and ``skip_all_except`` for operators that skip tasks of their own run."""

    task_id: str

    def skip(self, ti: Any, tasks: Iterable[BaseOperator | str]) -> None:
        """Skip ``tasks`` (operators or task ids) of this run if they have not started."""
        ids = list(dict.fromkeys(t if isinstance(t, str) else t.task_id for t in tasks))
        if not ids:
            return
        ti.xcom_push(key=XCOM_SKIPMIXIN_KEY, value={XCOM_SKIPMIXIN_SKIPPED: ids})
        raise DownstreamTasksSkipped(tasks=ids)

    def skip_all_except(self, ti: Any, branch_task_ids: str | Iterable[str] | None) -> None:
        """Follow ``branch_task_ids`` (directly downstream of this task) and skip every other
        direct downstream task; None skips them all."""
        task = ti.task
        chosen = branch_ids(branch_task_ids, task.task_id)
        task.log.info("Following branch %s", chosen)
        decision = decide_branch(task, chosen)
        if not decision.followed and not decision.skipped:
            return  # no downstream tasks: nothing to follow or skip
        ti.xcom_push(key=XCOM_SKIPMIXIN_KEY, value={XCOM_SKIPMIXIN_FOLLOWED: decision.followed})
        task.log.info("Skipping tasks %s", decision.skipped)
        if decision.skipped:
            raise DownstreamTasksSkipped(tasks=decision.skipped)
