"""Links between the pages of a list, keeping the list's filters in every link."""

from __future__ import annotations

from collections.abc import Iterator

from django import template
from django.core.paginator import Page

register = template.Library()

# Page numbers shown on each side of the current page, and at each end of the list.
PAGES_AROUND_CURRENT = 2
PAGES_AT_ENDS = 1


@register.simple_tag(takes_context=True)
def page_href(context: template.Context, number: int) -> str:
    """``?<the list's filters>&page=N``; the view puts the filters in ``query_string``.

    Returned unmarked, so the template escapes ``&`` to ``&amp;`` as HTML asks.
    """
    query = context.get("query_string") or ""
    return f"?{query}&page={number}" if query else f"?page={number}"


@register.simple_tag
def page_numbers(page: Page) -> Iterator[int | str]:
    """1 … 4 5 [6] 7 8 … 20: a window around the current page, both ends, "…" for the gaps."""
    return page.paginator.get_elided_page_range(
        page.number, on_each_side=PAGES_AROUND_CURRENT, on_ends=PAGES_AT_ENDS
    )
