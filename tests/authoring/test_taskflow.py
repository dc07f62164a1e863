"""TaskFlow: ``@task`` wiring and ids, XComArg, ``resolve_xcom_args``, the ``@dag`` factory."""

from __future__ import annotations

from collections import namedtuple
from datetime import datetime
from pathlib import Path

import pytest

from scheduler.authoring import (
    DAG,
    BashOperator,
    EmptyOperator,
    Param,
    PythonOperator,
    XComArg,
    dag,
    resolve_xcom_args,
    task,
)
from scheduler.authoring.params import DagParam
from scheduler.errors import DagDefinitionError, XComError
from tests.authoring.support import XComStore, line_here

LABEL = Param("x", type="string")


@task
def extract() -> list[int]:
    return [1, 2, 3]


@task
def total(rows: list[int], factor: int = 1) -> int:
    return sum(rows) * factor


def test_calling_a_task_function_adds_a_task_and_returns_its_xcomarg():
    with DAG("flow") as flow:
        rows = extract()
    assert isinstance(rows, XComArg)
    assert rows.key == "return_value"
    assert flow.get_task("extract") is rows.operator
    assert isinstance(rows.operator, PythonOperator)


def test_passing_an_xcomarg_wires_the_dependency():
    with DAG("wired") as flow:
        result = total(extract(), factor=2)
    assert result.operator.upstream_task_ids == {"extract"}
    assert flow.get_task("extract").downstream_task_ids == {"total"}


def test_xcomargs_nested_in_structures_are_wired():
    with DAG("nested"):
        a, b = extract(), extract()
        combined = total({"first": [a], "second": (b,)})
    assert combined.operator.upstream_task_ids == {"extract", "extract__1"}


def test_xcomarg_in_a_classic_operators_template_field_is_wired():
    with DAG("classic"):
        rows = extract()
        echo = BashOperator(task_id="echo", bash_command=rows)
        later = BashOperator(task_id="later", bash_command="true")
        later.env = {"ROWS": rows}  # set after construction: still wired
    assert echo.upstream_task_ids == {"extract"}
    assert later.upstream_task_ids == {"extract"}


def test_repeated_calls_get_suffixed_task_ids():
    with DAG("suffixes") as flow:
        extract()
        extract()
        extract()
        extract.override(task_id="extract")()
    assert flow.task_ids == ["extract", "extract__1", "extract__2", "extract__3"]


def test_task_decorator_arguments_reach_the_operator():
    @task(task_id="custom", retries=4, trigger_rule="all_done")
    def work():
        return None

    with DAG("args", default_args={"owner": "team"}):
        operator = work().operator
    assert (operator.task_id, operator.retries, operator.owner) == ("custom", 4, "team")
    assert operator.trigger_rule == "all_done"


def test_task_python_is_an_alias_and_override_changes_arguments():
    @task.python
    def step():
        """Does a step."""

    with DAG("alias"):
        first = step()
        second = step.override(task_id="renamed", retries=1)()
    assert first.operator.task_id == "step"
    assert first.operator.doc_md == "Does a step."
    assert (second.operator.task_id, second.operator.retries) == ("renamed", 1)


def test_rshift_on_xcomargs_delegates_to_the_operators():
    with DAG("shift"):
        rows = extract()
        done = EmptyOperator(task_id="done")
        rows >> done
        start = EmptyOperator(task_id="start")
        start >> rows
    assert done.upstream_task_ids == {"extract"}
    assert rows.operator.upstream_task_ids == {"start"}


def test_wrong_arguments_fail_at_the_call_line():
    with DAG("wrong"):
        line = line_here(2)
        with pytest.raises(DagDefinitionError, match=r"total\(\) cannot take") as info:
            total([1], 2, 3)
    assert info.value.location.endswith(f"test_taskflow.py:{line}")


def test_the_task_function_receives_resolved_values_and_context():
    @task
    def report(rows, ti=None, params=None):
        return {"rows": rows, "has_ti": ti is not None, "n": params["n"]}

    with DAG("ctx"):
        rows = extract()
        out = report(rows)
    ti = XComStore({("extract", "return_value"): [4, 5]})
    context = {"ti": ti, "params": {"n": 2}, "ds": "2024-01-01"}
    operator = out.operator
    op_args = resolve_xcom_args(operator.op_args, context)
    assert op_args == [[4, 5]]
    operator.op_args = op_args
    assert operator.execute(context) == {"rows": [4, 5], "has_ti": True, "n": 2}


def test_multiple_outputs_pushes_each_key_and_getitem_reads_one():
    @task(multiple_outputs=True)
    def split():
        return {"left": 1, "right": 2}

    with DAG("multi"):
        parts = split()
        total(parts["left"])
    ti = XComStore()
    assert parts.operator.execute({"ti": ti}) == {"left": 1, "right": 2}
    assert ti.values == {("self", "left"): 1, ("self", "right"): 2}
    assert parts["left"].key == "left"


def test_multiple_outputs_is_inferred_from_a_dict_return_annotation():
    @task
    def as_dict() -> dict[str, int]:
        return {"a": 1}

    with DAG("inferred"):
        assert as_dict().operator.multiple_outputs is True
        assert extract().operator.multiple_outputs is False


def test_multiple_outputs_with_a_non_dict_result_is_an_error():
    @task(multiple_outputs=True)
    def not_a_dict():
        return [1]

    with DAG("bad_multi"):
        operator = not_a_dict().operator
    with pytest.raises(XComError, match="multiple_outputs=True but returned list"):
        operator.execute({"ti": XComStore()})


def test_xcomarg_cannot_be_iterated_at_parse_time():
    with DAG("iterate"), pytest.raises(TypeError, match="cannot be iterated"):
        list(extract())


def test_xcomarg_str_is_a_jinja_pull():
    with DAG("jinja"):
        rows = extract()
    assert str(rows) == ("{{ task_instance.xcom_pull(task_ids='extract', key='return_value') }}")


def test_resolve_xcom_args_walks_structures_and_keeps_other_values():
    with DAG("resolve"):
        rows = extract()
    ti = XComStore({("extract", "return_value"): 6, ("extract", "k"): "v"})
    context = {"ti": ti, "params": {"day": "mon"}}
    pair = namedtuple("pair", "x y")
    value = {"a": [rows, (rows["k"], {rows})], "b": pair(rows, 1), "c": DagParam("day")}
    assert resolve_xcom_args(value, context) == {
        "a": [6, ("v", {6})],
        "b": pair(6, 1),
        "c": "mon",
    }
    plain = ["untouched"]
    assert resolve_xcom_args(plain, context) is plain


def test_missing_return_value_resolves_to_none_but_a_missing_key_is_an_error():
    with DAG("missing"):
        rows = extract()
    context = {"ti": XComStore()}
    assert rows.resolve(context) is None
    with pytest.raises(XComError, match="pushed no XCom with key 'nope'"):
        rows["nope"].resolve(context)


def test_dag_decorator_builds_the_dag_with_function_args_as_params():
    @dag(schedule="@daily", start_date=datetime(2024, 1, 1), tags=["tf"])
    def pipeline(limit: int = 10, label=LABEL):
        """The pipeline's doc."""
        total(extract(), factor=limit)

    line = line_here()
    built = pipeline()
    assert isinstance(built, DAG)
    assert built.dag_id == "pipeline"
    assert built.schedule == "@daily"
    assert built.doc_md == "The pipeline's doc."
    assert built.params.dump() == {"limit": 10, "label": "x"}
    assert built.params.get_param("label").schema == {"type": "string"}
    assert built.task_ids == ["extract", "total"]
    assert built.fileloc == str(Path(__file__).resolve())
    assert built.location.endswith(f"test_taskflow.py:{line + 1}")
    limit_arg = built.get_task("total").op_kwargs["factor"]
    assert resolve_xcom_args(limit_arg, {"params": {"limit": 3}}) == 3


def test_dag_decorator_call_arguments_become_param_defaults():
    @dag("explicit_id")
    def pipeline(limit: int = 10):
        extract()

    built = pipeline(limit=20)
    assert (built.dag_id, built.params["limit"]) == ("explicit_id", 20)


def test_dag_decorator_keeps_declared_param_schemas():
    @dag(params={"limit": Param(5, type="integer", minimum=1)})
    def guarded(limit=0):
        extract()

    with pytest.raises(DagDefinitionError, match="invalid default for param limit: 0 is less than"):
        guarded()


def test_bare_dag_decorator():
    @dag
    def bare():
        extract()

    assert bare().dag_id == "bare"
