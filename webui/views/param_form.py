"""The trigger form's typed fields: one input per DAG param, chosen from its JSON Schema.

Follows Airflow's trigger form: a number input (with min/max) for integer/number, a
checkbox for boolean, a select for ``enum`` (labels from ``values_display``), a multi-select
for an array with ``examples``, date / datetime-local / time pickers for the formats date /
date-time / time, a textarea for ``format="multiline"``, objects, arrays and several types
(JSON), plain text otherwise; ``const`` params are hidden and always sent; ``examples`` of a
string become proposals. A param without a ``Param`` gets its type from its default.

The submitted text is converted back to the param's type (``"3"`` → 3, an empty field →
None, as in Airflow) before the conf goes to the one validation every trigger passes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from scheduler.errors import ConfLimitError
from scheduler.json_limits import JsonLimits, loads_limited
from webui.views.rendering import markdown

PICKERS = {"date": "date", "date-time": "datetime-local", "time": "time"}
_JSON_TYPES = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


class ParamsSource(Protocol):
    """What the form reads of a DagSpec, or of a required action's question."""

    @property
    def params(self) -> Mapping[str, Any]: ...

    @property
    def param_specs(self) -> Mapping[str, Mapping[str, Any]]: ...


class FormError(ValueError):
    """A value typed in the form that cannot be used; the message says which and why."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class ParamField:
    """What the template needs to draw one param's input."""

    name: str
    label: str
    widget: str  # number, checkbox, select, multiselect, date, datetime-local, time,
    #              textarea, text or hidden
    text: str = ""  # the input's value (or the textarea's content)
    checked: bool = False
    options: list[tuple[str, str, bool]] = field(default_factory=list)  # value, label, chosen
    attrs: dict[str, Any] = field(default_factory=dict)  # min, max, step, minlength...
    examples: list[str] = field(default_factory=list)  # proposals of a text field
    description: str | None = None
    description_html: Markup | None = None  # description_md, rendered (no raw HTML)
    section: str | None = None
    required: bool = False
    types: tuple[str, ...] = ()


def param_fields(
    spec: ParamsSource, submitted: MultiDict[str, str] | None = None
) -> list[ParamField]:
    """The fields of ``spec``'s params, showing ``submitted`` values when re-rendering."""
    return [
        _field(name, _schema(spec, name), spec.params.get(name), submitted) for name in spec.params
    ]


def sections(fields: list[ParamField]) -> list[tuple[str, list[ParamField]]]:
    """Fields with a ``section``, grouped under it in the order the params are declared."""
    grouped: dict[str, list[ParamField]] = {}
    for info in fields:
        if info.section:
            grouped.setdefault(str(info.section), []).append(info)
    return list(grouped.items())


def conf_from_form(spec: ParamsSource, form: MultiDict[str, str]) -> dict[str, Any]:
    """The conf the params form describes, each value converted to its param's type."""
    conf = {}
    for name in spec.params:
        info = _field(name, _schema(spec, name), spec.params.get(name), None)
        conf[name] = _value(info, form)
    return conf


# -- choosing the widget ------------------------------------------------------------------


def _schema(spec: ParamsSource, name: str) -> dict[str, Any]:
    data = spec.param_specs.get(name) or {}
    schema = dict(data.get("schema") or {})
    if data.get("description") and "description" not in schema:
        schema["description"] = data["description"]
    return schema


def _types(schema: Mapping[str, Any], default: Any) -> tuple[str, ...]:
    declared = schema.get("type")
    if declared is None:  # Airflow: a plain value's type is taken from the value
        guessed = _JSON_TYPES.get(type(default))
        return (guessed,) if guessed else ()
    return (declared,) if isinstance(declared, str) else tuple(declared)


def _field(
    name: str, schema: Mapping[str, Any], default: Any, submitted: MultiDict[str, str] | None
) -> ParamField:
    types = _types(schema, default)
    info = ParamField(
        name=name,
        label=str(schema.get("title") or name),
        widget=_widget(schema, types),
        description=schema.get("description"),
        description_html=markdown(schema.get("description_md")),
        section=schema.get("section"),
        # Airflow: a typed param is required unless its type allows null.
        required="null" not in types and "type" in schema,
        types=types,
    )
    _fill(info, schema, default, submitted)
    return info


def _widget(schema: Mapping[str, Any], types: tuple[str, ...]) -> str:
    kinds = [t for t in types if t != "null"]
    if "const" in schema:
        return "hidden"
    if "enum" in schema:
        return "select"
    if kinds == ["array"] and isinstance(schema.get("examples"), list):
        return "multiselect"
    if len(kinds) != 1:
        return "textarea" if len(kinds) > 1 else "text"
    kind = kinds[0]
    if kind in ("integer", "number"):
        return "number"
    if kind == "boolean":
        return "checkbox"
    if kind in ("object", "array"):
        return "textarea"
    if schema.get("format") in PICKERS:
        return PICKERS[schema["format"]]
    return "textarea" if schema.get("format") == "multiline" else "text"


def _fill(
    info: ParamField,
    schema: Mapping[str, Any],
    default: Any,
    submitted: MultiDict[str, str] | None,
) -> None:
    key = f"param.{info.name}"
    typed = submitted.get(key, "") if submitted is not None else None
    if info.widget == "hidden":
        info.text = json.dumps(schema["const"])  # always sent, never edited
    elif info.widget == "checkbox":
        info.checked = key in submitted if submitted is not None else bool(default)
    elif info.widget in ("select", "multiselect"):
        info.options = _options(info, schema, default, submitted)
    else:
        info.text = typed if typed is not None else _text(info, default)
    if info.widget == "number":
        info.attrs = _number_attrs(schema, info.types)
    elif info.widget in ("text", "textarea"):
        limits = {"minlength": schema.get("minLength"), "maxlength": schema.get("maxLength")}
        info.attrs = {k: v for k, v in limits.items() if isinstance(v, int)}
        if schema.get("format") == "duration":
            info.attrs["placeholder"] = "ISO 8601, e.g. PT15M, PT2H, P1D"
    elif info.widget in ("datetime-local", "time"):
        info.attrs = {"step": 1}  # seconds too: the values carry them
    if info.widget == "text" and isinstance(schema.get("examples"), list):
        info.examples = [str(e) for e in schema["examples"]]


def _number_attrs(schema: Mapping[str, Any], types: tuple[str, ...]) -> dict[str, Any]:
    attrs: dict[str, Any] = {"step": 1 if "integer" in types else "any"}
    for key, attr in (("minimum", "min"), ("maximum", "max")):
        if isinstance(schema.get(key), int | float) and not isinstance(schema[key], bool):
            attrs[attr] = schema[key]
    return attrs


def _options(
    info: ParamField, schema: Mapping[str, Any], default: Any, submitted: MultiDict[str, str] | None
) -> list[tuple[str, str, bool]]:
    """``(value, label, selected)``; a value is its JSON text, so 3 and "3" stay apart."""
    labels = schema.get("values_display") or {}
    multi = info.widget == "multiselect"
    choices = list(schema["examples"] if multi else schema["enum"])
    if submitted is not None:
        chosen = set(submitted.getlist(f"param.{info.name}"))
    else:
        values = default if multi and isinstance(default, list) else [default]
        chosen = {json.dumps(v) for v in values}
    return [
        (json.dumps(value), str(_label(labels, value)), json.dumps(value) in chosen)
        for value in choices
    ]


def _label(labels: Mapping[Any, Any], value: Any) -> Any:
    # A DAG file's keys are the values themselves (1, None); keys that went through JSON
    # (the stored DagSpec) are strings: 1 is "1", None "null".
    for key in (value, str(value), json.dumps(value)):
        if isinstance(key, str | int | float | bool | None) and key in labels:
            return labels[key]
    return value


def _text(info: ParamField, default: Any) -> str:
    """A default as the input shows it: strings as they are, other values as JSON."""
    if default is None:
        return ""
    if info.widget == "datetime-local" and isinstance(default, str):
        return _local_datetime(default)
    if isinstance(default, str):
        return default
    return json.dumps(default, indent=2 if info.widget == "textarea" else None)


def _local_datetime(value: str) -> str:
    """An RFC 3339 default as ``datetime-local`` wants it: in UTC, without the offset."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value  # not a date-time: shown as is, validation says what is wrong
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="seconds")


# -- reading the submitted value ----------------------------------------------------------


def _value(info: ParamField, form: MultiDict[str, str]) -> Any:
    key = f"param.{info.name}"
    if info.widget == "checkbox":
        return key in form
    if info.widget == "multiselect":
        return [_json(info, text) for text in form.getlist(key)]
    text = form.get(key, "")
    if info.widget in ("select", "hidden"):
        return _json(info, text) if text else None
    if not text.strip():
        return None  # Airflow: an empty field is None
    return _typed(info, text)


def _typed(info: ParamField, text: str) -> Any:
    if info.widget == "number":
        return _number(info, text.strip())
    if info.widget == "datetime-local":
        return _utc_datetime(text.strip())
    if info.widget == "time":
        return text.strip() if text.count(":") == 2 else f"{text.strip()}:00"
    if info.widget == "textarea":
        return _textarea(info, text.replace("\r\n", "\n"))
    return text


def _number(info: ParamField, text: str) -> int | float:
    try:
        number = float(text)
    except ValueError:
        raise FormError(f"{info.name}: {text!r} is not a number", info.name) from None
    return int(number) if number.is_integer() and "." not in text else number


def _utc_datetime(text: str) -> str:
    """``datetime-local``'s ``2024-01-31T06:00`` as RFC 3339 in UTC, as the form shows it."""
    if text.count(":") == 1:
        text += ":00"
    return f"{text}+00:00"


def _textarea(info: ParamField, text: str) -> Any:
    kinds = [t for t in info.types if t != "null"]
    if kinds == ["string"]:
        return text  # format="multiline": the text itself, newlines kept
    if "string" in kinds or not kinds:
        # Several types (Airflow): JSON when it parses to one of them, else the raw text.
        try:
            parsed = loads_limited(text, JsonLimits(), info.name)
        except (json.JSONDecodeError, ConfLimitError):
            return text  # too deep for a value of the other types: it stays text
        kind = _json_type(parsed)
        fits = kind in kinds or (kind == "integer" and "number" in kinds)
        return parsed if fits or not kinds else text
    if kinds == ["array"] and not text.lstrip().startswith("["):
        return [line for line in text.splitlines() if line.strip()]  # one item per line
    return _json(info, text)


def _json(info: ParamField, text: str) -> Any:
    try:
        # The raw text's depth first: json.loads itself recurses (the run's own limit is
        # checked again, with the settings, when the run is created).
        return loads_limited(text, JsonLimits(), info.name)
    except json.JSONDecodeError as exc:
        raise FormError(
            f"{info.name}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})",
            info.name,
        ) from None


def _json_type(value: Any) -> str | None:
    kind = _JSON_TYPES.get(type(value))
    return "number" if kind == "integer" and isinstance(value, float) else kind
