"""``TriggerDagRunOperator``: start a run of another DAG, optionally wait for it (Airflow's).

    TriggerDagRunOperator(
        task_id="start_report",
        trigger_dag_id="report",
        conf={"day": "{{ ds }}"},
        wait_for_completion=True,
        poke_interval=10,
    )

The triggered run is a ``manual`` run whose ``triggered_by`` names this task; its run id is
``manual__<logical date>`` unless ``trigger_run_id`` is given, and it starts at once (the
scheduler is woken up). The task pushes the XComs ``trigger_dag_id`` and ``trigger_run_id``;
the web UI's "Triggered DAG" link on the task instance page reads them.

As in Airflow 3: a run with that run id that already exists fails the task without retrying
(``skip_when_already_exists=True`` skips it instead; ``reset_dag_run=True`` clears that run
so it runs again). With ``wait_for_completion`` the task polls the run every
``poke_interval`` seconds and ends failed, without retrying, when the run reaches one of
``failed_states``. Waiting holds the worker slot; ``deferrable=True`` is refused.

This module stays light (DAG files import it): the database work happens in
``scheduler.api.cross_dag``, imported when the task runs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from scheduler.authoring.baseoperator import BaseOperator
from scheduler.authoring.checks import to_timedelta
from scheduler.authoring.xcom_arg import XComArg
from scheduler.errors import BatonFailException, BatonSkipException, DagDefinitionError
from scheduler.settings import default_timezone
from scheduler.spec import CrossDagRef
from scheduler.states import RunState

XCOM_DAG_ID = "trigger_dag_id"
XCOM_RUN_ID = "trigger_run_id"
#: Baton's sagas: a run that Airflow would end ``failed`` ends compensated or
#: compensation_failed when it undid its work; by default those count as failed too.
DEFAULT_FAILED_STATES = (
    RunState.FAILED.value,
    RunState.COMPENSATED.value,
    RunState.COMPENSATION_FAILED.value,
)


class _NotSet:
    """``logical_date`` not given: the trigger time (Airflow's ``NOTSET``)."""

    def __repr__(self) -> str:
        return "NOTSET"


NOTSET: Any = _NotSet()


class TriggerDagRunOperator(BaseOperator):
    """Trigger a run of ``trigger_dag_id``; see the module docstring."""

    template_fields = (
        "trigger_dag_id",
        "trigger_run_id",
        "logical_date",
        "conf",
        "wait_for_completion",
        "skip_when_already_exists",
    )
    ui_color = "#ffefeb"

    def __init__(
        self,
        *,
        trigger_dag_id: str,
        trigger_run_id: str | None = None,
        conf: dict[str, Any] | None = None,
        logical_date: str | datetime | None = NOTSET,
        reset_dag_run: bool = False,
        wait_for_completion: bool = False,
        poke_interval: float | timedelta = 60,
        allowed_states: Iterable[str] | None = None,
        failed_states: Iterable[str] | None = None,
        skip_when_already_exists: bool = False,
        fail_when_dag_is_paused: bool = False,
        deferrable: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        where = f"task '{self.task_id}'"
        if not isinstance(trigger_dag_id, str | XComArg) or not trigger_dag_id:
            raise DagDefinitionError(
                f"{where}: trigger_dag_id must be the dag_id (a string) of the DAG to "
                f"trigger, got {trigger_dag_id!r}",
                location=self.location,
            )
        refuse_deferrable(deferrable, where, self.location)
        if not isinstance(logical_date, str | datetime | XComArg | _NotSet) and (
            logical_date is not None
        ):
            raise DagDefinitionError(
                f"{where}: logical_date must be a datetime, an ISO 8601 string (may be a "
                f"template) or None, got {type(logical_date).__name__}",
                location=self.location,
            )
        if conf is not None and not isinstance(conf, Mapping | XComArg):
            raise DagDefinitionError(
                f"{where}: conf must be a dict (JSON object) for the triggered run, got "
                f"{type(conf).__name__}",
                location=self.location,
            )
        self.trigger_dag_id = trigger_dag_id
        self.trigger_run_id = trigger_run_id
        self.conf = conf
        self.logical_date = logical_date
        self.reset_dag_run = bool(reset_dag_run)
        self.wait_for_completion = wait_for_completion
        delta = to_timedelta("poke_interval", poke_interval, where, self.location)
        self.poke_interval = delta.total_seconds() if delta is not None else 60.0
        # Airflow: an empty allowed_states means the default; an empty failed_states is kept.
        self.allowed_states = run_states(
            "allowed_states", allowed_states or [RunState.SUCCESS.value], where, self.location
        )
        self.failed_states = run_states(
            "failed_states",
            DEFAULT_FAILED_STATES if failed_states is None else failed_states,
            where,
            self.location,
        )
        self.skip_when_already_exists = skip_when_already_exists
        self.fail_when_dag_is_paused = bool(fail_when_dag_is_paused)

    def cross_dag_ref(self) -> CrossDagRef:
        # A dag_id from an XCom is known only when the task runs: no edge to draw ("").
        dag_id = self.trigger_dag_id if isinstance(self.trigger_dag_id, str) else ""
        return CrossDagRef(kind="trigger", dag_id=dag_id)

    def execute(self, context: Mapping[str, Any]) -> None:
        # Late, so DAG files stay light; a listed exception to the layers (pyproject.toml).
        from scheduler.api import cross_dag as backend

        ti = context["ti"]
        logical_date = _parse_logical_date(self.logical_date)
        conf = _checked_conf(self.conf)
        ti.xcom_push(XCOM_DAG_ID, self.trigger_dag_id)
        settings = backend.worker_settings(getattr(ti, "database_url", None))
        outcome = backend.trigger_for_task(
            settings,
            self.trigger_dag_id,
            run_id=str(self.trigger_run_id) if self.trigger_run_id else None,
            conf=conf,
            logical_date=logical_date,
            reset_dag_run=self.reset_dag_run,
            fail_when_dag_is_paused=self.fail_when_dag_is_paused,
            triggered_by=f"operator:{ti.dag_id}.{ti.task_id}"[:250],  # the column's size
        )
        if outcome.already_existed and not self.reset_dag_run:
            message = (
                f"DAG '{self.trigger_dag_id}' already has a run '{outcome.run_id}'; pass "
                "another trigger_run_id, reset_dag_run=True to run it again, or "
                "skip_when_already_exists=True to skip"
            )
            if self.skip_when_already_exists:
                raise BatonSkipException(f"{message} (skip_when_already_exists=True: skipping)")
            raise BatonFailException(message)  # Airflow 3 fails this without retrying
        verb = "Cleared" if outcome.already_existed else "Triggered"
        self.log.info("%s run %s of DAG %s", verb, outcome.run_id, self.trigger_dag_id)
        ti.xcom_push(XCOM_RUN_ID, outcome.run_id)
        if self.wait_for_completion:
            self._wait(backend, settings, outcome.run_id)

    def _wait(self, backend: Any, settings: Any, run_id: str) -> None:
        while True:
            self.log.info(
                "Waiting for run %s of DAG %s to reach %s ...",
                run_id,
                self.trigger_dag_id,
                ", ".join(self.allowed_states),
            )
            time.sleep(self.poke_interval)
            state = backend.run_state(settings, self.trigger_dag_id, run_id)
            if state in self.failed_states:
                raise BatonFailException(
                    f"run {run_id} of DAG '{self.trigger_dag_id}' ended {state}, one of "
                    f"failed_states ({', '.join(self.failed_states)})"
                )
            if state in self.allowed_states:
                self.log.info("Run %s of DAG %s ended %s", run_id, self.trigger_dag_id, state)
                return


def refuse_deferrable(deferrable: Any, where: str, location: str | None) -> None:
    """Baton's sensors and waiting operators hold their worker slot: say so, do not pretend."""
    if deferrable:
        raise DagDefinitionError(
            f"{where}: deferrable=True is not supported yet (Baton has no triggerer: a "
            "waiting task holds its worker slot); remove deferrable=True",
            location=location,
        )


def run_states(name: str, states: Iterable[Any], where: str, location: str | None) -> list[str]:
    """``states`` as run-state names, each checked against Baton's (Airflow's) run states."""
    if isinstance(states, str):
        states = [states]
    names = [str(getattr(s, "value", s)) for s in states]
    valid = {s.value for s in RunState}
    wrong = [s for s in names if s not in valid]
    if wrong:
        raise DagDefinitionError(
            f"{where}: {name} has {', '.join(map(repr, wrong))}, not a DAG run state; "
            f"use some of {', '.join(sorted(valid))}",
            location=location,
        )
    return names


def _parse_logical_date(value: Any) -> datetime:
    """The rendered ``logical_date``: not set (or None) is now; naive values are UTC."""
    if value is NOTSET or value is None:
        # Airflow 3 can trigger a run without a logical date (None); Baton's runs always
        # have one, so None means the trigger time as well.
        return datetime.now(UTC)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                f"logical_date {value!r} is not an ISO 8601 date/time; give e.g. "
                "'2026-01-31T06:00:00+00:00' or '{{ logical_date }}'"
            ) from None
    if not isinstance(value, datetime):
        raise TypeError(f"logical_date must be a datetime or a string, not {type(value)}")
    return value if value.tzinfo is not None else value.replace(tzinfo=default_timezone())


def _checked_conf(conf: Any) -> dict[str, Any]:
    if conf is None:
        return {}
    if not isinstance(conf, Mapping):
        raise TypeError(f"conf must be a dict (JSON object), not {type(conf).__name__}")
    try:
        json.dumps(conf)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"conf must be JSON-serialisable: {exc}") from None
    return dict(conf)
