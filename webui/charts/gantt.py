"""The Gantt chart of a run: one row per task, one bar per try (queued time drawn lighter)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup

from webui.charts.svg import element, group, svg, tick_label, time_ticks, truncate

LABEL_W, ROW_H, BAR_H, PLOT_W, AXIS_H = 210, 24, 14, 760, 26


@dataclass(frozen=True)
class Bar:
    task_id: str
    try_number: int
    state: str
    queued_at: datetime | None
    start: datetime | None
    end: datetime | None


def render_gantt(
    bars: Sequence[Bar], now: datetime, task_url: Callable[[str], str | None]
) -> Markup | None:
    """None when no try has started yet (the page says so instead of drawing an empty box)."""
    started = [b for b in bars if b.start is not None]
    if not started:
        return None
    begin = min(t for b in started if (t := b.queued_at or b.start) is not None)
    finish = max(b.end or now for b in started)
    span = max((finish - begin).total_seconds(), 0.001)
    rows: list[str] = []
    for bar in started:
        if bar.task_id not in rows:
            rows.append(bar.task_id)

    def x(when: datetime) -> float:
        return LABEL_W + (when - begin).total_seconds() / span * PLOT_W

    height = AXIS_H + len(rows) * ROW_H + 6
    parts = [_axis(begin, finish, height, x)]
    for i, task_id in enumerate(rows):
        y = AXIS_H + i * ROW_H
        url = task_url(task_id)
        label = element("text", {"x": 4, "y": y + 16, "class_": "label"}, truncate(task_id, 30))
        parts.append(element("a", {"href": url}, label) if url else label)
    for bar in started:
        parts.append(_bar(bar, AXIS_H + rows.index(bar.task_id) * ROW_H, x, now))
    return svg(LABEL_W + PLOT_W + 20, height, parts, class_="gantt", aria_label="Gantt chart")


def _axis(
    begin: datetime, finish: datetime, height: float, x: Callable[[datetime], float]
) -> Markup:
    ticks = []
    for tick in time_ticks(begin, finish):
        tx = x(tick)
        ticks.append(
            element(
                "line", {"x1": tx, "x2": tx, "y1": AXIS_H - 4, "y2": height, "class_": "gridline"}
            )
        )
        ticks.append(
            element(
                "text",
                {"x": tx, "y": 14, "class_": "tick", "text_anchor": "middle"},
                tick_label(tick, finish - begin, begin),
            )
        )
    return group(ticks, class_="axis-x")


def _bar(bar: Bar, y: float, x: Callable[[datetime], float], now: datetime) -> Markup:
    assert bar.start is not None
    end = bar.end or now
    duration = (end - bar.start).total_seconds()
    title = f"{bar.task_id} try {bar.try_number}: {bar.state}, {duration:.2f} s"
    parts = [element("title", None, title)]
    if bar.queued_at is not None and bar.queued_at < bar.start:
        parts.append(
            element(
                "rect",
                {
                    "x": x(bar.queued_at),
                    "y": y + 9,
                    "width": max(x(bar.start) - x(bar.queued_at), 1),
                    "height": 4,
                    "class_": "queued",
                },
            )
        )
    parts.append(
        element(
            "rect",
            {
                "x": x(bar.start),
                "y": y + 4,
                "width": max(x(end) - x(bar.start), 2),
                "height": BAR_H,
                "rx": 3,
                "class_": "bar",
            },
        )
    )
    return group(
        parts, class_=f"try st-{bar.state}", data_task_id=bar.task_id, data_try=bar.try_number
    )
