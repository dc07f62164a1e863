"""Authoring assets: Airflow 3's constructor rules, schedules and outlets in the spec, the
stored conditions and how they are evaluated, and the errors for what Baton refuses."""

from __future__ import annotations

import pytest

from scheduler import DAG, Asset, AssetAlias, AssetAll, AssetAny, EmptyOperator, task
from scheduler.asset_condition import describe, holds, leaves
from scheduler.authoring import serialize_dag
from scheduler.errors import DagDefinitionError, InvalidScheduleError
from scheduler.spec import DagSpec

A, B, C = Asset("s3://x/a"), Asset("s3://x/b"), Asset(uri="s3://x/c", name="see")


def test_one_string_is_both_name_and_uri_as_in_airflow() -> None:
    assert (A.name, A.uri, A.group) == ("s3://x/a", "s3://x/a", "asset")
    assert (Asset(name="orders").uri, C.name, C.uri) == ("orders", "see", "s3://x/c")
    assert Asset("s3://x/a") == A and hash(Asset("s3://x/a")) == hash(A)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Asset(), "needs a name or a uri"),
        (lambda: Asset("s3://x/é"), "must be ASCII"),
        (lambda: Asset("airflow://x"), "'airflow' scheme is reserved"),
        (lambda: Asset("s3://x", extra=[1]), "extra must be a dict"),
        (lambda: Asset(" "), "non-empty string"),
        (lambda: A & "s3://x/b", "cannot be combined with &"),
    ],
)
def test_bad_assets_are_refused_with_the_fix(make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DagDefinitionError, match=message):
        make()


def test_schedules_and_outlets_in_the_spec_round_trip() -> None:
    with DAG("d", schedule=[A, B | C]) as dag:
        EmptyOperator(task_id="e", outlets=[A, AssetAlias("al")], inlets=[C])

        @task(outlets=B)
        def t() -> None: ...

        t()
    spec = serialize_dag(dag)
    assert spec.schedule is None
    assert spec.asset_condition == {
        "all": [{"asset": "s3://x/a"}, {"any": [{"asset": "s3://x/b"}, {"asset": "s3://x/c"}]}]
    }
    assert [o.get("uri", o.get("alias")) for o in spec.tasks["e"].outlets] == ["s3://x/a", "al"]
    assert spec.tasks["e"].inlets[0]["name"] == "see"
    assert spec.tasks["t"].outlets[0]["uri"] == "s3://x/b"
    again = DagSpec.from_dict(spec.to_dict())
    assert again.asset_condition == spec.asset_condition
    assert again.tasks["e"].outlets == spec.tasks["e"].outlets


def test_conditions_hold_as_airflow_evaluates_them() -> None:
    condition = ((A | B) & C).condition()
    assert not holds(condition, {"asset:s3://x/a"})
    assert holds(condition, {"asset:s3://x/b", "asset:s3://x/c"})
    assert holds(AssetAll(A, AssetAlias("al")).condition(), {"asset:s3://x/a", "alias:al"})
    assert not holds(AssetAny(A, B).condition(), {"asset:s3://x/c"})
    assert leaves(condition) == (["s3://x/a", "s3://x/b", "s3://x/c"], [])
    assert describe(condition) == "(s3://x/a | s3://x/b) & s3://x/c"


def test_a_list_schedule_of_other_things_and_bad_outlets_are_refused() -> None:
    with pytest.raises(InvalidScheduleError, match="a list schedule holds assets only"):
        DAG("d", schedule=[A, "@daily"])
    with DAG("d2"), pytest.raises(DagDefinitionError, match="outlets holds 's3://x'"):
        EmptyOperator(task_id="e", outlets=["s3://x"])
