"""Params: schemas, DAG < task < conf merging, validation errors."""

from __future__ import annotations

import pytest

from scheduler.authoring import DAG, EmptyOperator, Param, ParamsDict, merge_params
from scheduler.errors import DagDefinitionError, ParamValidationError


@pytest.mark.parametrize(
    ("schema", "value"),
    [
        ({"type": "string"}, "x"),
        ({"type": "integer"}, 3),
        ({"type": "integer"}, 3.0),
        ({"type": "number"}, 2.5),
        ({"type": "boolean"}, False),
        ({"type": "object"}, {"a": 1}),
        ({"type": "array"}, [1]),
        ({"type": "null"}, None),
        ({"type": ["string", "null"]}, None),
        ({"enum": ["a", "b"]}, "b"),
        ({"type": "integer", "minimum": 1, "maximum": 3}, 3),
        ({"exclusiveMinimum": 0}, 0.1),
        ({"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^a"}, "abc"),
        ({"title": "not checked", "format": "date"}, "anything"),
    ],
)
def test_valid_values_resolve(schema, value):
    assert Param(value, **schema).resolve() == value


@pytest.mark.parametrize(
    ("schema", "value", "problem"),
    [
        ({"type": "integer"}, "3", "is not of type integer"),
        ({"type": "integer"}, True, "is not of type integer"),
        ({"type": "number"}, "1.5", "is not of type number"),
        ({"type": "boolean"}, 1, "is not of type boolean"),
        ({"type": ["string", "null"]}, 1, "is not of type string or null"),
        ({"enum": ["a", "b"]}, "c", "is not one of the allowed values ['a', 'b']"),
        ({"minimum": 1}, 0, "is less than the minimum 1"),
        ({"maximum": 1}, 2, "is greater than the maximum 1"),
        ({"exclusiveMaximum": 1}, 1, "is not less than the exclusiveMaximum 1"),
        ({"minLength": 2}, "a", "is shorter than minLength 2"),
        ({"pattern": "^a"}, "b", "does not match the pattern '^a'"),
    ],
)
def test_invalid_values_name_the_param_and_the_problem(schema, value, problem):
    with pytest.raises(ParamValidationError) as info:
        Param(None, **schema).resolve(value, name="n")
    assert f"param 'n': {value!r} {problem}" in str(info.value)


def test_unknown_schema_type_is_a_definition_error():
    with pytest.raises(DagDefinitionError, match="Param type 'str' is not a JSON-schema type"):
        Param("x", type="str")


def test_a_param_without_default_needs_a_value():
    with pytest.raises(ParamValidationError, match="param 'day' has no default"):
        merge_params({"day": Param(type="string")}, {})
    assert merge_params({"day": Param(type="string")}, {"day": "mon"}) == {"day": "mon"}


def test_params_dict_reads_values_and_keeps_params():
    params = ParamsDict({"n": 3, "name": Param("x", type="string")})
    assert params["n"] == 3
    assert params["name"] == "x"
    assert params.get_param("name").schema == {"type": "string"}
    params["name"] = "y"  # a plain value keeps the schema
    assert params.get_param("name").schema == {"type": "string"}
    assert dict(params) == {"n": 3, "name": "y"}


def test_conf_overrides_defaults_and_extra_keys_pass_through():
    declared = {"n": Param(3, type="integer"), "name": "x"}
    merged = merge_params(declared, {"n": 5, "extra": [1]})
    assert merged == {"n": 5, "name": "x", "extra": [1]}
    assert type(merged) is dict


def test_conf_of_the_wrong_type_is_rejected_with_the_param_name():
    with pytest.raises(ParamValidationError, match="param 'n': 'five' is not of type integer"):
        merge_params({"n": Param(3, type="integer")}, {"n": "five"})


def test_conf_must_be_a_mapping():
    with pytest.raises(ParamValidationError, match="must be a JSON object"):
        merge_params({}, ["not", "a", "dict"])


def test_dag_params_are_inherited_and_overridden_by_task_params():
    with DAG("p", params={"n": Param(1, type="integer"), "mode": "fast"}) as dag:
        task = EmptyOperator(task_id="t", params={"n": 2, "own": True})
    assert dag.params.dump() == {"n": 1, "mode": "fast"}
    assert task.params.dump() == {"n": 2, "mode": "fast", "own": True}
    assert task.params.get_param("n").schema == {"type": "integer"}  # the DAG's schema stays


def test_default_args_params_merge_under_dag_params():
    dag = DAG("layered", default_args={"params": {"a": 1, "b": 1}}, params={"b": 2})
    assert dag.params.dump() == {"a": 1, "b": 2}


def test_invalid_dag_param_default_is_a_definition_error_at_the_dag_line():
    with pytest.raises(DagDefinitionError, match="DAG 'bad': param 'n': 'x' is not of type"):
        DAG("bad", params={"n": Param("x", type="integer")})


def test_task_param_breaking_the_dag_schema_is_a_definition_error():
    with (
        DAG("schema", params={"n": Param(1, type="integer")}),
        pytest.raises(DagDefinitionError, match="task 't': param 'n'"),
    ):
        EmptyOperator(task_id="t", params={"n": "two"})
