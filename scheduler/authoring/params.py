"""DAG and task params (Airflow's ``Param`` / ``ParamsDict``), validated without jsonschema.

``params={"n": 3, "name": Param("x", type="string")}``: a plain value is a param without a
schema; a ``Param`` carries a default and a small JSON-schema subset (``type``, ``enum``,
``minimum``/``maximum``, ``exclusiveMinimum``/``exclusiveMaximum``, ``minLength``/
``maxLength``, ``pattern``; other keys such as ``title`` or ``format`` are kept for the UI and
not checked). A run's trigger conf overrides the defaults: ``merge_params(params, conf)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

from scheduler.authoring.location import caller_location
from scheduler.errors import DagDefinitionError, ParamValidationError

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list, tuple),
    "null": (type(None),),
}


class _NotSet:
    """The default of a ``Param`` that has none: the trigger conf must provide a value."""

    def __repr__(self) -> str:
        return "NOTSET"

    def __bool__(self) -> bool:
        return False


NOTSET: Any = _NotSet()


class Param:
    """A param's default value plus the schema every value of it must satisfy."""

    def __init__(self, default: Any = NOTSET, description: str | None = None, **schema: Any):
        _check_schema(schema)
        self.value = default
        self.description = description
        self.schema = schema

    @property
    def has_value(self) -> bool:
        return self.value is not NOTSET

    def resolve(self, value: Any = NOTSET, name: str = "param") -> Any:
        """``value`` (or the default when not given), checked against the schema."""
        final = self.value if value is NOTSET else value
        if final is NOTSET:
            raise ParamValidationError(
                f"param '{name}' has no default and no value was given; pass it in the "
                "trigger conf, e.g. {" + f'"{name}": ...' + "}, or give the Param a default"
            )
        problem = schema_problem(final, self.schema)
        if problem:
            raise ParamValidationError(
                f"param '{name}': {final!r} {problem}; pass a valid value in the trigger "
                "conf or fix the param's default"
            )
        return final

    def with_value(self, value: Any) -> Param:
        """A copy with another default (a DAG's params are never changed in place)."""
        return Param(value, self.description, **self.schema)

    def dump(self) -> dict[str, Any]:
        value = None if self.value is NOTSET else self.value
        return {"value": value, "description": self.description, "schema": dict(self.schema)}

    def __repr__(self) -> str:
        return f"Param({self.value!r}, description={self.description!r}, schema={self.schema})"


def _check_schema(schema: dict[str, Any]) -> None:
    types = schema.get("type", [])
    for name in [types] if isinstance(types, str) else types:
        if name not in _TYPES:
            raise DagDefinitionError(
                f"Param type {name!r} is not a JSON-schema type; use one of: {', '.join(_TYPES)}",
                location=caller_location(),
            )


def schema_problem(value: Any, schema: Mapping[str, Any]) -> str | None:
    """What is wrong with ``value`` under ``schema``, or None when it is valid."""
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        if not any(_is_type(value, name) for name in names):
            return f"is not of type {' or '.join(names)}"
    if "enum" in schema and value not in schema["enum"]:
        return f"is not one of the allowed values {list(schema['enum'])!r}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _number_problem(value, schema)
    if isinstance(value, str):
        return _string_problem(value, schema)
    return None


def _is_type(value: Any, name: str) -> bool:
    if isinstance(value, bool) and name != "boolean":
        return False  # JSON has no 1 == true; Python's bool is an int subclass
    if name == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES[name])


def _number_problem(value: float, schema: Mapping[str, Any]) -> str | None:
    checks = (
        ("minimum", lambda limit: value >= limit, "less than"),
        ("maximum", lambda limit: value <= limit, "greater than"),
        ("exclusiveMinimum", lambda limit: value > limit, "not greater than"),
        ("exclusiveMaximum", lambda limit: value < limit, "not less than"),
    )
    for key, ok, words in checks:
        if key in schema and not ok(schema[key]):
            return f"is {words} the {key} {schema[key]!r}"
    return None


def _string_problem(value: str, schema: Mapping[str, Any]) -> str | None:
    if "minLength" in schema and len(value) < schema["minLength"]:
        return f"is shorter than minLength {schema['minLength']}"
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return f"is longer than maxLength {schema['maxLength']}"
    if "pattern" in schema and not re.search(schema["pattern"], value):
        return f"does not match the pattern {schema['pattern']!r}"
    return None


class ParamsDict(MutableMapping[str, Any]):
    """Params by name; reading one gives its value, ``get_param`` gives the ``Param``.

    Setting a known param to a plain value keeps its schema (as in Airflow), so a trigger
    conf is validated against the declared types.
    """

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self._params: dict[str, Param] = {}
        if isinstance(data, ParamsDict):
            self._params.update(data._params)
        else:
            for key, value in (data or {}).items():
                self[key] = value

    def __getitem__(self, key: str) -> Any:
        value = self._params[key].value
        return None if value is NOTSET else value

    def __setitem__(self, key: str, value: Any) -> None:
        if isinstance(value, Param):
            self._params[key] = value
        elif key in self._params:
            self._params[key] = self._params[key].with_value(value)
        else:
            self._params[key] = Param(value)

    def __delitem__(self, key: str) -> None:
        del self._params[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def __repr__(self) -> str:
        return f"ParamsDict({self._params!r})"

    def update(self, other: Any = (), /, **kwargs: Any) -> None:
        """Params of another ``ParamsDict`` replace ours whole; plain values keep schemas."""
        if isinstance(other, ParamsDict):
            self._params.update(other._params)
            other = ()
        super().update(other, **kwargs)

    def get_param(self, key: str) -> Param:
        return self._params[key]

    def copy(self) -> ParamsDict:
        return ParamsDict(self)

    def dump(self) -> dict[str, Any]:
        """The defaults as plain values (None where a param has no default)."""
        return {key: self[key] for key in self._params}

    def validate(self, only_with_values: bool = False) -> dict[str, Any]:
        """Every param resolved and checked; the first invalid one raises."""
        return {
            key: param.resolve(name=key)
            for key, param in self._params.items()
            if param.has_value or not only_with_values
        }


def merge_params(params: Mapping[str, Any] | None, conf: Mapping[str, Any] | None) -> dict:
    """The params a run sees: the declared defaults overridden by the trigger ``conf``.

    Keys of ``conf`` that are not declared params are passed through. Raises
    ``ParamValidationError`` naming the first param whose value breaks its schema.
    """
    if conf is not None and not isinstance(conf, Mapping):
        raise ParamValidationError(
            f"the trigger conf must be a JSON object (a dict), not {type(conf).__name__}: "
            f'{conf!r}; pass e.g. {{"key": "value"}}'
        )
    merged = ParamsDict(params)
    for key, value in (conf or {}).items():
        merged[key] = value
    return merged.validate()


class DagParam:
    """A ``@dag`` function's argument inside the function: resolved from the run's params.

    Passing it to a task (``add(n)``) hands the task the run's value of param ``n`` at run
    time; ``resolve_xcom_args`` resolves it like an ``XComArg``.
    """

    def __init__(self, name: str, default: Any = NOTSET) -> None:
        self.name = name
        self.default = default

    def resolve(self, context: Mapping[str, Any]) -> Any:
        params = context.get("params") or {}
        if self.name in params:
            return params[self.name]
        if self.default is not NOTSET:
            return self.default.value if isinstance(self.default, Param) else self.default
        raise ParamValidationError(
            f"param '{self.name}' has no value in this run; pass it in the trigger conf"
        )

    def __repr__(self) -> str:
        return f"DagParam({self.name!r})"
