"""Import your ratings in Chromium, at 1280 and 390 px: upload a small Letterboxd export from the
header's link, choose the right film for an ambiguous row, import, and read the summary."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_header_menu import header_rows
from tests.webapp.catalog_data import PASSWORD, make_genres, make_member
from webapp.catalog.models import Movie, Rating
from webapp.catalog.search import forget_title_index

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LETTERBOXD = b"""Date,Name,Year,Letterboxd URI,Rating
2023-01-01,The Godfather,1972,https://boxd.it/a,4.5
2023-01-02,Hamlet,,https://boxd.it/b,3
2023-01-03,Parasite,2019,https://boxd.it/c,5
2023-01-04,<b>Bold</b> move,2001,https://boxd.it/d,2
"""


@pytest.mark.parametrize("width", [1280, 390])
def test_import_a_letterboxd_file_and_choose_an_ambiguous_row(page: Page, width, screenshot):
    forget_title_index()
    make_genres()
    Movie.objects.bulk_create(
        [
            Movie(title="The Godfather", year=1972),
            Movie(title="Hamlet", year=1990),
            Movie(title="Hamlet", year=1996),
            Movie(title="Fargo", year=1996),
        ]
    )
    member = make_member("cinephile")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_viewport_size({"width": width, "height": 900})

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("cinephile")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    nav = page.get_by_role("navigation", name="Main")
    if width < 600:
        nav.get_by_role("button", name="Menu").click()
    else:
        assert header_rows(page) == 1  # the desktop header stays on one row
    nav.get_by_role("link", name="My ratings").click()
    page.get_by_role("main").get_by_role("link", name="Import your ratings").click()
    expect(page.get_by_role("heading", name="Import your ratings")).to_be_visible()
    screenshot(page, f"ratings-import-upload-{width}")

    page.get_by_label("Your export (a CSV file)").set_input_files(
        files=[{"name": "ratings.csv", "mimeType": "text/csv", "buffer": LETTERBOXD}]
    )
    page.get_by_role("button", name="Upload and review").click()
    expect(page.get_by_role("heading", name="Review your import")).to_be_visible()
    expect(page.locator(".import-detected")).to_contain_text(
        "Detected format: Letterboxd (ratings.csv)"
    )
    expect(page.get_by_role("checkbox", name="Import")).to_be_checked()
    expect(page.locator(".import-errors")).to_contain_text("Row 5: Its title contains HTML tags.")
    hamlet = page.get_by_role("radio", name="Hamlet (1996)")
    expect(page.get_by_role("radio", name="None of these: skip this row")).to_be_checked()
    hamlet.check()
    expect(hamlet).to_be_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"ratings-import-review-{width}")

    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Your ratings are in")).to_be_visible()
    expect(page.locator(".import-summary")).to_have_text("2 imported, 1 skipped, 1 unmatched.")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"ratings-import-done-{width}")
    assert dict(Rating.objects.filter(user=member).values_list("movie__year", "score")) == {
        1972: 5,
        1996: 3,
    }
    page.get_by_role("link", name="See your picks").click()
    expect(page).to_have_url("/")
    assert errors == []
