"""The JSON a chart of ``static/charts.js`` (uPlot) draws: shared x values (seconds since
the epoch), one or more series over them, and optional links per point (a click opens it).

Colours are named, not given: ``color`` is a state (``success`` -> CSS ``--s-success``) or a
theme colour (``link``, ``muted``), so a chart follows the light or dark theme.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

Kind = Literal["line", "bars", "points"]


@dataclass(frozen=True)
class ChartSeries:
    label: str
    color: str
    values: Sequence[float | None]
    kind: Kind = "line"
    dash: bool = False


def chart(
    x: Sequence[datetime],
    unit: str,
    series: Sequence[ChartSeries],
    links: Sequence[str] | None = None,
) -> dict[str, Any]:
    """One chart's JSON; every series has one value (or None: a gap) per x."""
    for s in series:
        if len(s.values) != len(x):
            raise ValueError(f"series {s.label!r} has {len(s.values)} values for {len(x)} x")
    body: dict[str, Any] = {
        "unit": unit,
        "x": [moment.timestamp() for moment in x],
        "series": [
            {
                "label": s.label,
                "color": s.color,
                "kind": s.kind,
                "dash": s.dash,
                "values": [None if v is None else round(v, 3) for v in s.values],
            }
            for s in series
        ],
    }
    if links is not None:
        body["links"] = list(links)
    return body
