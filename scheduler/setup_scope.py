"""Setup and teardown scopes in a DAG's graph, with Airflow's rules.

A setup's *scope* is the work between it and its teardowns: the tasks below the setup that
are above one of its teardowns (a setup without a teardown covers everything below it). Three
facts follow from the graph alone, so ``DagSpec`` computes each once (cached properties):

- the leaves that decide a run's state: Airflow leaves out teardowns (unless
  ``on_failure_fail_dagrun``) and counts a task whose only downstream tasks are such
  teardowns as a leaf (``DagRun._tis_for_dagrun_state``);
- the setups a task needs without being directly downstream of them (its *indirect*
  setups): it waits for them to succeed, which matters once a cleared setup runs again;
- which setups and teardowns to clear with a task (``clear_scope``).

Functions take the ``DagSpec`` (duck-typed: ``tasks``, ``graph``, ``downstream``, ``leaves``)
so this module needs nothing but networkx.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scheduler.spec import DagSpec


def run_state_leaves(dag: DagSpec) -> tuple[str, ...]:
    """Tasks whose states decide the run's: every task that is not an ignorable teardown and
    has only ignorable teardowns (or nothing) below it. A DAG of teardowns only falls back to
    its plain leaves."""
    tasks = dag.tasks

    def ignorable(task_id: str) -> bool:
        task = tasks[task_id]
        return task.is_teardown and not task.on_failure_fail_dagrun

    leaves = tuple(
        t for t in tasks if not ignorable(t) and all(ignorable(d) for d in dag.downstream[t])
    )
    return leaves or dag.leaves


def teardowns_of(dag: DagSpec, setup_id: str) -> tuple[str, ...]:
    """The teardowns directly below ``setup_id`` (Airflow pairs a setup with those)."""
    return tuple(d for d in dag.downstream[setup_id] if dag.tasks[d].is_teardown)


def relevant_setups(dag: DagSpec) -> dict[str, tuple[str, ...]]:
    """For each task that is not a teardown, the setups whose scope it is in (direct upstream
    ones included): setups above it without teardowns, or with a teardown below it."""
    import networkx as nx

    setups = [t for t, task in dag.tasks.items() if task.is_setup]
    if not setups:
        return {}
    scopes: dict[str, list[str]] = {}
    for setup_id in setups:  # declaration order, so each tuple is in that order too
        below = nx.descendants(dag.graph, setup_id)
        teardowns = teardowns_of(dag, setup_id)
        if teardowns:
            above_a_teardown = set().union(*(nx.ancestors(dag.graph, t) for t in teardowns))
            below &= above_a_teardown
        for task_id in below:
            if not dag.tasks[task_id].is_teardown:
                scopes.setdefault(task_id, []).append(setup_id)
    return {t: tuple(scopes[t]) for t in dag.tasks if t in scopes}


def indirect_setups(dag: DagSpec) -> dict[str, tuple[str, ...]]:
    """``relevant_setups`` minus each task's direct upstream (those its trigger rule sees)."""
    found = {}
    for task_id, setups in relevant_setups(dag).items():
        direct = set(dag.tasks[task_id].upstream)
        indirect = tuple(s for s in setups if s not in direct)
        if indirect:
            found[task_id] = indirect
    return found


def setup_dependents(dag: DagSpec) -> dict[str, tuple[str, ...]]:
    """For each setup, the tasks that wait for it without being directly below it: they are
    planned again when it finishes."""
    dependents: dict[str, list[str]] = {}
    for task_id, setups in dag.indirect_setups.items():
        for setup_id in setups:
            dependents.setdefault(setup_id, []).append(task_id)
    return {s: tuple(ts) for s, ts in dependents.items()}


def clear_scope(dag: DagSpec, task_ids: Iterable[str], downstream: bool = False) -> list[str]:
    """The tasks to clear for ``task_ids``, in declaration order (Airflow's
    ``partial_subset`` without upstream): each task, everything below it if ``downstream``,
    the setups of every work task among them with those setups' teardowns, and the teardowns
    of a setup cleared on its own. Unknown ids are kept for the caller to report."""
    import networkx as nx

    chosen = list(dict.fromkeys(task_ids))
    known = [t for t in chosen if t in dag.tasks]
    included = set(chosen)
    scopes = relevant_setups(dag)

    def add_setups_of(task_id: str) -> None:
        task = dag.tasks[task_id]
        if task.is_setup or task.is_teardown:
            return
        for setup_id in scopes.get(task_id, ()):
            included.add(setup_id)
            included.update(t for t in teardowns_of(dag, setup_id) if t != task_id)

    for task_id in known:
        if downstream:
            below = nx.descendants(dag.graph, task_id)
            included |= below
            for other in below - set(known):
                add_setups_of(other)
        add_setups_of(task_id)
        if dag.tasks[task_id].is_setup and not downstream:
            included.update(teardowns_of(dag, task_id))
    unknown = [t for t in chosen if t not in dag.tasks]
    return unknown + [t for t in dag.tasks if t in included]
