"""One way to cut a list into pages, for every paginated page (browse, my ratings, watchlist).

A page past the end or not a number is answered with the first page's links, no results and a
message that says how many pages there are (the views answer it with a 404), never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.http import HttpRequest


@dataclass(frozen=True)
class Pages:
    page: Page
    paginator: Paginator
    # "There is no page “abc”: these results have 3 pages." when the page asked for is not one.
    error: str | None
    # The list's other query parameters, for the page links (see _pagination.html).
    query_string: str

    @property
    def items(self) -> list:
        return list(self.page.object_list)

    @property
    def status(self) -> int:
        return 404 if self.error else 200

    def context(self) -> dict:
        """What ``_pagination.html`` and the list templates read."""
        return {
            "page_obj": self.page,
            "paginator": self.paginator,
            "is_paginated": self.paginator.num_pages > 1,
            "page_error": self.error,
            "query_string": self.query_string,
        }


def paginate(request: HttpRequest, items, per_page: int, what: str = "these results have") -> Pages:
    """The page of ``items`` that ``?page=`` asks for (the first when it is absent).

    ``what`` starts the message for a page that does not exist: "your watchlist has"."""
    paginator = Paginator(items, per_page, allow_empty_first_page=True)
    query = request.GET.copy()
    query.pop("page", None)
    requested = request.GET.get("page", "")
    try:
        return Pages(paginator.page(requested or 1), paginator, None, query.urlencode())
    except (EmptyPage, PageNotAnInteger):
        pages = paginator.num_pages
        error = f"There is no page “{requested}”: {what} {pages} page{'s' if pages != 1 else ''}."
        page = paginator.page(1)
        page.object_list = []
        return Pages(page, paginator, error, query.urlencode())
