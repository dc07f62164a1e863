"""``FileTrigger``: fire when a file (or a glob of files) exists, polling the filesystem."""

from __future__ import annotations

import asyncio
import glob
import os
from collections.abc import AsyncIterator
from typing import Any

from scheduler.triggers.base import BaseTrigger, TriggerEvent


class FileTrigger(BaseTrigger):
    """Airflow's ``FileTrigger(filepath, recursive=False, poke_interval=5.0)``: fires with
    the first matching path (a glob pattern is allowed; ``**`` needs ``recursive=True``).
    Directories match only if non-empty, as in Airflow's FileSensor."""

    def __init__(self, filepath: str, recursive: bool = False, poke_interval: float = 5.0) -> None:
        super().__init__()
        self.filepath = str(filepath)
        self.recursive = bool(recursive)
        self.poke_interval = float(poke_interval)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "scheduler.triggers.file.FileTrigger",
            {
                "filepath": self.filepath,
                "recursive": self.recursive,
                "poke_interval": self.poke_interval,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            found = await asyncio.to_thread(find_file, self.filepath, self.recursive)
            if found is not None:
                yield TriggerEvent(found)
                return
            await asyncio.sleep(self.poke_interval)


def find_file(pattern: str, recursive: bool) -> str | None:
    """The first file matching ``pattern`` (or a non-empty directory), or None."""
    for path in glob.glob(pattern, recursive=recursive):
        if os.path.isfile(path):
            return path
        if os.path.isdir(path) and os.listdir(path):
            return path
    return None
