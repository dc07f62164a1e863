"""DAG and task params (Airflow's ``Param`` / ``ParamsDict``), validated with JSON Schema.

``params={"n": 3, "name": Param("x", type="string", minLength=1)}``: a plain value is a param
without a schema; a ``Param`` carries a default, a ``description`` and a JSON Schema made of
its other keyword arguments (or ``schema={...}``), checked with the ``jsonschema`` package as
Airflow does (see ``param_schema``). Keys JSON Schema does not know (``title``,
``values_display``, ``section``...) are kept for the trigger form. A run's trigger conf
overrides the defaults: ``merge_params(params, conf)``; the result is plain values.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

from scheduler.authoring.location import caller_location
from scheduler.authoring.param_schema import schema_problem, value_problem
from scheduler.errors import DagDefinitionError, ParamValidationError


class _NotSet:
    """The default of a ``Param`` that has none: the trigger conf must provide a value."""

    def __repr__(self) -> str:
        return "NOTSET"

    def __bool__(self) -> bool:
        return False


NOTSET: Any = _NotSet()


class Param:
    """A param's default value plus the JSON Schema every value of it must satisfy.

    As in Airflow, the schema is the keyword arguments other than ``default`` and
    ``description``, or the ``schema=`` dict when given. A default of None or none at all
    means the param has no value: a trigger must give one, unless the schema accepts null.
    """

    def __init__(self, default: Any = NOTSET, description: str | None = None, **kwargs: Any):
        self.location = caller_location()
        schema = kwargs.pop("schema") if "schema" in kwargs else kwargs
        if schema is not kwargs and kwargs:
            # Airflow silently drops the keywords then; a rule that looks set but is not
            # checked is worse than an error.
            raise DagDefinitionError(
                f"Param got schema={{...}} and also {', '.join(sorted(kwargs))}; put every "
                "keyword inside the schema dict",
                location=self.location,
            )
        if not isinstance(schema, Mapping):
            raise DagDefinitionError(
                f"Param(schema=...) must be a dict (a JSON Schema), not {schema!r}",
                location=self.location,
            )
        self.value = default
        self.description = description
        self.schema = dict(schema)
        self._check_definition()

    def _check_definition(self) -> None:
        problem = schema_problem(self.schema)
        if problem:
            raise DagDefinitionError(
                f"Param schema is not valid JSON Schema: {problem}", location=self.location
            )
        if self.value is not NOTSET and not _is_json(self.value):
            raise DagDefinitionError(
                f"the default of a Param must be JSON-serialisable, not {self.value!r}; use "
                "strings, numbers, booleans, None, lists and dicts",
                location=self.location,
            )

    @property
    def has_value(self) -> bool:
        """Whether the param has a default (Airflow: None counts as no default)."""
        return self.value is not NOTSET and self.value is not None

    def resolve(
        self, value: Any = NOTSET, suppress_exception: bool = False, name: str = "param"
    ) -> Any:
        """``value`` (or the default when not given), checked against the schema.

        With ``suppress_exception`` (Airflow's) an invalid or missing value gives None.
        """
        if suppress_exception:
            try:
                return self.resolve(value, name=name)
            except ParamValidationError:
                return None
        final = self.value if value is NOTSET else value
        if final is NOTSET:
            raise ParamValidationError(
                f"{name}: no value was given and the param has no default; pass it in the "
                "conf, e.g. {" + f'"{name}": ...' + "}",
                field=name,
            )
        problem = value_problem(final, self.schema)
        if problem:
            field = _field(name, problem.path)
            raise ParamValidationError(f"{field}: {problem.message}", field=field)
        return final

    def with_value(self, value: Any) -> Param:
        """A copy with another default (a DAG's params are never changed in place)."""
        copy = Param.__new__(Param)
        # The new value was written elsewhere (a task's params, a conf): errors about it
        # point at that place, not at the original Param(...) line.
        copy.location, copy.value = None, value
        copy.description, copy.schema = self.description, self.schema
        return copy

    def dump(self) -> dict[str, Any]:
        """JSON form: ``value`` (None when there is no default), ``description``, ``schema``."""
        value = None if self.value is NOTSET else self.value
        return {"value": value, "description": self.description, "schema": dict(self.schema)}

    def __repr__(self) -> str:
        return f"Param({self.value!r}, description={self.description!r}, schema={self.schema})"


def _field(name: str, path: tuple[str | int, ...]) -> str:
    """``cfg.hosts[0]``: the param and the keys or indexes to the wrong part of its value."""
    return name + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


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

    def spec(self) -> dict[str, dict[str, Any]]:
        """JSON form for the DagSpec: each param's ``Param.dump()`` and ``has_default``.

        Enough to check a trigger's conf where the DAG file is never imported (the CLI, the
        REST API, the web UI) with exactly the checks a task sees.
        """
        return {
            key: {**param.dump(), "has_default": param.value is not NOTSET}
            for key, param in self._params.items()
        }

    @classmethod
    def from_spec(cls, spec: Mapping[str, Mapping[str, Any]]) -> ParamsDict:
        """The params ``spec()`` described."""
        params = cls()
        for key, data in spec.items():
            default = data.get("value") if data.get("has_default", True) else NOTSET
            param = Param(default, data.get("description"), schema=data.get("schema") or {})
            params._params[key] = param
        return params

    def validate(self, only_with_values: bool = False) -> dict[str, Any]:
        """Every param resolved and checked; the first invalid one raises."""
        return {
            key: param.resolve(name=key)
            for key, param in self._params.items()
            if param.has_value or not only_with_values
        }


def check_defaults(
    params: ParamsDict, where: str, location: str | None, *, scheduled: bool = False
) -> None:
    """Check ``params`` where they are declared: each default must satisfy its schema.

    With a schedule every param needs a valid value (Airflow's rule): a scheduled run has
    no conf to fill in a missing one. Raises ``DagDefinitionError`` at the ``Param(...)``
    line when known, else at ``location`` (the DAG or task).
    """
    for name in params:
        param = params.get_param(name)
        if not param.has_value and not scheduled:
            continue  # no default: the trigger must give a value (checked then)
        try:
            param.resolve(name=name)
        except ParamValidationError as exc:
            if param.value is NOTSET:
                message = (
                    f"param '{name}' has no default, but the DAG has a schedule and its "
                    "scheduled runs have no conf to give it a value; add a default or use "
                    "schedule=None"
                )
            else:
                message = f"invalid default for param {exc}; fix the default or the schema"
            raise DagDefinitionError(f"{where}: {message}", param.location or location) from None


def merge_params(
    params: Mapping[str, Any] | None, conf: Mapping[str, Any] | None
) -> dict[str, Any]:
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
