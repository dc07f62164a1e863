"""What an answer to a human-in-the-loop question must be: options it offers (one unless
``multiple``), params input its params accept, with the params' defaults filled in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scheduler import Param, ParamsDict
from scheduler.api.hitl import check_response
from scheduler.errors import HITLResponseError
from scheduler.store.models_hitl import HitlDetailRow


def _question(multiple: bool = False) -> HitlDetailRow:
    params = ParamsDict(
        {"n": Param(3, type="integer", minimum=1), "note": Param("", type="string")}
    )
    return HitlDetailRow(
        dag_id="d", run_id="r", task_id="t", subject="?", options=["a", "b", "c"],
        multiple=multiple, params=params.spec(), created_at=datetime.now(UTC),
    )  # fmt: skip


def test_an_offered_option_with_params_input_gets_the_other_defaults() -> None:
    chosen, values = check_response(_question(), ["b"], {"note": "fine"})
    assert chosen == ["b"] and values == {"n": 3, "note": "fine"}
    assert check_response(_question(), "a", None) == (["a"], {"n": 3, "note": ""})


def test_several_options_need_multiple() -> None:
    with pytest.raises(HITLResponseError, match="takes one option"):
        check_response(_question(), ["a", "b"], {})
    assert check_response(_question(multiple=True), ["a", "c", "a"], {})[0] == ["a", "c"]


@pytest.mark.parametrize(
    ("options", "params_input", "message"),
    [
        (["z"], {}, r"options \['z'\] are not offered; choose from \['a', 'b', 'c'\]"),
        ([], {}, "non-empty list"),
        ([1], {}, "not offered"),
        (["a"], {"nope": 1}, r"unknown params \['nope'\]"),
        (["a"], {"n": 0}, "params_input.n"),
        (["a"], {"n": "three"}, "params_input.n"),
        (["a"], [1, 2], "must be a JSON object"),
    ],
)
def test_a_wrong_answer_says_what_to_fix(
    options: object, params_input: object, message: str
) -> None:
    with pytest.raises(HITLResponseError, match=message):
        check_response(_question(), options, params_input)
