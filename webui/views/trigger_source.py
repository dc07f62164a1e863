"""Who or what started a run, in words, from the run's ``run_type`` and ``triggered_by``.

``triggered_by`` holds the event source of whoever created the run: ``webui:<user>`` (the
web UI, or the REST API with that user's token: both act as the user), ``cli:<user>``
(``baton dags trigger``), ``operator:<dag>.<task>`` (a TriggerDagRunOperator), or nothing for
the scheduler's own runs. Run types follow Airflow: ``scheduled``, ``manual``, ``backfill``,
``asset_triggered``; Baton adds ``test`` (``baton dags test``).
"""

from __future__ import annotations

from dataclasses import dataclass

_RUN_TYPES = {
    "scheduled": "the DAG's schedule",
    "backfill": "a backfill",
    "asset_triggered": "an asset event",
    "dataset_triggered": "an asset event",
    "test": "baton dags test (run in-process)",
}


@dataclass(frozen=True)
class TriggerInfo:
    """How the page names the origin of a run: ``text`` in words, plus the raw fields."""

    text: str
    user: str | None
    run_type: str
    triggered_by: str | None


def describe_trigger(run_type: str, triggered_by: str | None) -> TriggerInfo:
    kind, _, who = (triggered_by or "").partition(":")
    name = who.split("@", 1)[0] if kind == "cli" else who  # cli:<user>@<pid>@<host>
    user = name if kind in ("webui", "cli") and name and name != "anonymous" else None
    if run_type == "backfill" and user:
        text = f"a backfill started by '{user}'"
    elif run_type in _RUN_TYPES:
        text = _RUN_TYPES[run_type]
    elif kind == "webui":
        text = f"user '{who}' (web UI or REST API)"
    elif kind == "cli":
        text = f"'{name}' with the baton CLI"
    elif kind == "operator":
        dag_id, _, task_id = who.rpartition(".")
        text = f"task '{task_id}' of DAG '{dag_id}' (TriggerDagRunOperator)"
    else:
        text = f"a {run_type} run" + (f" by {triggered_by}" if triggered_by else "")
    return TriggerInfo(text, user, run_type, triggered_by)
