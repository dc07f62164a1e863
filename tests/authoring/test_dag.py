"""DAG construction: the context manager, attributes, dates and time zones, validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import networkx as nx
import pytest

from scheduler.authoring import DAG, EmptyOperator
from scheduler.authoring.collector import collect_dags
from scheduler.errors import DagDefinitionError, InvalidScheduleError, TaskNotFoundError
from tests.authoring.support import line_here


def test_operators_created_in_the_block_join_the_dag():
    with DAG("etl") as dag:
        first = EmptyOperator(task_id="first")
        second = EmptyOperator(task_id="second")
    outside = EmptyOperator(task_id="outside")
    assert dag.task_ids == ["first", "second"]
    assert dag.tasks == [first, second]
    assert dag.task_dict["second"] is second
    assert first.dag is dag
    assert not outside.has_dag()


def test_nested_contexts_use_the_innermost_dag_then_return_to_the_outer():
    with DAG("outer") as outer:
        a = EmptyOperator(task_id="a")
        with DAG("inner") as inner:
            b = EmptyOperator(task_id="b")
        c = EmptyOperator(task_id="c")
    assert (a.dag, b.dag, c.dag) == (outer, inner, outer)
    assert outer.task_ids == ["a", "c"]


def test_dag_keyword_attaches_a_task_created_outside_any_block():
    dag = DAG("explicit")
    task = EmptyOperator(task_id="t", dag=dag)
    assert dag.get_task("t") is task


def test_attributes_keep_airflow_names_and_defaults():
    dag = DAG(
        "attrs",
        schedule=timedelta(hours=1),
        tags=["team-a"],
        description="desc",
        doc_md="# Doc",
        template_searchpath="/srv/templates",
        user_defined_macros={"x": 1},
        max_active_runs=2,
        max_active_tasks=3,
        is_paused_upon_creation=False,
    )
    assert dag.schedule == 3600.0
    assert dag.catchup is False
    assert dag.tags == ["team-a"]
    assert dag.template_searchpath == ["/srv/templates"]
    assert dag.user_defined_macros == {"x": 1}
    assert (dag.max_active_runs, dag.max_active_tasks) == (2, 3)
    assert dag.is_paused_upon_creation is False
    assert dag.fileloc == str(Path(__file__).resolve())


def test_schedule_presets_and_cron_are_normalised():
    assert DAG("daily", schedule="@daily").schedule == "@daily"
    assert DAG("cron", schedule=" 0 6 * * * ").schedule == "0 6 * * *"
    assert DAG("manual").schedule is None


def test_invalid_schedule_names_the_dag_and_the_dag_call_line():
    line = line_here(2)
    with pytest.raises(InvalidScheduleError) as info:
        DAG("bad_schedule", schedule="every day")
    message = str(info.value)
    assert "DAG 'bad_schedule'" in message
    assert "'every day'" in message
    assert info.value.location.endswith(f"test_dag.py:{line}")


def test_naive_start_date_is_utc():
    dag = DAG("naive", start_date=datetime(2024, 1, 1))
    assert dag.start_date == datetime(2024, 1, 1, tzinfo=UTC)
    assert dag.timezone == "UTC"


def test_aware_start_date_keeps_its_zone_name():
    paris = datetime(2024, 1, 1, tzinfo=ZoneInfo("Europe/Paris"))
    dag = DAG("paris", start_date=paris, end_date=datetime(2025, 1, 1))
    assert dag.timezone == "Europe/Paris"
    assert dag.start_date.tzinfo == ZoneInfo("Europe/Paris")
    assert dag.end_date == datetime(2025, 1, 1, tzinfo=UTC)


def test_fixed_offset_start_date_maps_to_an_etc_zone():
    plus_two = datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=2)))
    assert DAG("offset", start_date=plus_two).timezone == "Etc/GMT-2"
    assert DAG("utc", start_date=datetime(2024, 1, 1, tzinfo=UTC)).timezone == "UTC"


def test_start_date_may_come_from_default_args():
    dag = DAG("from_defaults", default_args={"start_date": datetime(2024, 5, 1)})
    assert dag.start_date == datetime(2024, 5, 1, tzinfo=UTC)


def test_end_date_before_start_date_is_rejected():
    with pytest.raises(DagDefinitionError, match=r"end_date .* is before start_date"):
        DAG("backwards", start_date=datetime(2024, 2, 1), end_date=datetime(2024, 1, 1))


def test_a_date_instead_of_a_datetime_is_rejected():
    with pytest.raises(DagDefinitionError, match="must be a datetime"):
        DAG("date_only", start_date=datetime(2024, 1, 1).date())


@pytest.mark.parametrize("dag_id", ["has space", "slash/ed", "", "x" * 251, "ünï"])
def test_bad_dag_ids_are_rejected_with_the_rule(dag_id):
    line = line_here(2)
    with pytest.raises(DagDefinitionError) as info:
        DAG(dag_id)
    assert "dag_id" in str(info.value)
    assert info.value.location.endswith(f"test_dag.py:{line}")


def test_good_dag_ids_are_accepted():
    assert DAG("team.etl-v2_daily").dag_id == "team.etl-v2_daily"
    assert DAG("x" * 250).dag_id == "x" * 250


@pytest.mark.parametrize("field", ["max_active_runs", "max_active_tasks"])
def test_max_active_limits_must_be_at_least_one(field):
    with pytest.raises(DagDefinitionError, match=f"{field}=0 must be an integer >= 1"):
        DAG("limits", **{field: 0})


def test_unknown_dag_argument_is_rejected_with_a_rename_hint():
    with pytest.raises(DagDefinitionError) as info:
        DAG("old_style", schedule_interval="@daily")
    assert "schedule_interval is not an Airflow argument" in str(info.value)
    assert "write schedule instead" in str(info.value)


def test_get_task_of_an_unknown_id_lists_the_known_ones():
    with DAG("lookup") as dag:
        EmptyOperator(task_id="known")
    with pytest.raises(TaskNotFoundError, match="no task 'missing'; its tasks are: known"):
        dag.get_task("missing")


def test_graph_is_a_networkx_digraph_of_the_dependencies():
    with DAG("graph") as dag:
        a, b, c = (EmptyOperator(task_id=name) for name in "abc")
        a >> [b, c]
    assert isinstance(dag.graph, nx.DiGraph)
    assert list(dag.graph.nodes) == ["a", "b", "c"]
    assert set(dag.graph.edges) == {("a", "b"), ("a", "c")}
    assert dag.roots == [a]
    assert dag.leaves == [b, c]


def test_every_dag_created_during_an_import_is_collected():
    with collect_dags() as collected:
        first = DAG("one")
        second = DAG("two")
    assert collected == [first, second]
