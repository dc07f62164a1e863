"""Dynamic task mapping: how many instances a mapped task expands into.

A mapped task's ``TaskSpec.mapping`` is plain JSON written by the authoring API:

    {"kind": "expand", "args": {"x": SOURCE, ...}, "group": None}
    {"kind": "expand_kwargs", "source": SOURCE, "group": None}

where a SOURCE is ``{"literal": n}`` (a list or dict written in the DAG file), ``{"xcom":
task_id}`` (the return value of an upstream task), ``{"zip": [SOURCE, ...], "fill": bool}``
or ``{"concat": [SOURCE, ...]}``. ``expand`` with several arguments is their cross product, as
in Airflow. ``group`` names the mapped task group the task belongs to, if any: its instances
then depend on the same ``map_index`` of the group's other tasks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

#: What the Engine knows of each source task: its number of items, or why it cannot be
#: mapped over. A task missing from the mapping has not produced its value yet.
Lengths = Mapping[str, int | str]

MAX_MAP_LENGTH = 1024  # Airflow's [core] max_map_length


def mapped_length(mapping: Mapping[str, Any], lengths: Lengths) -> int | str | None:
    """The number of instances, an error message, or None while an input is not known."""
    if mapping["kind"] == "expand_kwargs":
        return source_length(mapping["source"], lengths)
    sizes = [source_length(source, lengths) for source in mapping["args"].values()]
    return _combine(sizes, math.prod)


def source_length(source: Mapping[str, Any], lengths: Lengths) -> int | str | None:
    if "literal" in source:
        return int(source["literal"])
    if "xcom" in source:
        return lengths.get(source["xcom"])
    parts = [source_length(part, lengths) for part in source.get("zip", source.get("concat", ()))]
    if "concat" in source:
        return _combine(parts, sum)
    return _combine(parts, max if source.get("fill") else min)


def _combine(sizes: Iterable[int | str | None], how: Any) -> int | str | None:
    sizes = list(sizes)
    for size in sizes:
        if isinstance(size, str):
            return size
    if any(size is None for size in sizes):
        return None
    return int(how(sizes)) if sizes else 0


def product_indexes(sizes: list[int], map_index: int) -> list[int]:
    """The position in each input of instance ``map_index`` of a cross product: the last
    input varies fastest (Airflow's and ``itertools.product``'s order)."""
    positions = []
    for size in reversed(sizes):
        positions.append(map_index % size)
        map_index //= size
    return positions[::-1]
