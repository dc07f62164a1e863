"""Airflow conformance: our own DAG files written the way Airflow 3's example DAGs are.

Each file in ``dags/`` uses Airflow's names and patterns with only the imports changed. The
test loads the folder through the real loader (no import errors), then runs every DAG with
``baton dags test`` and expects the run and task states Airflow's semantics give.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler.loader import load_dag_specs
from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e

DAGS = Path(__file__).with_name("dags")

S, F, K, U = "success", "failed", "skipped", "upstream_failed"

#: dag_id -> (run state, {task_id: state}) as Airflow ends them.
EXPECTED: dict[str, tuple[str, dict[str, str]]] = {
    "compat_bash": (
        S,
        {"loop_0": S, "loop_1": S, "loop_2": S, "after_loop": S, "skipper": K, "last": K},
    ),
    "compat_tutorial": (S, {"print_date": S, "pause": S, "templated": S}),
    "compat_taskflow": (
        S,
        {"source": S, "extract": S, "transform": S, "load": S, "report": S},
    ),
    # all_success after a skip is skipped (and so is what follows); one_success runs.
    "compat_skip": (
        S,
        {
            "skip_1": K, "true_1": S, "all_success": K, "final_1": K,
            "skip_2": K, "true_2": S, "one_success": S, "final_2": S,
        },
    ),
    "compat_xcom": (
        S,
        {"bash_push": S, "bash_pull": S, "pull_from_bash": S, "push": S,
         "push_by_returning": S, "puller": S},
    ),
    "compat_chains": (S, {}),  # every task succeeds; the edges are checked separately
    # AirflowFailException: one try despite retries=3; all_done still runs.
    "compat_failures": (F, {"fail_at_once": F, "never_runs": U, "cleanup": S}),
    "compat_branching": (
        S,
        {
            "first": S, "branching": S, "branch_a": K, "follow_a": K, "branch_b": S,
            "follow_b": S, "branch_c": K, "follow_c": K, "join": S,
            # nested: the branch not taken skips the second branch, its join (all
            # upstream skipped) and false_3; join_1 still runs after true_1
            "branch_1": S, "true_1": S, "false_1": K, "branch_2": K, "true_2": K,
            "false_2": K, "join_2": K, "false_3": K, "join_1": S,
        },
    ),
    # ignore_downstream_trigger_rules=False skips only task_4; task_6 is skipped by its
    # all_success rule; task_7 (all_done) runs.
    "compat_short_circuit": (
        S,
        {
            "condition_is_true": S, "true_1": S, "true_2": S,
            "condition_is_false": S, "false_1": K, "false_2": K,
            "task_1": S, "task_2": S, "short_circuit": S, "task_3": S, "task_4": K,
            "task_5": S, "task_6": K, "task_7": S,
        },
    ),
    "compat_groups": (
        S,
        {
            "start": S, "section_1.task_1": S, "section_1.task_2": S, "section_1.task_3": S,
            "section_2.task_1": S, "section_2.inner_section_2.task_2": S,
            "section_2.inner_section_2.task_3": S, "section_2.inner_section_2.task_4": S,
            "end": S, "task_start": S, "section.step_1": S, "section.step_2": S,
            "section__1.step_1": S, "section__1.step_2": S,
        },
    ),
    # The teardown runs after the failed work; the run fails because of the work.
    "compat_setup_teardown": (F, {"create": S, "work": F, "delete": S}),
    # A failed teardown alone does not fail the run.
    "compat_setup_teardown_ok": (S, {"outer_setup": S, "outer_work": S, "outer_teardown": F}),
    "compat_params": (S, {"check": S, "templated": S}),
    "compat_asset_produces_1": (S, {}),
    "compat_asset_consumes_1": (S, {}),
    "compat_asset_consumes_1_or_2_and_3": (S, {}),
}  # fmt: skip


@pytest.fixture(scope="module")
def baton(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Baton]:
    instance = Baton(tmp_path_factory.mktemp("compat"))
    for path in DAGS.glob("*.py"):
        shutil.copy(path, instance.dags / path.name)
    instance.cli("dags", "sync")
    yield instance


def test_every_conformance_dag_loads_through_the_real_loader(baton: Baton) -> None:
    specs, errors = load_dag_specs(baton.dags, timeout=30, parallelism=2)
    assert errors == []
    assert set(specs) == set(EXPECTED)
    assert baton.cli("dags", "errors").returncode == 0  # exits 1 when it lists any


def test_chains_have_airflows_edges(baton: Baton) -> None:
    specs, _ = load_dag_specs(baton.dags, timeout=30, parallelism=2)
    upstream = {t.task_id: set(t.upstream) for t in specs["compat_chains"].tasks.values()}
    creates, deletes = {"create_0", "create_1", "create_2"}, {"delete_0", "delete_1", "delete_2"}
    assert upstream["create_1"] == {"create_0"}
    assert upstream["search"] == creates
    assert all(upstream[d] >= {"search"} for d in deletes)
    assert upstream["op4"] == upstream["op5"] == upstream["op6"] == {"op2", "op3"}
    assert upstream["op7"] == {"op4", "op5", "op6"}
    assert upstream["sink_0"] == upstream["sink_1"] == {"src_0", "src_1"}


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_dags_test_ends_in_airflows_states(baton: Baton, dag_id: str) -> None:
    run_state, task_states = EXPECTED[dag_id]
    result = baton.cli("dags", "test", dag_id, "-o", "json", check=False)
    assert result.returncode == (0 if run_state == S else 1), result.stderr
    report = json.loads(result.stdout)
    states = {task_id: t["state"] for task_id, t in report["tasks"].items()}
    assert report["state"] == run_state, states
    if task_states:
        assert states == task_states
    else:
        assert set(states.values()) == {S}
