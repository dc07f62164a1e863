"""The fork-per-item runner: answers, crashes, hangs and output, with real child processes."""

from __future__ import annotations

import os
import time

import psutil
import pytest

from scheduler.loader.isolation import OUTPUT_LIMIT, run_isolated

POISONED = []


def work(item: str) -> bytes:
    """What each test child does, chosen by the item's name."""
    if item.startswith("poison"):  # leaves state behind that breaks a later batch-mate
        POISONED.append(item)
    if item.startswith("victim") and POISONED:
        os.abort()
    if item.startswith("abort"):
        os.abort()
    if item.startswith("exit"):
        os._exit(3)
    if item.startswith("hang"):
        print("going to sleep", flush=True)
        time.sleep(3600)
    if item.startswith("raise"):
        raise RuntimeError("broken work function")
    if item.startswith("big"):
        return b"x" * 3_000_000
    if item.startswith("chatty"):
        print("y" * (OUTPUT_LIMIT * 2) + "END")
    print(f"hello from {item}")
    return item.upper().encode()


def run(items: list[str], timeout: float = 30, parallelism: int = 2, batch: int = 1) -> dict:
    outcomes = run_isolated(items, work, timeout=timeout, parallelism=parallelism, batch_size=batch)
    return {o.item: o for o in outcomes}


def test_each_item_answers_and_its_prints_are_captured_not_shown(capfd):
    outcomes = run(["a", "b", "c"])

    assert {item: o.payload for item, o in outcomes.items()} == {
        "a": b"A",
        "b": b"B",
        "c": b"C",
    }
    assert outcomes["b"].output == "hello from b\n"
    assert "hello" not in capfd.readouterr().out


def test_an_answer_larger_than_a_pipe_buffer_arrives_whole():
    outcome = run(["big"])["big"]
    assert outcome.payload == b"x" * 3_000_000


def test_output_keeps_only_the_tail():
    outcome = run(["chatty"])["chatty"]
    assert len(outcome.output.encode()) <= OUTPUT_LIMIT
    assert outcome.output.endswith("END\nhello from chatty\n")


def test_abort_is_reported_with_the_signal_and_a_stack():
    outcomes = run(["abort", "ok"])

    abort = outcomes["abort"]
    assert abort.payload is None
    assert abort.exit_reason == "killed by signal SIGABRT"
    assert "test_isolation.py" in abort.output  # faulthandler's traceback
    assert outcomes["ok"].payload == b"OK"


def test_exit_without_answer_and_exceptions_are_reported():
    outcomes = run(["exit", "raise"])

    assert outcomes["exit"].exit_reason == "exit code 3"
    assert outcomes["raise"].payload is None
    assert outcomes["raise"].exit_reason == "exit code 70"
    assert "RuntimeError: broken work function" in outcomes["raise"].output


def test_a_hung_child_is_killed_and_does_not_hold_up_the_others():
    outcomes = list(run_isolated(["hang", "a", "b"], work, timeout=1, parallelism=2))

    assert [o.item for o in outcomes][-1] == "hang"
    hung = outcomes[-1]
    assert hung.timed_out
    assert hung.payload is None
    assert "going to sleep" in hung.output
    assert "in work" in hung.output  # where it was stuck, dumped before the kill


def test_stopping_early_kills_the_children_still_running():
    me = psutil.Process()
    outcomes = run_isolated(["a", "hang1", "hang2"], work, timeout=60, parallelism=3)
    first = next(outcomes)
    assert first.item == "a"
    # The finished child sends its answer before it exits: give it a moment to be gone.
    deadline = time.monotonic() + 5
    while True:
        children = [c for c in me.children() if _alive(c)]
        if len(children) <= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert len(children) == 2  # the two that hang

    outcomes.close()

    assert me.children() == []
    for child in children:
        assert not child.is_running()


def test_a_batch_gives_each_item_its_own_answer_and_output():
    outcomes = run(["a", "b", "c"], parallelism=1, batch=3)

    assert {item: (o.payload, o.output) for item, o in outcomes.items()} == {
        "a": (b"A", "hello from a\n"),
        "b": (b"B", "hello from b\n"),
        "c": (b"C", "hello from c\n"),
    }


def test_a_crash_in_a_batch_is_retried_alone_and_the_rest_still_answer():
    outcomes = run(["a", "abort", "b", "c"], parallelism=1, batch=4)

    assert outcomes["abort"].exit_reason == "killed by signal SIGABRT"
    assert {item: o.payload for item, o in outcomes.items() if item != "abort"} == {
        "a": b"A",
        "b": b"B",
        "c": b"C",
    }


def test_a_crash_caused_by_a_batch_mate_is_not_blamed_on_the_victim():
    outcomes = run(["poison", "victim", "after"], parallelism=1, batch=3)

    assert {item: o.payload for item, o in outcomes.items()} == {
        "poison": b"POISON",
        "victim": b"VICTIM",  # crashed after the poison, answered when run alone
        "after": b"AFTER",
    }


def test_a_hang_in_a_batch_hands_the_rest_to_other_children():
    outcomes = list(
        run_isolated(["a", "hang", "b", "c"], work, timeout=1, parallelism=2, batch_size=4)
    )

    order = [o.item for o in outcomes]
    assert order[-1] == "hang"  # b and c did not wait for its time limit
    assert sorted(order) == ["a", "b", "c", "hang"]
    assert outcomes[-1].timed_out
    assert "going to sleep" in outcomes[-1].output


def test_bad_arguments_say_what_to_change():
    with pytest.raises(ValueError, match="batch_size=0"):
        list(run_isolated(["a"], work, timeout=1, parallelism=1, batch_size=0))
    with pytest.raises(ValueError, match="parallelism=0"):
        list(run_isolated(["a"], work, timeout=1, parallelism=0))
    with pytest.raises(ValueError, match="timeout=0"):
        list(run_isolated(["a"], work, timeout=0, parallelism=1))


def _alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
