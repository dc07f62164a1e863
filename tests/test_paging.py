"""``Page``: the one paging type of the Store, the API, the REST answers and the web UI's
pages; ``numbered_page``: page N of a web UI list from query-string values."""

from __future__ import annotations

from scheduler.paging import MAX_PAGE_SIZE, PAGE_SIZE, Page, numbered_page


def test_a_window_knows_its_place_in_the_list() -> None:
    page = Page(offset=20, limit=10, total=35, rows=list(range(20, 30)))
    assert (page.number, page.pages, page.has_prev, page.has_next) == (3, 4, True, True)
    assert (page.first_row, page.last_row) == (21, 30)
    last = Page(30, 10, 35)
    assert (last.has_next, last.last_row) == (False, 35)
    empty = Page(0, 10, 0)
    assert (empty.pages, empty.first_row, empty.last_row, empty.has_next) == (1, 0, 0, False)


def test_a_window_is_filled_by_its_query_or_cut_from_a_list() -> None:
    asked = Page(2, 3)
    assert asked.filled(["c", "d", "e"], 9) == Page(2, 3, 9, ["c", "d", "e"])
    assert asked.of("abcdefg") == Page(2, 3, 7, "cde")
    assert Page(6, 3).of([1, 2]).rows == []


def test_numbered_page_tolerates_bad_values() -> None:
    assert numbered_page("x", "y", 100) == Page(0, PAGE_SIZE, 100)
    assert numbered_page("999", 10, 35) == Page(30, 10, 35)  # clamped to the last page
    assert numbered_page(-3, 10, 0).pages == 1
    assert numbered_page(2, 10**6, 10**6).limit == MAX_PAGE_SIZE
