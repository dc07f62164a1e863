"""Airflow's other public names, and the errors for what Baton does not have (yet)."""

from __future__ import annotations

import copy
import importlib
import traceback
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pendulum
import pytest

import scheduler
from scheduler import (
    DAG,
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    AirflowTaskTimeout,
    BashOperator,
    EmptyOperator,
    PythonOperator,
    chain_linear,
    dag,
    get_current_context,
    task,
)
from scheduler.authoring import serialize_dag
from scheduler.errors import (
    BatonError,
    BatonFailException,
    BatonSensorTimeout,
    BatonSkipException,
    BatonTaskTimeout,
    DagDefinitionError,
    InvalidScheduleError,
)
from scheduler.timetables import timetable_for
from scheduler.timetables.intervals import TimeRestriction

from .support import line_here

# -- exceptions under Airflow's names ----------------------------------------------------------


def test_airflow_exceptions_are_batons_own_classes() -> None:
    assert AirflowException is BatonError
    assert AirflowSkipException is BatonSkipException
    assert AirflowFailException is BatonFailException
    assert AirflowSensorTimeout is BatonSensorTimeout
    assert AirflowTaskTimeout is BatonTaskTimeout
    # Airflow's hierarchy: every one of them is an AirflowException.
    for cls in (AirflowSkipException, AirflowFailException, AirflowSensorTimeout):
        assert issubclass(cls, AirflowException)


def test_public_names_are_exported() -> None:
    for name in ("Variable", "Connection", "XComArg", "cross_downstream", "chain_linear",
                 "get_current_context", "Context", "AirflowSkipException"):  # fmt: skip
        assert name in scheduler.__all__, name
        assert getattr(scheduler, name) is not None


# -- get_current_context ------------------------------------------------------------------------


def test_get_current_context_outside_a_task_raises_airflows_runtime_error() -> None:
    with pytest.raises(RuntimeError, match="Current context was requested but no context was"):
        get_current_context()


# -- names Baton lacks --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("KubernetesPodOperator", "KubernetesPodOperator is an Airflow operator Baton does not"),
        ("TimeSensor", "TimeSensor is an Airflow sensor Baton does not support yet"),
        ("ObjectStoragePath", "ObjectStoragePath is an Airflow class Baton does not support"),
        ("CronTriggerTimetable", "use the cron string itself"),
        ("DummyOperator", "use `from scheduler import EmptyOperator`"),
        ("HttpOperator", "`from plugins.http import HttpOperator`"),
    ],
)
def test_importing_a_missing_airflow_name_says_so(name: str, expected: str) -> None:
    with pytest.raises(ImportError) as info:
        exec(f"from scheduler import {name}", {})
    assert expected in str(info.value)


def test_an_unknown_name_is_an_attribute_error_with_a_suggestion() -> None:
    with pytest.raises(AttributeError, match=r"no attribute 'PythonOperater' \(did you mean"):
        scheduler.PythonOperater  # noqa: B018
    assert not hasattr(scheduler, "not_a_name")
    assert importlib.import_module("scheduler").BaseHook is not None  # lazy names still work


# -- constructor arguments ----------------------------------------------------------------------


def test_a_misspelt_dag_argument_gets_a_suggestion_and_the_line() -> None:
    line = line_here(1)
    with pytest.raises(DagDefinitionError) as info:
        DAG("orders", dag_timeout=timedelta(hours=1))
    assert "dag_timeout is not an Airflow argument (did you mean dagrun_timeout?)" in str(
        info.value
    )
    assert info.value.location.endswith(f"test_airflow_names.py:{line + 1}")


def test_dag_decorator_arguments_are_checked_the_same_way() -> None:
    @dag(schedule=None, catchupp=False)
    def pipeline() -> None:
        EmptyOperator(task_id="t")

    with pytest.raises(DagDefinitionError, match=r"catchupp is not an Airflow argument \(did you"):
        pipeline()


def test_a_known_airflow_argument_baton_lacks_is_named_as_such() -> None:
    with pytest.raises(DagDefinitionError) as info:
        DAG("secured", access_control={"Viewer": {"can_read"}})
    assert "DAG 'secured': access_control is an Airflow argument Baton does not support yet" in (
        str(info.value)
    )
    with DAG("ops"), pytest.raises(DagDefinitionError) as info:
        BashOperator(task_id="b", bash_command="true", email="ops@example.com")
    message = str(info.value)
    assert "task 'b' (BashOperator): email is an Airflow argument Baton does not support yet" in (
        message
    )


def test_an_airflow_argument_with_its_neutral_value_is_accepted_and_readable() -> None:
    with DAG("tutorial", fail_fast=False, render_template_as_native_obj=False) as d:
        op = BashOperator(
            task_id="b",
            bash_command="true",
            depends_on_past=False,
            email=None,
            email_on_failure=False,
        )
    assert d.fail_fast is False
    assert (op.depends_on_past, op.email, op.email_on_failure) == (False, None, False)
    with DAG("strict"), pytest.raises(DagDefinitionError, match="run_as_user is an Airflow"):
        EmptyOperator(task_id="e", run_as_user="root")


def test_operator_arguments_are_checked_against_the_class_and_airflow() -> None:
    with DAG("typos"):
        with pytest.raises(DagDefinitionError, match=r"bash_comand is not an Airflow argument"):
            BashOperator(task_id="b", bash_command="true", bash_comand="x")
        with pytest.raises(DagDefinitionError, match=r"op_kwarg is not an Airflow argument \("):
            PythonOperator(task_id="p", python_callable=print, op_kwarg={})
        with pytest.raises(DagDefinitionError, match="output_processor is an Airflow argument"):
            BashOperator(task_id="c", bash_command="true", output_processor=str.strip)
        with pytest.raises(DagDefinitionError, match="write max_active_tis_per_dag instead"):
            EmptyOperator(task_id="e", task_concurrency=2)


def test_task_decorator_arguments_name_task_not_a_private_class() -> None:
    @task(retires=2)
    def work() -> None: ...

    with DAG("flow"), pytest.raises(DagDefinitionError) as info:
        work()
    message = str(info.value)
    assert "task 'work' (@task): retires is not an Airflow argument (did you mean retries?)" in (
        message
    )
    assert "_Python" not in message


# -- attributes Baton lacks ---------------------------------------------------------------------


def test_missing_attributes_never_name_a_private_class() -> None:
    with DAG("attrs") as d:

        @task
        def add(x: int) -> int:
            return x

        result = add(1)
        op = EmptyOperator(task_id="e")
    cases = [
        (lambda: add.some_airflow_feature, "@task function 'add' has no attribute"),
        (lambda: result.some_airflow_feature, "XComArg of task 'add' has no attribute"),
        (lambda: op.some_airflow_feature, "EmptyOperator 'e' has no attribute"),
        (lambda: d.some_airflow_feature, "DAG 'attrs' has no attribute"),
        (lambda: d.test, "run `baton dags test DAG_ID`"),
        (lambda: task.docker, "@task.docker is an Airflow decorator Baton does not support yet"),
        (lambda: task.pythn, "@task.pythn is not an Airflow decorator (did you mean 'python'?)"),
    ]
    for access, expected in cases:
        with pytest.raises(AttributeError) as info:
            access()
        assert expected in str(info.value)
        assert "_TaskDecorator" not in str(info.value) and "object has" not in str(info.value)
        # Shown as Python's own error (an import error's text, a try's error), message built
        # lazily or not: never the name of Baton's class for it.
        shown = traceback.format_exception_only(info.value)[-1]
        assert shown.startswith("AttributeError: ") and expected in shown, shown
    assert getattr(op, "nothing", "default") == "default"
    assert copy.copy(op).task_id == "e"  # copy probes dunders through __getattr__


# -- chain_linear ---------------------------------------------------------------------------------


def test_chain_linear_links_every_task_of_one_element_to_every_task_of_the_next() -> None:
    with DAG("linear") as d:
        op1, op2, op3, op4, op5, op6, op7 = (EmptyOperator(task_id=f"op{i}") for i in range(1, 8))
        chain_linear(op1, [op2, op3], [op4, op5, op6], op7)
    edges = {(up, down) for up, down in d.graph.edges}
    assert edges == {
        ("op1", "op2"), ("op1", "op3"),
        *((a, b) for a in ("op2", "op3") for b in ("op4", "op5", "op6")),
        ("op4", "op7"), ("op5", "op7"), ("op6", "op7"),
    }  # fmt: skip


def test_chain_linear_refuses_nothing_to_link() -> None:
    with DAG("nothing"):
        only = EmptyOperator(task_id="only")
        with pytest.raises(DagDefinitionError, match="got no tasks"):
            chain_linear()
        with pytest.raises(DagDefinitionError, match="unpack a list with"):
            chain_linear([only])


# -- pendulum -------------------------------------------------------------------------------------


def _first_runs(d: DAG, count: int = 3) -> list[datetime]:
    spec = serialize_dag(d)
    timetable = timetable_for(spec.schedule, spec.timezone)
    restriction = TimeRestriction(spec.start_date, spec.end_date, catchup=True)
    runs, last = [], None
    for _ in range(count):
        info = timetable.next_dagrun_info(
            last_automated_data_interval=last,
            restriction=restriction,
            now=datetime(2027, 1, 1, tzinfo=ZoneInfo("UTC")),
        )
        runs.append(info.logical_date)
        last = info.data_interval
    return runs


def test_a_pendulum_start_date_gives_the_same_schedule_as_zoneinfo() -> None:
    # Across the switch to summer time in Paris (2026-03-29): 06:00 local is 05:00 then 04:00 UTC.
    with_pendulum = DAG(
        "p", schedule="0 6 * * *", start_date=pendulum.datetime(2026, 3, 28, tz="Europe/Paris")
    )
    with_zoneinfo = DAG(
        "z",
        schedule="0 6 * * *",
        start_date=datetime(2026, 3, 28, tzinfo=ZoneInfo("Europe/Paris")),
    )
    assert serialize_dag(with_pendulum).timezone == "Europe/Paris"
    runs = _first_runs(with_pendulum)
    assert runs == _first_runs(with_zoneinfo)
    assert [r.astimezone(ZoneInfo("UTC")).hour for r in runs] == [5, 4, 4]


def test_pendulum_durations_are_accepted_wherever_a_timedelta_is() -> None:
    with DAG(
        "durations",
        schedule=pendulum.duration(hours=6),
        start_date=pendulum.datetime(2026, 1, 1),
        end_date=pendulum.datetime(2026, 2, 1),
        default_args={"retry_delay": pendulum.duration(minutes=2)},
    ) as d:
        op = EmptyOperator(task_id="e", execution_timeout=pendulum.duration(seconds=30))
    assert serialize_dag(d).schedule == 6 * 3600
    assert op.retry_delay == timedelta(minutes=2)
    assert op.execution_timeout == timedelta(seconds=30)


def test_a_calendar_month_duration_schedule_is_refused() -> None:
    with pytest.raises(InvalidScheduleError, match="'@monthly'"):
        DAG("monthly", schedule=pendulum.duration(months=1))


def test_the_cli_logical_date_parses_like_airflows() -> None:
    from scheduler.api import parse_logical_date

    assert parse_logical_date("20260131T060000") == datetime(2026, 1, 31, 6, tzinfo=ZoneInfo("UTC"))
    parsed = parse_logical_date("2026-01-31T07:00:00+01:00")
    assert type(parsed) is datetime and parsed == pendulum.datetime(2026, 1, 31, 6)


def test_provider_operator_arguments_baton_lacks_are_named() -> None:
    from plugins.http import HttpOperator

    with DAG("providers"):
        with pytest.raises(DagDefinitionError, match="auth_type is an Airflow argument Baton"):
            HttpOperator(task_id="h", endpoint="/x", auth_type=object())
        with pytest.raises(DagDefinitionError, match=r"endpont is not an Airflow argument \("):
            HttpOperator(task_id="i", endpoint="/x", endpont="/y")
