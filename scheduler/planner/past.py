"""``depends_on_past`` and ``wait_for_downstream``: may a task instance run, given the states
of the previous run of its DAG?

Airflow's rule (its ``PrevDagrunDep``), checked only once the trigger rule says the
instance may run (a task that would be skipped is skipped whatever the past):

- no previous run (the first run of the DAG): it may run;
- the previous run has no instance of the task (the task is newer than that run): it may
  run, as with Airflow's default ``ignore_first_depends_on_past=True``;
- every instance of the task in the previous run (all map indexes) must be ``success`` or
  ``skipped``; with ``wait_for_downstream``, so must every instance of its direct
  downstream tasks there.

Pure: the Engine looks up the previous run's states and passes them in as ``PastStates``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from scheduler.spec import DagSpec, TaskSpec
from scheduler.states import TaskState

#: The previous run's instance states, counted per task (only the tasks that some
#: ``depends_on_past`` task looks at). A task absent here had no instance in that run.
PastStates = Mapping[str, Counter[TaskState]]

_DONE = frozenset({TaskState.SUCCESS, TaskState.SKIPPED})


def past_blocks(dag: DagSpec, task: TaskSpec, past: PastStates | None) -> str | None:
    """Why ``task`` must wait for the previous run, or None when it may run."""
    if not (task.depends_on_past or task.wait_for_downstream) or past is None:
        return None
    own = past.get(task.task_id)
    if own is None:
        return None  # the first instance of this task
    unsuccessful = _unsuccessful(own)
    if unsuccessful:
        return (
            f"depends_on_past: {unsuccessful} instance(s) of {task.task_id} in the previous "
            "run are not success or skipped"
        )
    if task.wait_for_downstream:
        waiting = [d for d in dag.downstream[task.task_id] if _unsuccessful(past.get(d))]
        if waiting:
            return (
                f"wait_for_downstream: {', '.join(waiting)} in the previous run are not "
                "success or skipped"
            )
    return None


def _unsuccessful(counts: Counter[TaskState] | None) -> int:
    if not counts:
        return 0
    return sum(n for state, n in counts.items() if state not in _DONE and n > 0)
