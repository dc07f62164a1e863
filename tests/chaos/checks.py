"""What must hold after the chaos, as pure functions over the ledger and the database rows.

Each check returns the problems it found (empty: it holds), worded so that a failure says
what went wrong where. ``figures`` counts what the kills cost.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scheduler.errors import IllegalTransitionError
from scheduler.states import (
    check_compensation_transition,
    check_run_transition,
    check_task_transition,
)

Entry = Mapping[str, Any]  # one ledger line

#: What a try lost to a kill says (task_try.error): its worker was SIGKILLed, or its
#: scheduler was (the next scheduler re-runs what the dead one left queued or running).
KILL_REASONS = ("died while running the task", "the try was lost")
#: What the DAG's own designed failures say.
DESIGNED_REASONS = ("fails twice by design", "refused by design")

SAGA_STEPS = ("reserve", "charge")  # the steps with a compensation, in dependency order


@dataclass(frozen=True)
class Event:
    """One event_log row, as the checks need it."""

    id: int
    event: str
    run_id: str | None
    task_id: str | None
    map_index: int | None
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Instance:
    """One task_instance row: where its retries count from, and its lost tries."""

    run_id: str
    task_id: str
    retry_base: int
    compensation_retry_base: int
    lost_count: int


@dataclass(frozen=True)
class Try:
    """One task_try row."""

    run_id: str
    task_id: str
    kind: str  # task | compensate
    try_number: int
    state: str
    error: str | None


def overlaps(entries: Iterable[Entry]) -> list[str]:
    """Tries that started while another try of the same task instance still ran."""
    return [
        f"{e['run_id']}/{e['step']} ({e['kind']}) try {e['try']} started while another try "
        f"of it was still running (pid {e['pid']})"
        for e in entries
        if e["event"] == "overlap"
    ]


def tries_started_twice(entries: Iterable[Entry]) -> list[str]:
    """A try number runs once: a second start of the same try is a duplicate dispatch."""
    starts = Counter(
        (e["run_id"], e["step"], e["kind"], e["try"]) for e in entries if e["event"] == "start"
    )
    return [
        f"{run_id}/{step} ({kind}) try {number} started {n} times"
        for (run_id, step, kind, number), n in sorted(starts.items())
        if n > 1
    ]


def illegal_transitions(events: Sequence[Event]) -> list[str]:
    """Every arrow legal (scheduler/states.py), and each one leaving the state the previous
    one entered, per task instance, run and compensation: nothing skipped, nothing doubled."""
    problems: list[str] = []
    last: dict[tuple[Any, ...], str | None] = {}
    for e in sorted(events, key=lambda e: e.id):
        if e.event == "task_state":
            key: tuple[Any, ...] = ("task", e.run_id, e.task_id, e.map_index)
            check, first = check_task_transition, "none"
        elif e.event == "run_state":
            key, check, first = ("run", e.run_id), check_run_transition, None
        elif e.event == "compensation_state":
            key, check, first = ("compensation", e.run_id, e.task_id), _check_phase, None
        else:
            continue
        where = "/".join(str(part) for part in key[1:] if part is not None)
        try:
            check(e.old, e.new)
        except (IllegalTransitionError, ValueError) as error:
            problems.append(f"event {e.id} ({e.event} of {where}): {error}")
        expected = last.get(key, first)
        if expected is not None and e.old != expected:
            problems.append(
                f"event {e.id} ({e.event} of {where}): leaves {e.old!r} but the previous "
                f"event left it {expected!r}"
            )
        last[key] = e.new
    return problems


def _check_phase(old: str | None, new: str | None) -> None:
    if old is None:  # a compensation starts scheduled
        if new != "scheduled":
            raise ValueError(f"a compensation starts 'scheduled', not {new!r}")
        return
    check_compensation_transition(old, new)


def run_outcomes(expected: Mapping[str, str], actual: Mapping[str, str]) -> list[str]:
    """Every run triggered ended in the state its conf asked for."""
    return [
        f"run {run_id} ended {actual.get(run_id, 'missing')!r}, expected {want!r}"
        for run_id, want in sorted(expected.items())
        if actual.get(run_id) != want
    ]


def ledger_outcomes(
    entries: Sequence[Entry], expected: Mapping[str, str], steps: Sequence[str]
) -> list[str]:
    """What the tasks themselves wrote agrees with how each run should have gone: every step
    of a successful run finished, nothing was undone; a compensated run finished all but
    ship and done, and undid charge and then reserve (reverse dependency order)."""
    by_run: dict[str, list[tuple[int, Entry]]] = defaultdict(list)
    for position, e in enumerate(entries):
        by_run[e["run_id"]].append((position, e))
    problems: list[str] = []
    for run_id, want in sorted(expected.items()):
        lines = by_run.get(run_id, [])
        ended = {e["step"] for _, e in lines if e["event"] == "end" and e["kind"] == "task"}
        undone = [(p, e) for p, e in lines if e["kind"] == "compensate"]
        if want == "success":
            missing = sorted(set(steps) - ended)
            if missing:
                problems.append(f"run {run_id}: steps {missing} never finished")
            if undone:
                problems.append(f"run {run_id} succeeded yet compensations ran")
            continue
        must_end = set(steps) - {"ship", "done"}
        if sorted(must_end - ended):
            problems.append(f"run {run_id}: steps {sorted(must_end - ended)} never finished")
        if ended & {"ship", "done"}:
            problems.append(f"run {run_id}: {sorted(ended & {'ship', 'done'})} finished")
        problems += _compensation_order(run_id, undone)
    return problems


def _compensation_order(run_id: str, undone: list[tuple[int, Entry]]) -> list[str]:
    ends = {e["step"] for _, e in undone if e["event"] == "end"}
    if ends != set(SAGA_STEPS):
        return [f"run {run_id}: compensations finished for {sorted(ends)}, not both"]
    last_refund = max(p for p, e in undone if e["step"] == "charge")
    first_release = min(p for p, e in undone if e["step"] == "reserve")
    if first_release < last_refund:
        return [f"run {run_id}: reserve was undone before charge's undo had finished"]
    return []


def figures(tries: Sequence[Try]) -> dict[str, Any]:
    """What the kills cost: tries lost (re-run without using retries), and where."""
    lost = [t for t in tries if t.error and any(r in t.error for r in KILL_REASONS)]
    designed = [t for t in tries if t.error and any(r in t.error for r in DESIGNED_REASONS)]
    per_instance = Counter((t.run_id, t.task_id, t.kind) for t in lost)
    return {
        "tries": len(tries),
        "tries_lost_to_kills": len(lost),
        "lost_task_tries": sum(1 for t in lost if t.kind == "task"),
        "lost_compensation_tries": sum(1 for t in lost if t.kind != "task"),
        "instances_with_lost_tries": len(per_instance),
        "most_lost_tries_in_one_instance": max(per_instance.values(), default=0),
        "designed_failures": len(designed),
    }


def retries_used_by_kills(
    tries: Sequence[Try], instances: Sequence[Instance], lost_try_limit: int
) -> list[str]:
    """A try lost to a kill must not use up one of its task's retries: each moved the
    instance's retry base on by one (up to BATON_LOST_TRY_LIMIT losses per instance)."""
    lost = Counter(
        (t.run_id, t.task_id, t.kind)
        for t in tries
        if t.error and any(r in t.error for r in KILL_REASONS)
    )
    problems = []
    for instance in instances:
        if instance.lost_count > lost_try_limit:
            continue  # past the limit a loss counts like a failure, by design
        for kind, base in (
            ("task", instance.retry_base),
            ("compensate", instance.compensation_retry_base),
        ):
            count = lost[(instance.run_id, instance.task_id, kind)]
            if count > base:
                problems.append(
                    f"{instance.run_id}/{instance.task_id} ({kind}): {count} tries lost to "
                    f"kills used {count - base} of its retries"
                )
    return problems


def unexplained_failures(tries: Sequence[Try]) -> list[str]:
    """A failed try is either lost to a kill or failed by design; anything else is a bug."""
    known = KILL_REASONS + DESIGNED_REASONS
    return [
        f"{t.run_id}/{t.task_id} ({t.kind}) try {t.try_number} failed: {t.error}"
        for t in tries
        if t.state == "failed" and not (t.error and any(r in t.error for r in known))
    ]
