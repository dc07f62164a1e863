"""``{{ macros.* }}`` in templates: the same names as Airflow's ``airflow.macros``.

The module itself is the ``macros`` entry of the task context, so ``macros.datetime``,
``macros.timedelta``, ``macros.time``, ``macros.uuid``, ``macros.random``, ``macros.json``,
``macros.ds_add`` and ``macros.ds_format`` work as they do in Airflow.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from datetime import datetime, timedelta

__all__ = ["datetime", "ds_add", "ds_format", "json", "random", "time", "timedelta", "uuid"]


def ds_add(ds: str, days: int) -> str:
    """``ds_add("2026-11-28", 5)`` → ``"2026-12-03"``; negative days go back."""
    if not days:
        return ds
    return (datetime.strptime(ds, "%Y-%m-%d") + timedelta(days=days)).strftime("%Y-%m-%d")


def ds_format(ds: str, input_format: str, output_format: str) -> str:
    """``ds_format("2026-11-28", "%Y-%m-%d", "%d/%m/%Y")`` → ``"28/11/2026"``."""
    return datetime.strptime(str(ds), input_format).strftime(output_format)
