"""A tiny SVG writer whose every attribute value and text is escaped.

Charts are built from DAG- and user-supplied names (dag_id, task_id): building them through
``element`` means no string from the database reaches the page unescaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from markupsafe import Markup, escape


def element(tag: str, attrs: dict[str, object] | None = None, *children: object) -> Markup:
    """``<tag attrs>children</tag>``; ``class_`` → ``class``, ``stroke_width`` →
    ``stroke-width``; None values and children are left out."""
    parts = [f"<{tag}"]
    for name, value in (attrs or {}).items():
        if value is None:
            continue
        key = name.rstrip("_").replace("_", "-")
        parts.append(f' {key}="{escape(_number(value))}"')
    parts.append(">")
    inner = Markup("").join(escape(c) for c in children if c is not None)
    return Markup("".join(parts)) + inner + Markup(f"</{tag}>")


def group(children: Iterable[Markup], **attrs: object) -> Markup:
    return element("g", attrs, Markup("").join(children))


def svg(width: float, height: float, children: Iterable[Markup], **attrs: object) -> Markup:
    return element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "width": width,
            "height": height,
            "viewBox": f"0 0 {_number(width)} {_number(height)}",
            "role": "img",
            **attrs,
        },
        Markup("").join(children),
    )


def _number(value: object) -> object:
    """Coordinates rounded to 0.1 px: smaller pages, same picture."""
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return value


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def time_ticks(start: datetime, end: datetime, target: int = 6) -> list[datetime]:
    """Round instants between ``start`` and ``end`` (about ``target`` of them) for an axis."""
    span = max((end - start).total_seconds(), 1e-3)
    steps = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60]
    steps += [120, 300, 600, 900, 1800]
    steps += [3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800]
    step = next((s for s in steps if span / s <= target), steps[-1])
    epoch = start.timestamp()
    # Short spans are labelled as offsets from the start (see tick_label): start at 0 then.
    first = epoch if span <= 120 or not epoch % step else (epoch // step + 1) * step
    ticks: list[datetime] = []
    value = first
    while value <= end.timestamp() and len(ticks) < 50:
        ticks.append(start + timedelta(seconds=value - epoch))
        value += step
    return ticks


def tick_label(value: datetime, span: timedelta, origin: datetime | None = None) -> str:
    """Clock time fitting the span; with ``origin``, short spans read as offsets (+250 ms)."""
    if origin is not None and span <= timedelta(minutes=2):
        return offset_label((value - origin).total_seconds())
    if span <= timedelta(minutes=2):
        return value.strftime("%H:%M:%S")
    if span <= timedelta(days=1, hours=1):
        return value.strftime("%H:%M")
    return value.strftime("%b %d %H:%M")


def offset_label(seconds: float) -> str:
    if seconds < 1:
        return f"+{seconds * 1000:.0f} ms"
    return f"+{seconds:.3g} s"
