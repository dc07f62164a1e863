"""The run id rule: Airflow's default allowed_run_id_pattern, 250 characters at most."""

from __future__ import annotations

import pytest

from scheduler.errors import InvalidRunIdError
from scheduler.run_ids import check_run_id


@pytest.mark.parametrize(
    "run_id",
    [
        "manual__2026-01-01T00:00:00+00:00",
        "scheduled__2026-01-01T00:00:00.123456+00:00",
        "nightly-backfill_v2.1~retry:3",
        "x" * 250,
    ],
)
def test_generated_and_ordinary_ids_pass(run_id: str) -> None:
    assert check_run_id(run_id) == run_id


@pytest.mark.parametrize(
    "run_id",
    [
        "",
        " ",
        "../../etc/passwd",
        "a/b",
        "<script>alert(1)</script>",
        "two words",
        "x" * 251,
        "tab\there",
        "é",
        "a?b",
        "a#b",
        "a%2Fb",
        "a\nb",
    ],
)
def test_ids_unsafe_in_urls_paths_or_html_are_refused_saying_what_is_allowed(run_id: str) -> None:
    with pytest.raises(InvalidRunIdError) as info:
        check_run_id(run_id)
    assert "letters, digits or _ . ~ : + -" in str(info.value)
    assert "manual__<logical date>" in str(info.value)
