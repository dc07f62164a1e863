"""``TryKey.idempotency_key``: one key per task instance, the same for all its tries."""

from __future__ import annotations

from scheduler.executor import TryKey


def test_every_try_of_an_instance_has_the_same_key_and_the_try_number_apart() -> None:
    first, third = TryKey("pay", "manual__1", "charge", 1), TryKey("pay", "manual__1", "charge", 3)
    assert first.idempotency_key == third.idempotency_key == "pay/manual__1/charge"
    assert (first.label, third.label) == ("pay/manual__1/charge#1", "pay/manual__1/charge#3")


def test_a_mapped_instance_adds_its_map_index() -> None:
    assert TryKey("d", "r", "t", 2, map_index=0).idempotency_key == "d/r/t/0"
    assert TryKey("d", "r", "t", 2, map_index=11).idempotency_key == "d/r/t/11"


def test_a_compensation_has_its_own_stable_key() -> None:
    undo = {TryKey("d", "r", "t", n, compensation=True).idempotency_key for n in (1, 2, 7)}
    assert undo == {"d/r/t/compensate"}
    assert TryKey("d", "r", "t", 1, True, 4).idempotency_key == "d/r/t/4/compensate"
    assert TryKey("d", "r", "t", 1).idempotency_key not in undo
