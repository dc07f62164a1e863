"""``FileSensor`` (Airflow's): wait for a file, or a glob, to exist; ``deferrable=True``
waits in the triggerer with a ``FileTrigger``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from scheduler.authoring.sensors import BaseSensorOperator


class FileSensor(BaseSensorOperator):
    """``filepath`` (templated) under the ``path`` extra of connection ``fs_conn_id`` when
    that connection exists (Airflow's ``fs_default`` is optional here); ``recursive``
    lets ``**`` match directories."""

    template_fields = ("filepath",)
    ui_color = "#91818a"

    def __init__(
        self,
        *,
        filepath: str,
        fs_conn_id: str = "fs_default",
        recursive: bool = False,
        deferrable: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.filepath = filepath
        self.fs_conn_id = fs_conn_id
        self.recursive = bool(recursive)
        self.deferrable = bool(deferrable)

    def full_path(self) -> str:
        from scheduler.connections import BaseHook
        from scheduler.errors import ConnectionNotFoundError

        try:
            base = BaseHook.get_connection(self.fs_conn_id).extra_dejson.get("path", "")
        except ConnectionNotFoundError:
            if self.fs_conn_id != "fs_default":
                raise
            base = ""
        return os.path.join(base, str(self.filepath))

    def poke(self, context: Mapping[str, Any]) -> bool:
        from scheduler.triggers.file import find_file

        path = self.full_path()
        self.log.info("Poking for file %s", path)
        found = find_file(path, self.recursive)
        if found:
            self.log.info("Found File %s", found)
        return found is not None

    def execute(self, context: Mapping[str, Any]) -> Any:
        if not self.deferrable:
            return super().execute(context)
        if self.poke(context):
            return None
        from datetime import timedelta

        from scheduler.triggers.file import FileTrigger

        self.defer(
            trigger=FileTrigger(self.full_path(), self.recursive, self.poke_interval),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout),
        )

    def execute_complete(self, context: Mapping[str, Any], event: Any = None) -> None:
        self.log.info("%s found", event)
