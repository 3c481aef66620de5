"""Search with a typo, "Did you mean …", and moving between pages, in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.showcase import build_showcase

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_typo_in_the_header_search_finds_the_film_and_suggests_the_spelling(page: Page):
    build_showcase(n_people=3)
    page.goto("/")
    page.get_by_role("searchbox", name="Search movies by title").fill("godfater")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_text("No title contains “godfater”. Showing 1 close title.")).to_be_visible()
    expect(page.locator(".card-title")).to_have_text(["Godfather, The (1972)"])
    page.get_by_role("link", name="godfather", exact=True).click()
    expect(page).to_have_url("/movies/?q=godfather")
    expect(page.get_by_text("1 movie found.")).to_be_visible()
    expect(page.get_by_text("Did you mean")).to_have_count(0)


def test_page_links_lead_through_the_list(page: Page):
    build_showcase(n_people=3)  # 30 films: two pages of 24
    page.goto("/movies/?sort=title")
    pages = page.get_by_role("navigation", name="Pages of results")
    expect(pages.locator("[aria-current=page]")).to_have_text("Page 1")
    pages.get_by_role("link", name="Last page").click()
    expect(page).to_have_url("/movies/?sort=title&page=2")
    expect(page.locator(".card-title")).to_have_count(6)
    pages = page.get_by_role("navigation", name="Pages of results")
    expect(pages.locator("[aria-current=page]")).to_have_text("Page 2")
    pages.get_by_role("link", name="First page").click()
    expect(page).to_have_url("/movies/?sort=title&page=1")
    expect(page.locator(".card-title").first).to_contain_text("Air Force One")
