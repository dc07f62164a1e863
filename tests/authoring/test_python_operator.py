"""PythonOperator.execute: op_args/op_kwargs and context injection by signature."""

from __future__ import annotations

import pytest

from scheduler.authoring import EmptyOperator, PythonOperator
from scheduler.errors import DagDefinitionError

CONTEXT = {"ds": "2024-01-01", "run_id": "r1", "params": {"n": 1}}


def _run(func, **kwargs):
    return PythonOperator(task_id="py", python_callable=func, **kwargs).execute(dict(CONTEXT))


def test_args_and_kwargs_are_passed():
    def add(a, b, c=0):
        return a + b + c

    assert _run(add, op_args=[1, 2], op_kwargs={"c": 3}) == 6


def test_named_context_entries_are_injected():
    def named(ds, run_id=None):
        return (ds, run_id)

    assert _run(named) == ("2024-01-01", "r1")


def test_only_the_named_entries_are_passed_without_var_kwargs():
    def only_params(params):
        return params

    assert _run(only_params) == {"n": 1}


def test_var_kwargs_receive_the_whole_context_and_templates_dict():
    def everything(x, **context):
        return x, sorted(context)

    x, keys = _run(everything, op_args=[7], templates_dict={"q": "select"})
    assert x == 7
    assert keys == ["ds", "params", "run_id", "templates_dict"]


def test_op_kwargs_override_context_entries():
    def read(ds):
        return ds

    assert _run(read, op_kwargs={"ds": "mine"}) == "mine"


def test_positional_arg_named_like_a_context_key_is_an_error():
    def clash(ds):
        return ds

    with pytest.raises(DagDefinitionError, match="gets 'ds' from op_args"):
        _run(clash, op_args=["x"])


def test_python_callable_must_be_callable():
    with pytest.raises(DagDefinitionError, match="python_callable='nope' is not callable"):
        PythonOperator(task_id="py", python_callable="nope")


def test_template_fields_are_airflows():
    assert PythonOperator.template_fields == ("templates_dict", "op_args", "op_kwargs")


def test_empty_operator_returns_nothing():
    assert EmptyOperator(task_id="e").execute({}) is None
