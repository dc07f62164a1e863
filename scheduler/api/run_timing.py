"""A run's timing: its deadlines, its predicted finish and critical path (while it runs),
and its tries that ran longer than usual. The REST API (``baton_*`` fields of a run and a
task instance), the run page, the grid and the graph show these."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from scheduler.api.databases import read_database
from scheduler.clock import utcnow
from scheduler.planner.forecast import Forecast, forecast, progress_of, typical
from scheduler.settings import Settings
from scheduler.spec import DagSpec
from scheduler.states import RunState
from scheduler.store import dag_versions
from scheduler.store import dags as dag_store
from scheduler.store import runs as run_store
from scheduler.store.db import transaction
from scheduler.store.deadlines import run_deadlines
from scheduler.store.sqlmodel_boundary import stored_id
from scheduler.store.task_history import long_tries, recent_durations, task_progress_rows

FORECAST_STATES = (RunState.QUEUED, RunState.RUNNING)


@dataclass(frozen=True)
class RunTiming:
    deadlines: list[dict[str, Any]]
    forecast: Forecast | None  # None: the run is not running, or nothing is left
    # (task_id, map_index, try_number) -> the long_try row of each try longer than usual
    long_tries: dict[tuple[str, int, int], dict[str, Any]] = field(default_factory=dict)

    def api_fields(self) -> dict[str, Any]:
        """The Baton-specific fields of the REST API's run payload."""
        ahead = self.forecast
        return {
            "baton_predicted_finish": ahead.finish.isoformat() if ahead else None,
            "baton_predicted_remaining_s": round(ahead.remaining_s, 3) if ahead else None,
            "baton_critical_path": list(ahead.critical_path) if ahead else [],
            "baton_unpredicted_tasks": list(ahead.unknown) if ahead else [],
            "baton_deadlines": [
                {
                    "name": d["name"],
                    "reference": d["reference"],
                    "deadline_time": d["deadline_time"].isoformat(),
                    "state": d["state"],
                    "callback_state": d["callback_state"],
                }
                for d in self.deadlines
            ],
        }

    def long_try(self, task_id: str, map_index: int, try_number: int) -> dict[str, Any] | None:
        return self.long_tries.get((task_id, map_index, try_number))


def run_timing(settings: Settings, dag_id: str, run_id: str) -> RunTiming:
    with transaction(read_database(settings)) as session:
        return timing_in(session, dag_id, run_id, utcnow())


def timing_in(session: Session, dag_id: str, run_id: str, now: datetime) -> RunTiming:
    run = run_store.get_run(session, dag_id, run_id)
    flagged = {
        (task_id, map_index, try_number): row
        for (_, _, task_id, map_index, try_number), row in long_tries(
            session, dag_id, run_id
        ).items()
    }
    ahead = None
    if run.state in FORECAST_STATES:
        spec = _spec_of_run(session, dag_id, run.dag_version_id)
        progress = progress_of(task_progress_rows(session, stored_id(run)), now)
        open_tasks = [t for t, p in progress.items() if not p.done]
        history = recent_durations(session, dag_id, open_tasks)
        p50 = {task_id: typical(history.get(task_id, [])) for task_id in open_tasks}
        ahead = forecast(spec, progress, p50, now)
    return RunTiming(run_deadlines(session, dag_id, run_id), ahead, flagged)


def _spec_of_run(session: Session, dag_id: str, version_id: int | None) -> DagSpec:
    """The spec the run was created with (its DAG version), else the DAG's current one."""
    if version_id is not None:
        pinned = dag_versions.pinned_specs(session, [version_id]).get(version_id)
        if pinned is not None:
            return pinned
    return DagSpec.from_dict(dag_store.get_dag(session, dag_id).spec)
