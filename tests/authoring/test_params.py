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
        ({"title": "for the form", "section": "s", "values_display": {"a": "A"}}, "anything"),
    ],
)
def test_valid_values_resolve(schema, value):
    assert Param(value, **schema).resolve() == value


# Expected messages are jsonschema's, which Airflow shows too ("Invalid input for param n: ...").
@pytest.mark.parametrize(
    ("schema", "value", "message"),
    [
        ({"type": "integer"}, "3", "n: '3' is not of type 'integer'"),
        ({"type": "integer"}, True, "n: True is not of type 'integer'"),
        ({"type": "boolean"}, 1, "n: 1 is not of type 'boolean'"),
        ({"type": ["string", "null"]}, 1, "n: 1 is not of type 'string', 'null'"),
        ({"enum": ["a", "b"]}, "c", "n: 'c' is not one of ['a', 'b']"),
        ({"minimum": 1}, 0, "n: 0 is less than the minimum of 1"),
        ({"maximum": 1}, 2, "n: 2 is greater than the maximum of 1"),
        ({"exclusiveMaximum": 1}, 1, "n: 1 is greater than or equal to the maximum of 1"),
        ({"multipleOf": 7}, 15, "n: 15 is not a multiple of 7"),
        ({"pattern": "^a"}, "b", "n: 'b' does not match '^a'"),
        ({"const": "x"}, "y", "n: 'x' was expected"),
        ({"items": {"type": "number"}}, [1, "a"], "n[1]: 'a' is not of type 'number'"),
        (
            {"properties": {"retries": {"minimum": 0}}},
            {"retries": -1},
            "n.retries: -1 is less than the minimum of 0",
        ),
        ({"type": "string", "format": "date"}, "2024-02-30", "n: '2024-02-30' is not a 'date'"),
    ],
)
def test_invalid_values_name_the_param_and_the_rule(schema, value, message):
    with pytest.raises(ParamValidationError) as info:
        Param(None, **schema).resolve(value, name="n")
    assert str(info.value) == message
    assert info.value.field == message.partition(":")[0]


@pytest.mark.parametrize(
    ("fmt", "good", "bad"),
    [
        ("date", "2024-01-31", "31.01.2024"),
        ("date-time", "2024-01-31T06:00:00+00:00", "2024-01-31T06:00"),
        ("date-time", "2024-01-31T06:00:00.5Z", "2024-01-31"),
        ("time", "12:13:14", "12:13"),
        ("time", "12:13:14+02:00", "25:00:00"),
        ("duration", "PT15M", "15 minutes"),
        ("duration", "P1DT2H", "PT"),
        ("duration", "P2W", "P1H"),
    ],
)
def test_formats_of_the_form_pickers_are_checked(fmt, good, bad):
    param = Param(good, type="string", format=fmt)
    assert param.resolve() == good
    with pytest.raises(ParamValidationError, match=f"is not a '{fmt}'"):
        param.resolve(bad, name="when")


def test_a_whole_schema_can_be_passed_as_schema():
    param = Param(3, description="how many", schema={"type": "integer", "title": "Count"})
    assert param.schema == {"type": "integer", "title": "Count"}
    assert param.description == "how many"
    with pytest.raises(ParamValidationError, match="'x' is not of type 'integer'"):
        param.resolve("x")


def test_unknown_schema_type_is_a_definition_error_at_the_param_line():
    with pytest.raises(DagDefinitionError, match="type 'str' is not a JSON Schema type") as info:
        Param("x", type="str")
    line = _line_of('Param("x", type="str")')
    assert info.value.location.endswith(f"test_params.py:{line}")


def test_a_schema_that_is_not_json_schema_is_a_definition_error():
    with pytest.raises(DagDefinitionError, match="minimum: '1' is not of type 'number'"):
        Param(2, type="integer", minimum="1")


def test_a_default_that_is_not_json_is_a_definition_error():
    with pytest.raises(DagDefinitionError, match="must be JSON-serialisable"):
        Param(object())


def _line_of(text: str) -> int:
    source = open(__file__).read().splitlines()  # noqa: SIM115 - a test helper
    return next(i for i, line in enumerate(source, 1) if text in line and "_line_of" not in line)


def test_a_param_without_default_needs_a_value():
    with pytest.raises(ParamValidationError, match="day: no value was given and the param has no"):
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
    with pytest.raises(ParamValidationError, match="n: 'five' is not of type 'integer'"):
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
    with pytest.raises(
        DagDefinitionError, match="DAG 'bad': invalid default for param n: 'x' is"
    ) as info:
        DAG("bad", params={"n": Param("x", type="integer")})
    line = _line_of('DAG("bad", params=')
    assert info.value.location.endswith(f"test_params.py:{line}")


def test_task_param_breaking_the_dag_schema_is_a_definition_error():
    with (
        DAG("schema", params={"n": Param(1, type="integer")}),
        pytest.raises(DagDefinitionError, match="task 't': invalid default for param n: 'two'"),
    ):
        EmptyOperator(task_id="t", params={"n": "two"})


def test_a_scheduled_dag_needs_a_default_for_every_param():
    with pytest.raises(DagDefinitionError, match="param 'day' has no default, but the DAG has a"):
        DAG("nightly", schedule="@daily", params={"day": Param(type="string")})
    with pytest.raises(DagDefinitionError, match="invalid default for param day: None is not"):
        DAG("nightly", schedule="@daily", params={"day": Param(None, type="string")})
    DAG("nullable", schedule="@daily", params={"day": Param(None, type=["null", "string"])})


def test_an_unscheduled_dag_may_leave_params_for_the_trigger():
    dag = DAG("manual", params={"day": Param(type="string"), "note": Param(None, type="string")})
    assert dag.params.dump() == {"day": None, "note": None}
    with pytest.raises(ParamValidationError, match="note: None is not of type 'string'"):
        merge_params(dag.params, {"day": "mon"})
    assert merge_params(dag.params, {"day": "mon", "note": "x"}) == {"day": "mon", "note": "x"}


def test_schema_and_schema_keywords_together_are_refused():
    with pytest.raises(DagDefinitionError, match="put every keyword inside the schema dict"):
        Param(3, schema={"type": "integer"}, minimum=1)


def test_suppress_exception_gives_none_instead_of_raising():
    param = Param(5, type="integer", minimum=3)
    assert param.resolve(1, suppress_exception=True) is None
    assert param.resolve(suppress_exception=True) == 5
    assert Param(type="string").resolve(suppress_exception=True) is None
