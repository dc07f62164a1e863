"""The answer to a synchronous trigger (``?wait=true``): the run with its leaf tasks'
return values once it finished (200), or the run as it stands if it did not in time (202,
it goes on; poll ``GET .../dagRuns/<run_id>``)."""

from __future__ import annotations

from typing import Any

from scheduler.api.sync_runs import RunOutcome
from scheduler.masking import redact_value
from webui.rest import serialize

DEFAULT_WAIT_S = 30.0


def waited_reply(
    outcome: RunOutcome, timeout: float
) -> dict[str, Any] | tuple[dict[str, Any], int]:
    body = serialize.dag_run(outcome.run)
    if not outcome.finished:
        body["message"] = (
            f"the run did not finish within {timeout:g} s; it goes on: poll "
            f"GET /api/v1/dags/{outcome.run.dag_id}/dagRuns/{outcome.run.run_id}"
        )
        return body, 202
    body["leaf_task_ids"] = outcome.leaf_task_ids
    body["return_value"] = redact_value(outcome.return_value)
    return body
