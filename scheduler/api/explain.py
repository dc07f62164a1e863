"""Why a run ended in a state its tasks do not suggest, in one sentence.

A run's state comes from its *leaf* tasks only (Airflow's rule, ``DagSpec.run_state_leaves``):
teardowns are left out unless ``on_failure_fail_dagrun=True``, and a leaf whose trigger rule
lets it run after a failure (``all_done``, ``none_failed``...) can end ``success`` below a
failed task. The grid, the run page and ``baton dags test`` show ``explain_run_state``'s
sentence so that a green run with a red task inside (or the reverse) is not a riddle.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping

from networkx import has_path

from scheduler.api.databases import read_database
from scheduler.api.local_run import find_dag_spec
from scheduler.errors import DagNotFoundError
from scheduler.settings import Settings
from scheduler.spec import DagSpec
from scheduler.store import dags as dag_store
from scheduler.store import runs as run_store
from scheduler.store.db import transaction
from scheduler.trigger_rule import TriggerRule

FAILED = frozenset({"failed", "upstream_failed"})
MAX_NAMES = 3


def explain_run_state(spec: DagSpec, run_state: str, task_states: Mapping[str, str]) -> str | None:
    """The sentence, or None when the run's state is what its tasks suggest (or the run is
    not finished). ``task_states`` maps each task_id to its state (a mapped task: its
    instances' aggregate state)."""
    failed = [t for t in spec.tasks if task_states.get(t) in FAILED]
    leaves = spec.run_state_leaves
    if run_state == "success" and failed:
        return _success_despite(spec, failed, leaves, task_states)
    if run_state == "failed":
        return _failed_because(spec, failed, leaves, task_states)
    return None


def _success_despite(
    spec: DagSpec, failed: list[str], leaves: tuple[str, ...], states: Mapping[str, str]
) -> str:
    teardowns = [t for t in failed if spec.tasks[t].is_teardown]
    others = [t for t in failed if t not in teardowns]
    if not others:
        return (
            f"The run succeeded although {_names(teardowns)} failed: a teardown does not "
            "decide the run's state unless it sets on_failure_fail_dagrun=True."
        )
    below = [leaf for leaf in leaves if any(_upstream_of(spec, f, leaf) for f in others)]
    ran = below or list(leaves)
    how = ", ".join(
        f"{leaf} ({_rule(spec, leaf)}) ended {states.get(leaf, 'none')}" for leaf in ran[:MAX_NAMES]
    )
    ignored = [t for t in spec.tasks if spec.tasks[t].is_teardown and t not in leaves]
    teardown_note = f", teardowns ({_names(ignored)}) ignored" if ignored else ""
    return (
        f"The run succeeded although {_names(others)} failed: a run's state comes from its "
        f"leaf tasks ({_names(list(leaves))}{teardown_note}), and {how}."
    )


def _failed_because(
    spec: DagSpec, failed: list[str], leaves: tuple[str, ...], states: Mapping[str, str]
) -> str | None:
    failed_leaves = [leaf for leaf in leaves if states.get(leaf) in FAILED]
    deciding = [t for t in failed_leaves if spec.tasks[t].is_teardown]
    if failed_leaves and len(deciding) == len(failed_leaves) and len(failed) == len(deciding):
        return (
            f"The run failed because teardown {_names(deciding)} failed: it sets "
            "on_failure_fail_dagrun=True, so its failure fails the run."
        )
    if failed_leaves or failed:
        return None  # a failed leaf, or a failure that the leaves show: nothing to explain
    timeout = spec.dagrun_timeout_s
    limit = f" ({timeout:g} s)" if timeout else ""
    return (
        "The run failed though none of its tasks failed: it was marked failed, or it ran "
        f"past its dagrun_timeout{limit}; its event log says which."
    )


def _upstream_of(spec: DagSpec, task_id: str, leaf: str) -> bool:
    return task_id != leaf and has_path(spec.graph, task_id, leaf)


def _rule(spec: DagSpec, task_id: str) -> str:
    rule = spec.tasks[task_id].trigger_rule
    if spec.tasks[task_id].is_teardown and rule == TriggerRule.ALL_DONE_SETUP_SUCCESS.value:
        return f"teardown, trigger_rule={rule}"
    return f"trigger_rule={rule}"


def _names(task_ids: list[str]) -> str:
    shown = ", ".join(task_ids[:MAX_NAMES])
    more = len(task_ids) - MAX_NAMES
    return shown + (f" and {more} more" if more > 0 else "")


def task_states_of(instances: Iterable[tuple[str, str | None]]) -> dict[str, str]:
    """Each task's state from its instances' ``(task_id, state)``: a mapped task is failed
    if any instance failed, else upstream_failed if any is, else its last instance's."""
    states: dict[str, str] = {}
    for task_id, state in instances:
        current = states.get(task_id)
        if current not in FAILED or state == "failed":
            states[task_id] = state or "none"
    return states


def explain_run(
    settings: Settings, dag_id: str, run_id: str, spec: DagSpec | None = None
) -> str | None:
    """``explain_run_state`` of a stored run (the DAG's stored spec unless ``spec`` is given;
    a DAG no scheduler parsed yet, as in ``baton dags test``, is imported from its file):
    what the run page and ``baton dags test`` print."""
    db = read_database(settings)
    with transaction(db) as session:
        run = run_store.get_run(session, dag_id, run_id)
        instances = run_store.list_task_instances(session, dag_id, run_id)
        states = task_states_of((ti.task_id, ti.state) for ti in instances)
        if spec is None:
            with contextlib.suppress(DagNotFoundError):
                spec = dag_store.get_spec(session, dag_id)
        run_state = run.state
    if spec is None:
        spec = find_dag_spec(settings, db, dag_id)
    return explain_run_state(spec, run_state, states)
