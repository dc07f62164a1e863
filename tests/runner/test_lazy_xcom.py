"""A mapped task's results as the downstream task sees them: a lazy sequence."""

from __future__ import annotations

import json

import pytest

from scheduler.runner.xcom import InMemoryXComReader, LazyXComSequence, serialize_xcom


def results(n: int) -> LazyXComSequence:
    reader = InMemoryXComReader()
    for i in reversed(range(n)):  # stored out of order: read back in map_index order
        reader.set("d", "r", "t", "return_value", i * 10, map_index=i)
    reader.set("d", "r", "t", "return_value", "unmapped", map_index=-1)
    return LazyXComSequence(reader, "d", "r", "t", "return_value")


def test_it_counts_indexes_slices_and_iterates_in_map_index_order() -> None:
    values = results(2500)  # more than one page
    assert len(values) == 2500
    assert values[0] == 0 and values[-1] == 24990 and values[1234] == 12340
    assert values[3:6] == [30, 40, 50]
    assert list(values) == [i * 10 for i in range(2500)]
    assert sum(values) == sum(i * 10 for i in range(2500))
    with pytest.raises(IndexError, match="has 2500 values"):
        values[2500]


def test_it_compares_like_a_list_and_is_stored_as_one() -> None:
    values = results(3)
    assert values == [0, 10, 20]
    assert json.loads(serialize_xcom({"all": values}, "reduce", "return_value")) == {
        "all": [0, 10, 20]
    }
    assert len(results(0)) == 0 and list(results(0)) == []
