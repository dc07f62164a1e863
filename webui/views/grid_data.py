"""What the grid shows, as data: its runs (dates, durations, the scale of the duration bars,
why a run's state differs from its tasks') and each row's state per run.

The page renders it once; ``grid.json`` serves the same for the page's script, which polls
it while a run is active and changes only what moved (no reload).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from flask import url_for

from scheduler.api.explain import explain_run_state
from scheduler.spec import DagSpec
from scheduler.states import FINISHED_RUN_STATES
from webui.charts.graph import format_duration
from webui.queries.runs import Grid
from webui.views.grid_rows import GridRow, group_cells

BAR_MAX_PX = 56  # the tallest run's bar; the others in proportion (the scale's top tick)
BAR_MIN_PX = 3  # a run that took no time still shows


@dataclass(frozen=True)
class RunColumn:
    pk: int
    run_id: str
    state: str
    run_type: str
    logical_date: datetime | None
    start_date: datetime | None
    end_date: datetime | None
    duration: float | None  # seconds; a running run: so far
    bar_px: int
    explanation: str | None

    @property
    def active(self) -> bool:
        return self.state not in FINISHED_RUN_STATES


@dataclass(frozen=True)
class GridData:
    columns: list[RunColumn]
    longest: float  # seconds: the scale's top
    ticks: list[tuple[int, str]]  # (px from the bottom, label) of the duration scale
    groups: dict[tuple[int, str], str]  # (run pk, group_id) -> the group's state

    @property
    def active(self) -> bool:
        return any(c.active for c in self.columns)


def grid_data(
    spec: DagSpec, grid: Grid, rows: list[GridRow], now: datetime | None = None
) -> GridData:
    now = now or datetime.now(UTC)
    took = {r.id: _took(r.start_date, r.end_date, now) for r in grid.runs}
    longest = max((t for t in took.values() if t is not None), default=0.0)
    columns = []
    for run in grid.runs:
        seconds = took[run.id]
        states = {task: cell[0] for (pk, task), cell in grid.cells.items() if pk == run.id}
        columns.append(
            RunColumn(
                run.id,
                run.run_id,
                run.state,
                run.run_type,
                run.logical_date,
                run.start_date,
                run.end_date,
                seconds,
                _bar(seconds, longest),
                explain_run_state(spec, run.state, states),
            )
        )
    marks = (BAR_MAX_PX, BAR_MAX_PX // 2)
    ticks = [(px, format_duration(longest * px / BAR_MAX_PX)) for px in marks]
    groups = group_cells(rows, grid.cells, [r.id for r in grid.runs])
    return GridData(columns, longest, ticks if longest > 0 else [], groups)


def _took(start: datetime | None, end: datetime | None, now: datetime) -> float | None:
    if start is None:
        return None
    return max(0.0, ((end or now) - start).total_seconds())


def _bar(seconds: float | None, longest: float) -> int:
    if not seconds or longest <= 0:
        return BAR_MIN_PX
    return max(BAR_MIN_PX, round(BAR_MAX_PX * seconds / longest))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def grid_json(spec: DagSpec, grid: Grid, data: GridData, rows: list[GridRow]) -> dict[str, Any]:
    """The JSON the grid's script polls: runs left to right, then each row's cells by run."""
    runs = [
        {
            "run_id": c.run_id,
            "state": c.state,
            "run_type": c.run_type,
            "logical_date": _iso(c.logical_date),
            "start_date": _iso(c.start_date),
            "end_date": _iso(c.end_date),
            "duration": c.duration,
            "duration_text": format_duration(c.duration),
            "bar_px": c.bar_px,
            "explanation": c.explanation,
        }
        for c in data.columns
    ]
    by_pk = {c.pk: c.run_id for c in data.columns}
    cells: dict[str, dict[str, Any]] = {}
    for (pk, task_id), (state, try_number) in grid.cells.items():
        if pk not in by_pk:
            continue
        cell: dict[str, Any] = {"state": state, "try_number": try_number}
        if (pk, task_id) in grid.long:
            cell["longer_than_usual"] = True
        mapped = grid.mapped.get((pk, task_id))
        if mapped is not None:
            cell["map_count"], cell["map_summary"] = mapped.total, mapped.text()
        cells.setdefault(task_id, {})[by_pk[pk]] = cell
    groups: dict[str, dict[str, str]] = {}
    for (pk, group_id), state in data.groups.items():
        groups.setdefault(group_id, {})[by_pk[pk]] = state
    return {
        "dag_id": spec.dag_id,
        "active": data.active,
        "longest": data.longest,
        "ticks": [{"px": px, "label": label} for px, label in data.ticks],
        "runs": runs,
        "tasks": cells,
        "groups": groups,
    }


_SEGMENT_SAFE = "!$&'()*+,/:;=@"  # werkzeug's path-segment quoting (BaseConverter.to_url)


def cell_links(endpoint: str, dag_id: str) -> Callable[[str, str], str]:
    """``url_for(endpoint, dag_id=, run_id=, task_id=)`` for every cell of the grid, built
    from one ``url_for`` and the same quoting: 25 runs x many tasks of ``url_for`` were a
    third of the page's time."""
    marker_run, marker_task = "RUN\x1f", "TASK\x1f"
    template = url_for(endpoint, dag_id=dag_id, run_id="RUN_", task_id="TASK_")
    template = template.replace("RUN_", marker_run, 1).replace("TASK_", marker_task, 1)

    def link(run_id: str, task_id: str) -> str:
        return template.replace(marker_run, quote(run_id, safe=_SEGMENT_SAFE)).replace(
            marker_task, quote(task_id, safe=_SEGMENT_SAFE)
        )

    return link
