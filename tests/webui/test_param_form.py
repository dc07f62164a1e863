"""The trigger form's typed fields: which input each schema gets, and how the submitted
text becomes a typed conf (Airflow's trigger form rules)."""

from __future__ import annotations

import json

import pytest
from werkzeug.datastructures import MultiDict

from scheduler.authoring import DAG, Param, serialize_dag
from scheduler.spec import DagSpec
from webui.views.param_form import FormError, conf_from_form, param_fields, sections

PARAMS = {
    "n": Param(3, type="integer", minimum=1, maximum=10, title="How many"),
    "ratio": Param(0.5, type="number"),
    "flag": Param(True, type="boolean"),
    "mode": Param("fast", enum=["fast", "safe"], values_display={"safe": "Safe mode"}),
    "level": Param(
        2, type=["integer", "null"], enum=[1, 2, None], values_display={1: "One", None: "-"}
    ),
    "day": Param("2026-01-31", type="string", format="date"),
    "at": Param("2026-01-31T06:30:00+02:00", type="string", format="date-time"),
    "clock": Param("12:13:14", type="string", format="time"),
    "cfg": Param({"a": 1}, type="object", description="JSON here"),
    "tags": Param(["x"], type="array"),
    "pick": Param(["two"], type="array", examples=["one", "two", "three"]),
    "text": Param("hi", type="string", minLength=1, description_md="**bold**"),
    "multi": Param("hi\nthere", type=["string", "null"], format="multiline"),
    "either": Param(5, type=["integer", "string"]),
    "secret": Param("k", const="k"),
    "plain": 4,
    "required": Param(type="string", section="More"),
}


@pytest.fixture(scope="module")
def spec() -> DagSpec:
    # Through JSON, as the web UI reads it from the database (values_display keys: strings).
    built = serialize_dag(DAG("typed_form", params=PARAMS))
    return DagSpec.from_dict(json.loads(json.dumps(built.to_dict())))


def _by_name(spec, submitted=None):
    return {f.name: f for f in param_fields(spec, submitted)}


def test_each_schema_gets_its_input(spec) -> None:
    widgets = {name: f.widget for name, f in _by_name(spec).items()}
    assert widgets == {
        "n": "number",
        "ratio": "number",
        "flag": "checkbox",
        "mode": "select",
        "level": "select",
        "day": "date",
        "at": "datetime-local",
        "clock": "time",
        "cfg": "textarea",
        "tags": "textarea",
        "pick": "multiselect",
        "text": "text",
        "multi": "textarea",
        "either": "textarea",
        "secret": "hidden",
        "plain": "number",  # Airflow: a plain value's type comes from the value
        "required": "text",
    }


def test_fields_carry_label_limits_defaults_and_help(spec) -> None:
    fields = _by_name(spec)
    n = fields["n"]
    assert (n.label, n.text, n.attrs, n.required) == (
        "How many",
        "3",
        {"step": 1, "min": 1, "max": 10},
        True,
    )
    assert fields["ratio"].attrs == {"step": "any"}
    assert fields["flag"].checked is True
    assert fields["mode"].options == [('"fast"', "fast", True), ('"safe"', "Safe mode", False)]
    assert fields["level"].options == [("1", "One", False), ("2", "2", True), ("null", "-", False)]
    assert fields["level"].required is False  # null is allowed
    assert fields["at"].text == "2026-01-31T04:30:00"  # shown in UTC, as it will be sent
    assert fields["cfg"].text == '{\n  "a": 1\n}' and fields["cfg"].description == "JSON here"
    assert [chosen for _, _, chosen in fields["pick"].options] == [False, True, False]
    assert fields["text"].attrs == {"minlength": 1}
    assert str(fields["text"].description_html).strip() == "<p><strong>bold</strong></p>"
    assert fields["multi"].text == "hi\nthere"
    assert fields["secret"].text == '"k"'
    assert fields["required"].section == "More" and fields["required"].text == ""


def test_submitted_text_becomes_typed_values(spec) -> None:
    form = MultiDict(
        {
            "param.n": "7",
            "param.ratio": "2.5",
            "param.mode": '"safe"',
            "param.level": "null",
            "param.day": "2026-02-01",
            "param.at": "2026-02-01T08:15",
            "param.clock": "07:45",
            "param.cfg": '{"b": [1, 2]}',
            "param.tags": "first\r\nsecond\r\n",
            "param.text": "hello",
            "param.multi": "line 1\r\nline 2",
            "param.either": "all",
            "param.secret": '"k"',
            "param.plain": "",
            "param.required": "given",
        }
    )
    form.setlist("param.pick", ['"one"', '"three"'])
    assert conf_from_form(spec, form) == {
        "n": 7,
        "ratio": 2.5,
        "flag": False,  # an unchecked box is not sent
        "mode": "safe",
        "level": None,
        "day": "2026-02-01",
        "at": "2026-02-01T08:15:00+00:00",
        "clock": "07:45:00",
        "cfg": {"b": [1, 2]},
        "tags": ["first", "second"],  # one item per line, as in Airflow
        "pick": ["one", "three"],
        "text": "hello",
        "multi": "line 1\nline 2",
        "either": "all",  # not JSON: the text itself
        "secret": "k",
        "plain": None,  # Airflow: an empty field is None
        "required": "given",
    }


def test_several_types_take_json_when_it_fits_one_of_them(spec) -> None:
    assert conf_from_form(spec, MultiDict({"param.either": "45"}))["either"] == 45
    assert conf_from_form(spec, MultiDict({"param.either": "[1]"}))["either"] == "[1]"


def test_text_that_cannot_be_converted_names_the_param(spec) -> None:
    with pytest.raises(FormError, match="n: 'seven' is not a number") as info:
        conf_from_form(spec, MultiDict({"param.n": "seven"}))
    assert info.value.field == "n"
    with pytest.raises(FormError, match=r"cfg: not valid JSON \(Expecting"):
        conf_from_form(spec, MultiDict({"param.cfg": "{oops"}))


def test_a_refused_form_shows_what_was_typed(spec) -> None:
    submitted = MultiDict({"param.n": "0", "param.mode": '"safe"'})
    fields = _by_name(spec, submitted)
    assert fields["n"].text == "0"
    assert fields["flag"].checked is False
    assert [chosen for _, _, chosen in fields["mode"].options] == [False, True]


def test_sections_keep_the_declaration_order() -> None:
    params = {
        "a": Param(1, section="Zeta"),
        "b": Param(2),
        "c": Param(3, section="Alpha"),
        "d": Param(4, section="Zeta"),
    }
    fields = param_fields(serialize_dag(DAG("sectioned", params=params)))
    assert [(name, [f.name for f in members]) for name, members in sections(fields)] == [
        ("Zeta", ["a", "d"]),
        ("Alpha", ["c"]),
    ]
