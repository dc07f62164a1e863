"""What travels through the Celery broker, as JSON: a try's request and its events.

JSON, not pickle: a broker is shared infrastructure, and a worker that unpickled whatever
arrived would run any code someone could publish. Paths are sent relative to the
scheduler's DAG and log folders as well, so a worker on another machine resolves them
against its own ``BATON_DAGS_FOLDER`` and ``BATON_HOME`` (they share no disk).
"""

from __future__ import annotations

import os
from dataclasses import asdict, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from scheduler import deferral
from scheduler.executor import ExecutorEvent, TaskFinished, TaskRequest, TaskStarted, TryKey

_DATES = ("logical_date", "data_interval_start", "data_interval_end")


def _relative(path: str, folder: Path) -> str | None:
    """``path`` relative to ``folder``, or None when it is not inside it."""
    try:
        relative = os.path.relpath(path, folder)
    except ValueError:
        return None
    return None if relative.startswith("..") else relative


def encode_request(request: TaskRequest, dags_folder: Path, logs_folder: Path) -> dict[str, Any]:
    body = asdict(request)
    for name in _DATES:
        body[name] = getattr(request, name).isoformat()
    body["fileloc_relative"] = _relative(request.fileloc, dags_folder)
    body["log_relative"] = _relative(request.log_path, logs_folder)
    body["resume"] = deferral.to_json(request.resume)  # a resumed try (deferred, rescheduled)
    return body


def decode_request(body: dict[str, Any]) -> TaskRequest:
    """The request as the scheduler made it (its own paths, its database URL)."""
    names = {f.name for f in fields(TaskRequest)}
    values = {k: v for k, v in body.items() if k in names}
    for name in _DATES:
        values[name] = datetime.fromisoformat(values[name])
    values["resume"] = deferral.resume_from_json(values.get("resume"))
    return TaskRequest(**values)


def local_paths(body: dict[str, Any], dags_folder: Path, logs_folder: Path) -> tuple[str, str]:
    """``(fileloc, log_path)`` on this worker's machine."""
    fileloc = body["fileloc"]
    if body.get("fileloc_relative"):
        fileloc = str(dags_folder / body["fileloc_relative"])
    log_path = body["log_path"]
    if body.get("log_relative"):
        log_path = str(logs_folder / body["log_relative"])
    return fileloc, log_path


def encode_key(key: TryKey) -> list[Any]:
    return list(key)


def decode_key(value: list[Any]) -> TryKey:
    return TryKey(*value)


def encode_event(event: ExecutorEvent) -> dict[str, Any]:
    if isinstance(event, TaskStarted):
        return {
            "kind": "started",
            "key": encode_key(event.key),
            "started_at": event.started_at.isoformat(),
            "pid": event.pid,
            "hostname": event.hostname,
        }
    return {
        "kind": "finished",
        "key": encode_key(event.key),
        "state": event.state,
        "started_at": event.started_at.isoformat() if event.started_at else None,
        "ended_at": event.ended_at.isoformat(),
        "error": event.error,
        "retryable": event.retryable,
        "xcoms": [list(pair) for pair in event.xcoms],
        "sealed_xcoms": [list(pair) for pair in event.sealed_xcoms],
        "skip_tasks": list(event.skip_tasks),
        "lost": event.lost,
        "deferral": deferral.to_json(event.deferral),
        "outlet_events": list(event.outlet_events),
    }


def decode_event(body: dict[str, Any]) -> ExecutorEvent:
    key = decode_key(body["key"])
    if body["kind"] == "started":
        started = datetime.fromisoformat(body["started_at"])
        return TaskStarted(key, started, body["pid"], body["hostname"])
    started_at = body["started_at"]
    return TaskFinished(
        key=key,
        state=body["state"],
        started_at=datetime.fromisoformat(started_at) if started_at else None,
        ended_at=datetime.fromisoformat(body["ended_at"]),
        error=body["error"],
        retryable=body["retryable"],
        xcoms=tuple(tuple(pair) for pair in body["xcoms"]),
        sealed_xcoms=tuple(tuple(pair) for pair in body["sealed_xcoms"]),
        skip_tasks=tuple(body["skip_tasks"]),
        lost=body.get("lost", False),
        deferral=deferral.outcome_from_json(body.get("deferral")),
        outlet_events=tuple(body.get("outlet_events", ())),
    )
