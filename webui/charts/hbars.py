"""The metrics dashboard's one server-drawn chart: horizontal bars (the slowest tasks), each
label a link. Its time charts are drawn in the browser (``webui/charts/uplot.py``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup

from webui.charts.svg import element, svg, truncate

W = 560


def hbars(rows: Sequence[tuple[str, float]], unit: str, url: Callable[[int], str | None]) -> Markup:
    """Horizontal bars, largest first: the slowest tasks."""
    label_w, bar_w, row_h = 240, W - 240 - 70, 22
    top = _nice_max(max((v for _, v in rows), default=0))
    parts = []
    for i, (label, value) in enumerate(rows):
        y = 4 + i * row_h
        text = element("text", {"x": 0, "y": y + 14, "class_": "label"}, truncate(label, 36))
        link = url(i)
        parts.append(element("a", {"href": link}, text) if link else text)
        parts.append(
            element(
                "rect",
                {
                    "x": label_w,
                    "y": y + 3,
                    "width": max(value / top * bar_w, 1),
                    "height": 14,
                    "rx": 2,
                    "class_": "bar hbar",
                },
                element("title", None, f"{label}: {value:.3g} {unit}"),
            )
        )
        parts.append(
            element(
                "text",
                {"x": label_w + value / top * bar_w + 6, "y": y + 14, "class_": "tick"},
                f"{value:.3g} {unit}",
            )
        )
    return svg(W, 8 + len(rows) * row_h, parts, class_="chart-svg")


def _nice_max(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times 10^k at or above ``value``: round axis labels."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)
