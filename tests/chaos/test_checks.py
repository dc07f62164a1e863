"""The chaos suite's checks find what they are for: overlaps, duplicate tries, illegal or
missing transitions, wrong outcomes, compensations out of order, unexplained failures."""

from __future__ import annotations

from tests.chaos import checks
from tests.chaos.checks import Event, Instance, Try

STEPS = ("start", "reserve", "charge", "ship", "done")
LOST = "the try was lost: scheduler job 3 that dispatched it is gone"


def line(event: str, run: str, step: str, kind: str = "task", number: int = 1, pid: int = 7):
    return {"event": event, "run_id": run, "step": step, "kind": kind, "try": number, "pid": pid}


def finished(run: str, steps=STEPS) -> list[dict]:
    return [e for s in steps for e in (line("start", run, s), line("end", run, s))]


def test_an_overlap_line_is_reported() -> None:
    entries = [line("start", "r", "a"), line("overlap", "r", "a", number=2, pid=9)]
    assert checks.overlaps(entries) == [
        "r/a (task) try 2 started while another try of it was still running (pid 9)"
    ]
    assert checks.overlaps(entries[:1]) == []


def test_a_try_number_started_twice_is_reported() -> None:
    entries = [line("start", "r", "a"), line("start", "r", "a"), line("start", "r", "a", number=2)]
    assert checks.tries_started_twice(entries) == ["r/a (task) try 1 started 2 times"]


def ev(i: int, event: str, old: str | None, new: str, task: str | None = "a") -> Event:
    return Event(i, event, "r", task, -1 if event == "task_state" else None, old, new)


def test_legal_continuous_transitions_pass() -> None:
    events = [
        ev(1, "run_state", "queued", "running", None),
        ev(2, "task_state", "none", "scheduled"),
        ev(3, "task_state", "scheduled", "queued"),
        ev(4, "task_state", "queued", "running"),
        ev(5, "task_state", "running", "success"),
        ev(6, "task_state", "success", "compensating"),
        ev(7, "compensation_state", None, "scheduled"),
        ev(8, "compensation_state", "scheduled", "queued"),
        ev(9, "run_state", "running", "compensating", None),
    ]
    assert checks.illegal_transitions(events) == []


def test_an_illegal_arrow_and_a_gap_are_reported() -> None:
    events = [
        ev(1, "task_state", "none", "scheduled"),
        ev(2, "task_state", "scheduled", "success"),  # legal arrow
        ev(3, "task_state", "running", "success"),  # but it never entered running
        ev(4, "task_state", "success", "queued"),  # illegal arrow
        ev(5, "compensation_state", None, "running"),
    ]
    problems = checks.illegal_transitions(events)
    assert len(problems) == 3, problems
    assert "leaves 'running' but the previous event left it 'success'" in problems[0]
    assert "cannot go from success to queued" in problems[1]
    assert "a compensation starts 'scheduled'" in problems[2]


def test_a_run_in_the_wrong_state_is_reported() -> None:
    expected = {"a": "success", "b": "compensated", "c": "success"}
    actual = {"a": "success", "b": "failed"}
    assert checks.run_outcomes(expected, actual) == [
        "run b ended 'failed', expected 'compensated'",
        "run c ended 'missing', expected 'success'",
    ]


def test_the_ledger_of_a_successful_run_has_every_step_and_no_undo() -> None:
    assert checks.ledger_outcomes(finished("r"), {"r": "success"}, STEPS) == []
    partial = [*finished("r", STEPS[:-1]), line("start", "r", "done")]
    assert checks.ledger_outcomes(partial, {"r": "success"}, STEPS) == [
        "run r: steps ['done'] never finished"
    ]


def compensated(run: str, order=("charge", "reserve")) -> list[dict]:
    undo = [line(event, run, s, "compensate") for s in order for event in ("start", "end")]
    return [*finished(run, ("start", "reserve", "charge")), line("start", run, "ship"), *undo]


def test_a_compensated_run_undoes_charge_then_reserve() -> None:
    assert checks.ledger_outcomes(compensated("r"), {"r": "compensated"}, STEPS) == []
    wrong = compensated("r", ("reserve", "charge"))
    assert checks.ledger_outcomes(wrong, {"r": "compensated"}, STEPS) == [
        "run r: reserve was undone before charge's undo had finished"
    ]
    half = compensated("r", ("charge",))
    assert checks.ledger_outcomes(half, {"r": "compensated"}, STEPS) == [
        "run r: compensations finished for ['charge'], not both"
    ]


def test_failures_are_kills_or_by_design_and_figures_count_the_kills() -> None:
    tries = [
        Try("r", "a", "task", 1, "failed", "worker process 5 died while running the task: x"),
        Try("r", "a", "task", 2, "failed", LOST),
        Try("r", "a", "task", 3, "success", None),
        Try("r", "b", "compensate", 1, "failed", "RuntimeError: flaky fails twice by design"),
        Try("r", "c", "task", 1, "failed", "KeyError: 'oops'"),
    ]
    assert checks.unexplained_failures(tries) == ["r/c (task) try 1 failed: KeyError: 'oops'"]
    figures = checks.figures(tries)
    assert figures["tries_lost_to_kills"] == 2
    assert figures["instances_with_lost_tries"] == 1
    assert figures["most_lost_tries_in_one_instance"] == 2
    assert figures["designed_failures"] == 1


def test_a_kill_that_used_up_a_retry_is_a_problem() -> None:
    tries = [
        Try("r", "a", "task", 1, "failed", LOST),
        Try("r", "a", "task", 2, "failed", LOST),
        Try("r", "a", "task", 3, "success", None),
        Try("r", "b", "compensate", 1, "failed", LOST),
    ]
    fine = [Instance("r", "a", 2, 0, 2), Instance("r", "b", 0, 1, 1)]
    assert checks.retries_used_by_kills(tries, fine, lost_try_limit=3) == []
    used = [Instance("r", "a", 1, 0, 2), Instance("r", "b", 0, 0, 1)]
    assert checks.retries_used_by_kills(tries, used, lost_try_limit=3) == [
        "r/a (task): 2 tries lost to kills used 1 of its retries",
        "r/b (compensate): 1 tries lost to kills used 1 of its retries",
    ]
    past_the_limit = [Instance("r", "a", 1, 0, 2)]
    assert checks.retries_used_by_kills(tries, past_the_limit, lost_try_limit=1) == []
