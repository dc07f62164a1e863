"""One page of a longer list, the one type every listing pages with: the Store's paged
queries, ``scheduler.api``, the REST API (``limit``/``offset`` in, ``total_entries`` out)
and the web UI's pages (``?page=N``, "21-40 of 95", previous/next).

A ``Page`` is a window (``offset``, ``limit``) over ``total`` rows, and the ``rows`` in it.
Without rows it is the window asked for, before the query that fills it has run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

Row = TypeVar("Row")
Other = TypeVar("Other")

PAGE_SIZE = 25
"""The rows of a web UI page when the URL does not say."""
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Page(Generic[Row]):
    """Rows ``offset`` to ``offset + limit`` of ``total``; ``number`` counts pages from 1."""

    offset: int
    limit: int
    total: int = 0
    rows: Sequence[Row] = ()

    def filled(self, rows: Sequence[Other], total: int) -> Page[Other]:
        """This window with the rows and the total its query found."""
        return Page(self.offset, self.limit, total, rows)

    def of(self, items: Sequence[Other]) -> Page[Other]:
        """This window over a list already read whole (a short one, paged here)."""
        return self.filled(items[self.offset : self.offset + self.limit], len(items))

    @property
    def number(self) -> int:
        return self.offset // self.limit + 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_row(self) -> int:
        return min(self.total, self.offset + 1)

    @property
    def last_row(self) -> int:
        return min(self.total, self.offset + self.limit)


def numbered_page(number: Any, size: Any = PAGE_SIZE, total: int = 0) -> Page[Any]:
    """The window of page ``number`` from query-string values: anything malformed falls back
    to page 1 / the default size, and the number is kept within the pages that exist."""
    limit = min(_positive_int(size, PAGE_SIZE), MAX_PAGE_SIZE)
    last = Page(0, limit, total).pages
    return Page((min(_positive_int(number, 1), last) - 1) * limit, limit, total)


def _positive_int(value: Any, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default
