"""Generated posters load in Chromium under the site's Content-Security-Policy, on cards and pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.showcase import build_showcase
from webapp.catalog.models import Movie

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def loaded_size(page: Page, selector: str) -> list[int]:
    """[naturalWidth, naturalHeight] of the image: 0 × 0 when it was blocked or did not parse."""
    return page.locator(selector).evaluate("img => [img.naturalWidth, img.naturalHeight]")


def test_a_movie_without_an_upload_shows_its_generated_poster(page: Page, media):
    build_showcase(n_people=3)
    movie = Movie.objects.get(title="Return of the Jedi")  # the showcase left it without a poster
    assert not movie.poster
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))

    page.goto(movie.get_absolute_url())
    poster = page.get_by_role("img", name="Poster of Return of the Jedi")
    expect(poster).to_be_visible()
    assert poster.get_attribute("src").endswith(f"/movies/{movie.pk}/poster.svg")
    assert loaded_size(page, ".poster-large") == [200, 300]
    assert poster.bounding_box()["width"] == 300  # drawn at the movie-page size, from one SVG

    page.goto("/movies/?q=jedi")
    card_poster = page.locator(".card .poster").first
    expect(card_poster).to_be_visible()
    card_poster.scroll_into_view_if_needed()
    assert loaded_size(page, ".card .poster") == [200, 300]
    assert not errors, errors  # a CSP violation or a broken image would be reported here
