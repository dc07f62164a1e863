"""The metrics dashboard's charts: stacked bars per time bucket, lines, horizontal bars."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from markupsafe import Markup

from webui.charts.svg import element, group, svg, tick_label, truncate

W, H = 560, 210
LEFT, RIGHT, TOP, BOTTOM = 46, 12, 24, 34


@dataclass(frozen=True)
class Series:
    label: str
    css: str  # class giving its colour, e.g. "st-success"
    values: Sequence[float | None]


def stacked_bars(
    buckets: Sequence[datetime], width: timedelta, series: Sequence[Series], unit: str
) -> Markup:
    """One bar per bucket, the series stacked bottom-up."""
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(buckets))]
    top = _nice_max(max(totals, default=0))
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    slot = plot_w / max(len(buckets), 1)
    parts = [_y_axis(top, unit), _x_axis(buckets, width, slot)]
    for i, start in enumerate(buckets):
        base = 0.0
        for s in series:
            value = s.values[i] or 0
            if value:
                y = TOP + plot_h - (base + value) / top * plot_h
                title = f"{start:%Y-%m-%d %H:%M}: {value:g} {s.label}"
                parts.append(
                    element(
                        "rect",
                        {
                            "x": LEFT + i * slot + 1,
                            "y": y,
                            "width": max(slot - 2, 1),
                            "height": value / top * plot_h,
                            "class_": f"bar {s.css}",
                        },
                        element("title", None, title),
                    )
                )
            base += value
    return _frame(parts, series)


def lines(
    buckets: Sequence[datetime], width: timedelta, series: Sequence[Series], unit: str
) -> Markup:
    """One polyline per series; a missing value (None) breaks the line."""
    top = _nice_max(max((v for s in series for v in s.values if v is not None), default=0))
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    slot = plot_w / max(len(buckets), 1)
    parts = [_y_axis(top, unit), _x_axis(buckets, width, slot)]
    for s in series:
        points: list[str] = []
        segments: list[list[str]] = [points]
        for i, value in enumerate(s.values):
            if value is None:
                points = []
                segments.append(points)
                continue
            x, y = LEFT + (i + 0.5) * slot, TOP + plot_h - value / top * plot_h
            points.append(f"{x:.1f},{y:.1f}")
            parts.append(
                element(
                    "circle",
                    {"cx": x, "cy": y, "r": 2.5, "class_": f"dotmark {s.css}"},
                    element(
                        "title",
                        None,
                        f"{buckets[i]:%Y-%m-%d %H:%M}: {value:.3g} {unit} ({s.label})",
                    ),
                )
            )
        for segment in segments:
            if len(segment) > 1:
                parts.append(
                    element("polyline", {"points": " ".join(segment), "class_": f"line {s.css}"})
                )
    return _frame(parts, series)


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


def _y_axis(top: float, unit: str) -> Markup:
    plot_h = H - TOP - BOTTOM
    parts = []
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            element("line", {"x1": LEFT, "x2": W - RIGHT, "y1": y, "y2": y, "class_": "gridline"})
        )
        parts.append(
            element(
                "text",
                {"x": LEFT - 6, "y": y + 4, "class_": "tick", "text_anchor": "end"},
                f"{value:g}",
            )
        )
    parts.append(element("text", {"x": 4, "y": 11, "class_": "tick"}, unit))
    return group(parts, class_="axis-y")


def _x_axis(buckets: Sequence[datetime], width: timedelta, slot: float) -> Markup:
    if not buckets:
        return Markup("")
    every = max(1, round(len(buckets) / 6))
    span = buckets[-1] + width - buckets[0]
    parts = [
        element(
            "line",
            {"x1": LEFT, "x2": W - RIGHT, "y1": H - BOTTOM, "y2": H - BOTTOM, "class_": "axis"},
        )
    ]
    for i in range(0, len(buckets), every):
        parts.append(
            element(
                "text",
                {"x": LEFT + i * slot, "y": H - BOTTOM + 16, "class_": "tick"},
                tick_label(buckets[i], span),
            )
        )
    return group(parts, class_="axis-x")


def _frame(parts: list[Markup], series: Sequence[Series]) -> Markup:
    x = LEFT
    for s in series:
        parts.append(
            element(
                "rect",
                {"x": x, "y": H - 12, "width": 10, "height": 10, "rx": 2, "class_": f"bar {s.css}"},
            )
        )
        parts.append(element("text", {"x": x + 14, "y": H - 3, "class_": "tick"}, s.label))
        x += 24 + 7 * len(s.label)
    return svg(W, H, parts, class_="chart-svg")
