"""Page links on every paginated list: numbers, first and last, filters kept, accessible markup."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.webapp.catalog_data import make_genres
from webapp.catalog.models import Movie
from webapp.catalog.views import BROWSE_PAGE_SIZE

pytestmark = pytest.mark.django_db
BROWSE = reverse("catalog:browse")
PAGES = 12


@pytest.fixture
def comedies():
    genre = make_genres(["Comedy"])["Comedy"]
    Movie.objects.bulk_create(
        [
            Movie(title=f"Comedy {i:03d}", year=1990, rating_count=1000 - i)
            for i in range(PAGES * BROWSE_PAGE_SIZE)
        ]
    )
    genre.movies.set(Movie.objects.all())


def navigation(html: str) -> str:
    found = re.search(
        r'<nav class="pagination" aria-label="Pages of results">(.*?)</nav>', html, re.S
    )
    assert found, "no page navigation"
    return found.group(1)


def links(nav: str) -> list[tuple[str, str]]:
    """(visible text, href) of each link, the visually hidden words left out."""
    out = []
    for href, inner in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', nav, re.S):
        text = re.sub(r'<span class="visually-hidden">[^<]*</span>', "", inner)
        out.append((text.strip(), href))
    return out


def test_middle_page_has_first_previous_numbers_next_last(client, comedies):
    nav = navigation(client.get(BROWSE, {"genre": "Comedy", "page": "6"}).content.decode())
    assert links(nav) == [
        ("« First", "?genre=Comedy&amp;page=1"),
        ("‹ Previous", "?genre=Comedy&amp;page=5"),
        ("1", "?genre=Comedy&amp;page=1"),
        ("4", "?genre=Comedy&amp;page=4"),
        ("5", "?genre=Comedy&amp;page=5"),
        ("6", "?genre=Comedy&amp;page=6"),
        ("7", "?genre=Comedy&amp;page=7"),
        ("8", "?genre=Comedy&amp;page=8"),
        ("12", "?genre=Comedy&amp;page=12"),
        ("Next ›", "?genre=Comedy&amp;page=7"),
        ("Last »", "?genre=Comedy&amp;page=12"),
    ]
    assert nav.count("…") == 2  # between 1 and 4, and between 8 and 12
    assert "Page 6 of 12" in nav


def test_the_current_page_is_marked_for_assistive_technology(client, comedies):
    nav = navigation(client.get(BROWSE, {"page": "6"}).content.decode())
    assert re.findall(r'<a [^>]*aria-current="page"[^>]*>(.*?)</a>', nav) == [
        '<span class="visually-hidden">Page </span>6'
    ]
    assert 'rel="prev"' in nav and 'rel="next"' in nav


def test_first_and_last_pages_leave_out_the_links_that_go_nowhere(client, comedies):
    first = links(navigation(client.get(BROWSE).content.decode()))
    assert [text for text, _ in first] == ["1", "2", "3", "12", "Next ›", "Last »"]
    last = links(navigation(client.get(BROWSE, {"page": "12"}).content.decode()))
    assert [text for text, _ in last] == ["« First", "‹ Previous", "1", "10", "11", "12"]


def test_each_link_leads_to_its_page(client, comedies):
    nav = navigation(client.get(BROWSE, {"genre": "Comedy", "page": "6"}).content.decode())
    last_href = dict(links(nav))["Last »"].replace("&amp;", "&")
    html = client.get(f"{BROWSE}{last_href}").content.decode()
    assert f"Comedy {PAGES * BROWSE_PAGE_SIZE - 1:03d}" in html
    assert (
        'aria-current="page" class="page-number"><span class="visually-hidden">Page </span>12'
        in html
    )


def test_search_results_keep_the_query_in_page_links(client, comedies):
    nav = navigation(client.get(BROWSE, {"q": "comedy 0", "sort": "title"}).content.decode())
    assert ("2", "?q=comedy+0&amp;sort=title&amp;page=2") in links(nav)


def test_hostile_query_values_are_escaped_in_page_links(client, comedies):
    html = client.get(BROWSE, {"q": "comedy", "x": '"><script>'}).content.decode()
    nav = navigation(html)
    assert "<script>" not in nav
    assert "x=%22%3E%3Cscript%3E" in nav


def test_a_single_page_has_no_navigation(client):
    Movie.objects.bulk_create([Movie(title=f"Solo {i}") for i in range(BROWSE_PAGE_SIZE)])
    html = client.get(BROWSE).content.decode()
    assert f"{BROWSE_PAGE_SIZE} movies found." in html
    assert 'class="pagination"' not in html
