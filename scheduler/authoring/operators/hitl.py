"""Human in the loop: tasks that wait, deferred, for a person's answer (Airflow 3.1's).

    approve = ApprovalOperator(task_id="approve", subject="Refund {{ params.amount }} EUR?",
                               execution_timeout=timedelta(hours=4), defaults="Reject")

``execute`` stores the question (subject, body, options, defaults, multiple, params), calls
the ``notifiers`` and defers to ``HITLTrigger``: the try frees its worker slot until someone
answers (REST ``PATCH .../hitlDetails``, the web UI's "Required actions", or
``baton hitl respond``). The task then resumes in ``execute_complete`` with the answer,
whose ``{"chosen_options", "params_input", "responded_at", "responded_by_user"}`` becomes
its XCom ``return_value``. Past ``execution_timeout`` the ``defaults`` are taken; without
defaults the task fails with ``HITLTimeoutError``.

- ``ApprovalOperator``: options "Approve" / "Reject"; "Reject" skips the direct downstream
  tasks (all downstream with ``ignore_downstream_trigger_rules=True``; teardowns never),
  or fails the task with ``fail_on_reject=True``.
- ``HITLBranchOperator``: follows the chosen option(s) as task ids (through
  ``options_mapping``), like a branch.
- ``HITLEntryOperator``: a form (``params``) with one "OK" option; returns the input.

This module stays light (DAG files import it): the question is stored and the trigger
built by ``scheduler.api.hitl`` and ``scheduler.api.hitl_trigger``, imported when the task
runs (Airflow's operators go through the Task SDK's API client there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from scheduler.authoring.baseoperator import BaseOperator
from scheduler.authoring.operators.branch import BranchMixIn
from scheduler.authoring.params import ParamsDict
from scheduler.authoring.skipmixin import SkipMixin, all_downstream, direct_downstream
from scheduler.errors import (
    DagDefinitionError,
    HITLRejectException,
    HITLTimeoutError,
    HITLTriggerEventError,
)
from scheduler.settings import Settings

#: How often the trigger looks for an answer given before the task deferred (seconds);
#: an answer through the API, the UI or the CLI resumes the task without waiting for it.
POKE_INTERVAL = 5.0


class HITLOperator(BaseOperator):
    """Ask a person to choose among ``options`` (and fill in ``params``); see the module."""

    template_fields: Sequence[str] = ("subject", "body")

    def __init__(
        self,
        *,
        subject: str,
        options: list[str],
        body: str | None = None,
        defaults: str | list[str] | None = None,
        multiple: bool = False,
        params: ParamsDict | Mapping[str, Any] | None = None,
        notifiers: Sequence[Any] | Any | None = None,
        assigned_users: Mapping[str, str] | list[Mapping[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(params=params, **kwargs)
        where = f"task '{self.task_id}' ({type(self).__name__})"
        self.subject = subject
        self.body = body
        self.options = list(options or [])
        self.defaults = [defaults] if isinstance(defaults, str) else defaults
        self.multiple = bool(multiple)
        self.notifiers = _as_notifiers(notifiers, where, self.location)
        self.assigned_users = _as_users(assigned_users, where, self.location)
        self._check_question(where)

    def _check_question(self, where: str) -> None:
        if not self.options or not all(isinstance(o, str) for o in self.options):
            raise DagDefinitionError(
                f"{where}: options must be a non-empty list of strings, not {self.options!r}",
                self.location,
            )
        if "_options" in self._own_params:
            raise DagDefinitionError(f"{where}: '_options' is not allowed in params", self.location)
        if self.defaults is not None:
            if not set(self.defaults) <= set(self.options):
                raise DagDefinitionError(
                    f"{where}: defaults {self.defaults} should be a subset of options "
                    f"{self.options}",
                    self.location,
                )
            if not self.multiple and len(self.defaults) > 1:
                raise DagDefinitionError(
                    f"{where}: more than one default given ({self.defaults}) while "
                    "multiple=False; give one, or pass multiple=True",
                    self.location,
                )

    @property
    def serialized_params(self) -> dict[str, dict[str, Any]]:
        """The question's params (the task's own, not the DAG's) as JSON: value, schema."""
        own = ParamsDict({k: self.params.get_param(k) for k in self._own_params})
        return own.spec()

    def execute(self, context: Mapping[str, Any]) -> None:
        # Imported here, when the task runs: they load the Store, which DAG files must not.
        from scheduler.api import hitl as backend
        from scheduler.api.hitl_trigger import HITLTrigger

        ti = context["ti"]
        settings = backend.worker_settings(getattr(ti, "database_url", None))
        key = backend.HitlKey(ti.dag_id, ti.run_id, ti.task_id, ti.map_index)
        request = {
            "subject": str(self.subject),
            "body": None if self.body is None else str(self.body),
            "options": self.options,
            "defaults": self.defaults,
            "multiple": self.multiple,
            "params": self.serialized_params,
            "assigned_users": self.assigned_users,
        }
        backend.ask(settings, key, request, try_number=ti.try_number)
        timeout_at = None
        if self.execution_timeout:
            timeout_at = datetime.now(UTC) + self.execution_timeout
        self.log.info("Waiting for response: %s", self.subject)
        for notifier in self.notifiers:
            notifier(dict(context))
        self.defer(
            trigger=HITLTrigger(
                dag_id=ti.dag_id,
                run_id=ti.run_id,
                task_id=ti.task_id,
                map_index=ti.map_index,
                options=self.options,
                params=self.serialized_params,
                defaults=self.defaults,
                multiple=self.multiple,
                timeout_datetime=timeout_at,
                poke_interval=POKE_INTERVAL,
            ),
            method_name="execute_complete",
        )

    def execute_complete(self, context: Mapping[str, Any], event: dict[str, Any]) -> Any:
        """The answer arrived: checked again, it is the task's return value."""
        if "error" in event:
            if event.get("error_type") == "timeout":
                raise HITLTimeoutError(
                    f"task '{self.task_id}': {event['error']} (execution_timeout "
                    f"{self.execution_timeout}, no defaults to take instead)"
                )
            raise HITLTriggerEventError(f"task '{self.task_id}': {event['error']}")
        chosen = list(event["chosen_options"])
        params_input = dict(event.get("params_input") or {})
        if unknown := set(chosen) - set(self.options):
            raise HITLTriggerEventError(f"responses {sorted(unknown)} not in {self.options}")
        for name, value in params_input.items():
            self.params[name] = value
        self.log.info(
            "Answered by %s: %s",
            (event.get("responded_by_user") or {}).get("name") or "timeout (defaults)",
            chosen,
        )
        return {
            "chosen_options": chosen,
            "params_input": params_input,
            "responded_at": event.get("responded_at"),
            "responded_by_user": event.get("responded_by_user"),
        }

    def generate_link_to_ui(
        self,
        *,
        task_instance: Any,
        base_url: str | None = None,
        options: str | list[str] | None = None,
        params_input: dict[str, Any] | None = None,
    ) -> str:
        """The URL of this task instance's "Required action" form, pre-filled with
        ``options`` and ``params_input`` (Airflow's; ``BATON_WEBUI_BASE_URL`` by default)."""
        query: dict[str, Any] = {}
        options = [options] if isinstance(options, str) else options
        if options:
            if unknown := set(options) - set(self.options):
                raise ValueError(f"options {sorted(unknown)} are not valid options")
            query["_options"] = options
        if params_input:
            if unknown := set(params_input) - set(self._own_params):
                raise ValueError(f"params {sorted(unknown)} are not valid params")
            query.update(params_input)
        if not base_url:
            base_url = Settings.from_env().webui_url
        query["map_index"] = task_instance.map_index
        path = "/".join(
            quote(str(part), safe="")
            for part in ("dags", task_instance.dag_id, "runs", task_instance.run_id, "tasks",
                         task_instance.task_id, "required_actions")
        )  # fmt: skip
        return f"{base_url.rstrip('/')}/{path}?{urlencode(query, doseq=True)}"

    @staticmethod
    def generate_link_to_ui_from_context(
        *,
        context: Mapping[str, Any],
        base_url: str | None = None,
        options: list[str] | None = None,
        params_input: dict[str, Any] | None = None,
    ) -> str:
        task = context["task"]
        if not isinstance(task, HITLOperator):
            raise ValueError("This method only supports HITLOperator")
        return task.generate_link_to_ui(
            task_instance=context["ti"],
            base_url=base_url,
            options=options,
            params_input=params_input,
        )


class ApprovalOperator(HITLOperator, SkipMixin):
    """ "Approve" or "Reject"; a rejection skips downstream tasks (or fails the task with
    ``fail_on_reject=True``), as Airflow's does."""

    inherits_from_skipmixin = True
    FIXED_ARGS = ("options", "multiple")
    APPROVE = "Approve"
    REJECT = "Reject"

    def __init__(
        self,
        *,
        ignore_downstream_trigger_rules: bool = False,
        fail_on_reject: bool = False,
        **kwargs: Any,
    ) -> None:
        for name in self.FIXED_ARGS:
            if name in kwargs:
                raise DagDefinitionError(
                    f"task '{kwargs.get('task_id')}': passing {name} to ApprovalOperator is not "
                    "allowed (its options are Approve and Reject); use HITLOperator instead"
                )
        self.ignore_downstream_trigger_rules = bool(ignore_downstream_trigger_rules)
        self.fail_on_reject = bool(fail_on_reject)
        super().__init__(options=[self.APPROVE, self.REJECT], multiple=False, **kwargs)

    def execute_complete(self, context: Mapping[str, Any], event: dict[str, Any]) -> Any:
        answer = super().execute_complete(context, event)
        if answer["chosen_options"][0] == self.APPROVE:
            self.log.info("Approved. Proceeding with downstream tasks...")
            return answer
        if self.fail_on_reject:
            raise HITLRejectException(f"task '{self.task_id}' received \"Reject\"")
        relatives = all_downstream(self) if self.ignore_downstream_trigger_rules else (
            direct_downstream(self)
        )  # fmt: skip
        to_skip = [t for t in relatives if not self.dag.task_dict[t].is_teardown]
        if not to_skip:
            self.log.info("Rejected; no downstream tasks to skip")
            return answer
        self.log.info("Rejected. Skipping downstream tasks %s", to_skip)
        _push_return_value(self, context, answer)  # a skip ends the try with an exception
        self.skip(ti=context["ti"], tasks=to_skip)
        return answer


class HITLBranchOperator(HITLOperator, BranchMixIn):
    """Follow the chosen option(s) as task ids (or through ``options_mapping``)."""

    inherits_from_skipmixin = True

    def __init__(self, *, options_mapping: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.options_mapping = dict(options_mapping or {})
        where = f"task '{self.task_id}' (HITLBranchOperator)"
        if unknown := sorted(set(self.options_mapping) - set(self.options)):
            raise DagDefinitionError(
                f"{where}: options_mapping has keys that are not in options: {unknown}",
                self.location,
            )
        if bad := {k: v for k, v in self.options_mapping.items() if not isinstance(v, str)}:
            raise DagDefinitionError(
                f"{where}: options_mapping values must be strings (task ids), not {bad}",
                self.location,
            )

    def execute_complete(self, context: Mapping[str, Any], event: dict[str, Any]) -> Any:
        """Follow the chosen branches; like any branch, the return value is the task ids
        followed (Airflow's); the answer itself is in the task's ``hitl_detail``."""
        answer = super().execute_complete(context, event)
        branches = [self.options_mapping.get(o, o) for o in answer["chosen_options"]]
        return self.do_branch(dict(context), branches)


class HITLEntryOperator(HITLOperator):
    """A form to fill in (``params``): one "OK" option, taken by default."""

    OK = "OK"

    def __init__(self, **kwargs: Any) -> None:
        if "options" not in kwargs:
            kwargs["options"] = [self.OK]
            kwargs.setdefault("defaults", [self.OK])
        super().__init__(**kwargs)


def _push_return_value(task: BaseOperator, context: Mapping[str, Any], answer: Any) -> None:
    if getattr(task, "do_xcom_push", True):
        context["ti"].xcom_push(key="return_value", value=answer)


def _as_notifiers(value: Any, where: str, location: str | None) -> list[Any]:
    notifiers = [] if value is None else list(value) if isinstance(value, list | tuple) else [value]
    for notifier in notifiers:
        if not callable(notifier):
            raise DagDefinitionError(
                f"{where}: notifiers must be notifiers (BaseNotifier instances) or callables "
                f"taking the context, not {notifier!r}",
                location,
            )
    return notifiers


def _as_users(value: Any, where: str, location: str | None) -> list[dict[str, str]]:
    users = [] if value is None else [value] if isinstance(value, Mapping) else list(value)
    for user in users:
        if not isinstance(user, Mapping) or not ({"id", "name"} & set(user)):
            raise DagDefinitionError(
                f"{where}: assigned_users takes {{'id': ..., 'name': ...}} dicts (a Baton "
                f"user's id or username), not {user!r}",
                location,
            )
    return [{k: str(v) for k, v in u.items() if k in ("id", "name")} for u in users]
