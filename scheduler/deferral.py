"""What a try hands back when it gives its worker slot up: a deferral or a reschedule.

A task that calls ``self.defer(...)`` ends its try as ``deferred`` with a ``Deferral``: the
trigger to run in the triggerer (its classpath and kwargs, from ``serialize()``), the method
to call when the trigger fires and when the wait times out. A sensor in
``mode="reschedule"`` ends a poke as ``up_for_reschedule`` with a ``Reschedule``: when to
poke again and when the first poke was (its ``timeout`` counts from there, as Airflow's).
Both travel in ``TaskFinished.deferral``; plain data, so they cross the Celery broker too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: ``next_method`` that makes the resumed try fail with TaskDeferralTimeout (Airflow's).
FAIL_METHOD = "__fail__"


@dataclass(frozen=True)
class Deferral:
    classpath: str  # the trigger class, ``module.Class``
    trigger_kwargs: dict[str, Any]  # JSON-safe (triggers/serde.py), the class's arguments
    method_name: str  # called on a fresh operator with ``event=`` when the trigger fires
    method_kwargs: dict[str, Any] = field(default_factory=dict)
    timeout_at: datetime | None = None  # past it the task fails with TaskDeferralTimeout


@dataclass(frozen=True)
class Reschedule:
    reschedule_at: datetime  # when the sensor pokes again
    first_poke_at: datetime  # the start of its first poke: its timeout counts from there


@dataclass(frozen=True)
class Resume:
    """How the next try of a task instance starts: Airflow's ``next_method`` and
    ``next_kwargs`` (a deferred task's), or the first poke of a rescheduled sensor."""

    next_method: str | None = None
    next_kwargs: dict[str, Any] | None = None
    first_poke_at: datetime | None = None


def to_json(value: Deferral | Reschedule | Resume | None) -> dict[str, Any] | None:
    """``value`` as JSON for the Celery broker (tagged with its kind)."""
    from scheduler.triggers import serde

    if value is None:
        return None
    kind = type(value).__name__
    return {"kind": kind, **serde.encode(value.__dict__, f"a {kind}")}


def outcome_from_json(body: dict[str, Any] | None) -> Deferral | Reschedule | None:
    """A finished try's ``deferral`` from ``to_json``: a Deferral or a Reschedule."""
    value = _from_json(body)
    if isinstance(value, Resume):
        raise _unexpected(value, "a finished try's deferral (a Deferral or a Reschedule)")
    return value


def resume_from_json(body: dict[str, Any] | None) -> Resume | None:
    """A task request's ``resume`` from ``to_json``."""
    value = _from_json(body)
    if value is not None and not isinstance(value, Resume):
        raise _unexpected(value, "a task request's resume (a Resume)")
    return value


def _unexpected(value: object, wanted: str) -> ValueError:
    return ValueError(
        f"a message holds a {type(value).__name__} where {wanted} belongs; do the scheduler "
        "and the Celery workers run the same version of Baton?"
    )


def _from_json(body: dict[str, Any] | None) -> Deferral | Reschedule | Resume | None:
    """The inverse of ``to_json``."""
    from scheduler.triggers import serde

    if not body:
        return None
    kinds = {"Deferral": Deferral, "Reschedule": Reschedule, "Resume": Resume}
    values = {k: v for k, v in body.items() if k != "kind"}
    if body["kind"] == "Deferral":  # its kwargs are stored as JSON: keep them encoded
        times = {"timeout_at": serde.decode(values.pop("timeout_at"))}
        return Deferral(**values, **times)
    return kinds[body["kind"]](**serde.decode(values))
