"""Trigger rules: when a task may run given its upstream tasks' states (Airflow's names)."""

from __future__ import annotations

from enum import StrEnum


class TriggerRule(StrEnum):
    ALL_SUCCESS = "all_success"
    ALL_FAILED = "all_failed"
    ALL_DONE = "all_done"
    ALL_DONE_MIN_ONE_SUCCESS = "all_done_min_one_success"
    ALL_SKIPPED = "all_skipped"
    ONE_SUCCESS = "one_success"
    ONE_FAILED = "one_failed"
    ONE_DONE = "one_done"
    NONE_FAILED = "none_failed"
    NONE_FAILED_MIN_ONE_SUCCESS = "none_failed_min_one_success"
    NONE_SKIPPED = "none_skipped"
    ALWAYS = "always"
    # A teardown's rule (set by ``as_teardown``): all upstream done and a setup succeeded.
    ALL_DONE_SETUP_SUCCESS = "all_done_setup_success"

    @classmethod
    def names(cls) -> list[str]:
        return [rule.value for rule in cls]
