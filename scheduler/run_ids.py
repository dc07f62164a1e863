"""The one rule for run ids, shared by every way of creating a run (CLI, REST API, web UI,
``TriggerDagRunOperator``), so that the same id is refused everywhere with the same words.

A run id appears in URLs, file paths (task logs live under ``.../run_id=<id>/``), HTML and
shell commands, so it is held to Airflow's default ``allowed_run_id_pattern``: letters,
digits and ``_ . ~ : + -``, at most 250 characters (Airflow's column width). The ids Baton
generates (``manual__2026-01-01T00:00:00+00:00``, ``scheduled__...``) fit it; ``../x``,
``a/b``, ``<script>`` and blanks do not.
"""

from __future__ import annotations

import re

from scheduler.errors import InvalidRunIdError

RUN_ID_PATTERN = r"^[A-Za-z0-9_.~:+-]+$"
MAX_RUN_ID_LENGTH = 250

_ALLOWED = re.compile(RUN_ID_PATTERN)


def check_run_id(run_id: str) -> str:
    """``run_id`` if it is allowed; else ``InvalidRunIdError`` saying what is allowed."""
    if len(run_id) <= MAX_RUN_ID_LENGTH and _ALLOWED.fullmatch(run_id):
        return run_id
    raise InvalidRunIdError(
        f"run_id {run_id[:80]!r} is not allowed: use 1 to {MAX_RUN_ID_LENGTH} letters, "
        "digits or _ . ~ : + - (Airflow's allowed_run_id_pattern "
        f"{RUN_ID_PATTERN}), or leave it out to get manual__<logical date>"
    )
