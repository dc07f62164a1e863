"""The live progress bar of ``baton backfill create``: it only watches; the scheduler runs
the backfill, so leaving (Ctrl-C, or closing the terminal) changes nothing."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from scheduler.api.backfills import BackfillView

POLL_S = 0.5


class RateColumn(ProgressColumn):
    """Runs ended per minute since the watch began."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        if elapsed <= 0:
            return Text("- runs/min", style="progress.data.speed")
        return Text(f"{task.completed / elapsed * 60:.1f} runs/min", style="progress.data.speed")


def watch(fetch: Callable[[], BackfillView], console: Console | None = None) -> BackfillView:
    """Show the backfill's progress until it completes; returns its last view.

    Raises KeyboardInterrupt on Ctrl-C (the caller says how to come back)."""
    console = console or Console()
    view = fetch()
    columns = (
        SpinnerColumn(),
        TextColumn("backfill {task.fields[id]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[green]{task.fields[success]} ok[/] [red]{task.fields[failed]} failed[/]"),
        TextColumn("{task.fields[remaining]} left"),
        RateColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("backfill", total=view.progress.total, **_fields(view))
        # The rate and ETA count what ends from now on: runs done before the watch began
        # would make them look faster than they are.
        start_done = view.progress.done
        bar.update(task, completed=0, total=max(view.progress.total - start_done, 0))
        while True:
            bar.update(task, completed=view.progress.done - start_done, **_fields(view))
            if view.row.completed_at is not None:
                break
            time.sleep(POLL_S)
            view = fetch()
    return view


def _fields(view: BackfillView) -> dict[str, Any]:  # rich's task fields: any values
    p = view.progress
    return {"id": view.row.id, "success": p.success, "failed": p.failed, "remaining": p.remaining}
