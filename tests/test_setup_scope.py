"""Which tasks a clear takes along: a task's setups and their teardowns (Airflow's
"If you clear a task, its setups and teardowns will be cleared", with the scope examples of
its setup-and-teardown how-to)."""

from __future__ import annotations

from scheduler.setup_scope import clear_scope
from scheduler.spec import DagSpec, TaskSpec


def make_dag(
    edges: dict[str, list[str]], setups: tuple[str, ...] = (), teardowns: tuple[str, ...] = ()
) -> DagSpec:
    tasks = {
        t: TaskSpec(
            task_id=t,
            operator="EmptyOperator",
            upstream=tuple(up),
            is_setup=t in setups,
            is_teardown=t in teardowns,
        )
        for t, up in edges.items()
    }
    return DagSpec(dag_id="d", fileloc="d.py", tasks=tasks)


def test_clearing_the_work_clears_its_setup_and_teardown():
    # create_cluster >> run_query >> delete_cluster.as_teardown(setups=create_cluster)
    dag = make_dag({"c": [], "q": ["c"], "d": ["q", "c"]}, ("c",), ("d",))
    assert clear_scope(dag, ["q"]) == ["c", "q", "d"]


def test_only_tasks_between_a_setup_and_its_teardown_take_them_along():
    # s1 >> w1 >> w2 >> t1.as_teardown(setups=s1) >> w3; w2 >> w4
    dag = make_dag(
        {"s1": [], "w1": ["s1"], "w2": ["w1"], "t1": ["w2", "s1"], "w3": ["t1"], "w4": ["w2"]},
        ("s1",),
        ("t1",),
    )
    assert clear_scope(dag, ["w1"]) == ["s1", "w1", "t1"]
    assert clear_scope(dag, ["w2"]) == ["s1", "w2", "t1"]
    assert clear_scope(dag, ["w3"]) == ["w3"]
    assert clear_scope(dag, ["w4"]) == ["w4"]


def test_a_setup_without_teardown_is_needed_by_everything_below_it():
    # create_cluster >> run_query >> other_task
    dag = make_dag({"c": [], "q": ["c"], "o": ["q"]}, ("c",))
    assert clear_scope(dag, ["o"]) == ["c", "o"]


def test_a_teardown_limits_the_scope_of_its_setup():
    # create_cluster >> run_query >> other_task; run_query >> delete_cluster(setups=create)
    dag = make_dag({"c": [], "q": ["c"], "o": ["q"], "d": ["q", "c"]}, ("c",), ("d",))
    assert clear_scope(dag, ["o"]) == ["o"]
    assert clear_scope(dag, ["q"]) == ["c", "q", "d"]


def test_clearing_a_setup_clears_its_teardown_and_a_teardown_clears_alone():
    dag = make_dag({"c": [], "q": ["c"], "d": ["q", "c"]}, ("c",), ("d",))
    assert clear_scope(dag, ["c"]) == ["c", "d"]
    assert clear_scope(dag, ["d"]) == ["d"]


def test_downstream_takes_everything_below_and_their_setups():
    # s >> w >> t.as_teardown(setups=s); s2 >> x; w >> x (x is below w, with its own setup s2)
    dag = make_dag(
        {"s": [], "w": ["s"], "t": ["w", "s"], "s2": [], "x": ["w", "s2"], "t2": ["x", "s2"]},
        ("s", "s2"),
        ("t", "t2"),
    )
    assert clear_scope(dag, ["w"], downstream=True) == ["s", "w", "t", "s2", "x", "t2"]
    # x needs s2 (whose teardown is below x), so clearing below s brings s2 along
    assert clear_scope(dag, ["s"], downstream=True) == ["s", "w", "t", "s2", "x", "t2"]


def test_unknown_ids_are_kept_first_for_the_caller_to_report():
    dag = make_dag({"a": []})
    assert clear_scope(dag, ["nope", "a"]) == ["nope", "a"]


def test_dags_without_setups_clear_just_what_was_asked():
    dag = make_dag({"a": [], "b": ["a"], "c": ["b"]})
    assert clear_scope(dag, ["b"]) == ["b"]
    assert clear_scope(dag, ["b"], downstream=True) == ["b", "c"]
