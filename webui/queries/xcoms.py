"""The XCom browser's query: XComs filtered by DAG, run, task and key, newest first, paged.

Only the stored ``value`` is read: it already has secrets masked by the worker that pushed
it. ``sealed`` (the encrypted original) is never selected, only whether there is one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from scheduler.paging import Page, numbered_page
from scheduler.store.models import xcom_table


@dataclass(frozen=True)
class XComFilters:
    dag_id: str = ""
    run_id: str = ""
    task_id: str = ""
    key: str = ""


def xcoms(session: Session, filters: XComFilters, page_number: object) -> Page[Row[Any]]:
    x = xcom_table.c
    conditions = [
        column == value
        for column, value in (
            (x.dag_id, filters.dag_id),
            (x.run_id, filters.run_id),
            (x.task_id, filters.task_id),
            (x.key, filters.key),
        )
        if value
    ]
    total = session.scalar(select(func.count()).select_from(xcom_table).where(*conditions)) or 0
    page = numbered_page(page_number, total=total)
    rows = session.execute(
        select(
            x.id,
            x.dag_id,
            x.run_id,
            x.task_id,
            x.map_index,
            x.key,
            x.value,
            x.sealed.is_not(None).label("is_sealed"),
            x.created_at,
        )
        .where(*conditions)
        .order_by(x.id.desc())
        .limit(page.limit)
        .offset(page.offset)
    ).all()
    return page.filled(list(rows), total)
