"""A succeeded try's asset events cross the Celery broker intact: the scheduler records
what the worker's task added to its outlets (``TaskFinished.outlet_events``) as JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from scheduler.executor import TaskFinished, TryKey
from scheduler.executors.celery_messages import decode_event, encode_event


def test_outlet_events_survive_the_json_round_trip() -> None:
    events = (
        {"uri": "s3://lake/a", "name": "a", "group": "asset", "extra": {"rows": 3}},
        {"uri": "s3://lake/b", "name": "b", "group": "g", "extra": {}, "alias": "exports"},
    )
    finished = TaskFinished(
        TryKey("d", "r", "t", 1), "success", datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 1, tzinfo=UTC), outlet_events=events,
    )  # fmt: skip
    decoded = decode_event(json.loads(json.dumps(encode_event(finished))))
    assert isinstance(decoded, TaskFinished)
    assert decoded.outlet_events == events
